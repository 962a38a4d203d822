"""Guardrails: the rules a hook can ask to have enforced.

- a time budget per implementation (:func:`over_budget` reports a breach);
- strict contexts: primitive data only (:func:`check_primitive`);
- no hooks that call each other in a loop (:func:`reentered` raises the error).

Where they are checked during a call is :mod:`hookwise._instrumentation`'s business.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NoReturn, cast

from hookwise._results import Veto
from hookwise._text import cut, shown
from hookwise.exceptions import BudgetExceededError, BudgetWarning, HookCallError, ReentrancyError

if TYPE_CHECKING:
    from hookwise._impl import HookImpl
    from hookwise._spec import HookSpec, OnBudget


MAX_DEPTH: Final = 64
"""How deep a strict argument may nest lists, tuples and dicts."""


@cache
def primitives() -> frozenset[type]:
    """The exact scalar types a strict context accepts; subclasses do not pass (imported on first use)."""
    import datetime
    from decimal import Decimal
    from uuid import UUID

    return frozenset(
        {
            str,
            int,
            float,
            bool,
            bytes,
            type(None),
            UUID,
            Decimal,
            datetime.date,
            datetime.datetime,
            datetime.time,
            datetime.timedelta,
        }
    )


def frozen(
    spec: HookSpec[..., Any], arguments: Mapping[str, Any], *, what: str = "argument", subject: str | None = None
) -> dict[str, Any]:
    """The arguments of a strict hook as handlers get them: primitive data, frozen.

    Scalars must be of the exact types of :func:`primitives` (a subclass could carry
    anything); lists and tuples become tuples, dicts (with str keys) read-only
    mappings, so no handler can change what later ones see. The walk is iterative,
    stops at :data:`MAX_DEPTH` levels and at a container that contains itself.

    ``subject`` says who takes the data, for the message (the hook, by default).

    Raises:
        HookCallError: naming the argument, the path inside it and what was found.
    """
    scalars = primitives()
    result: dict[str, Any] = {}
    for name, value in arguments.items():
        if type(value) in scalars:
            result[name] = value
            continue
        result[name] = _freeze(spec, value, name, scalars, (what, subject))
    return result


def _freeze(
    spec: HookSpec[..., Any], value: object, path: str, scalars: frozenset[type], what: tuple[str, str | None]
) -> object:
    # Each work item: (value, its path, its depth, the ids of the containers above it, where to put the frozen value).
    done: dict[int, list[str]] = {}
    root: list[object] = [None]
    work: list[tuple[object, str, int, frozenset[int], list[object], int]] = [(value, path, 0, frozenset(), root, 0)]
    finish: list[tuple[list[object], list[object], int]] = []
    while work:
        item, where, depth, above, slot, index = work.pop()
        kind = type(item)
        if kind in scalars:
            slot[index] = item
            continue
        if id(item) in above:
            _refuse(spec, where, item, what, "contains itself")
        if depth >= MAX_DEPTH:
            _refuse(spec, where, item, what, f"nests deeper than {MAX_DEPTH} levels")
        inner = above | {id(item)}
        if kind is list or kind is tuple:
            sequence = cast("Sequence[object]", item)
            children: list[object] = [None] * len(sequence)
            for i, child in enumerate(sequence):
                work.append((child, f"{where}[{i}]", depth + 1, inner, children, i))
        elif kind is dict:
            mapping = cast("dict[object, object]", item)
            keys = list(mapping)
            for key in keys:
                if type(key) is not str:
                    _refuse(spec, f"{where} key {shown(key, 40)}", key, what, "is not a str")
            children = [None] * len(keys)
            for i, key in enumerate(keys):
                work.append((mapping[key], f"{where}[{key!r}]", depth + 1, inner, children, i))
            done[id(children)] = cast("list[str]", keys)
        else:
            _refuse(spec, where, item, what, "is not primitive data")
        finish.append((children, slot, index))
    for children, slot, index in reversed(finish):
        names = done.get(id(children))
        if names is not None:
            slot[index] = MappingProxyType(dict(zip(names, children, strict=True)))
        else:
            slot[index] = tuple(children)
    return root[0]


def _refuse(spec: HookSpec[..., Any], path: str, found: object, what: tuple[str, str | None], problem: str) -> NoReturn:
    kind = f"{type(found).__module__}.{type(found).__qualname__}"
    argument, subject = what
    takes = (
        f"{subject} takes primitive data only"
        if subject
        else f"hook {spec.name!r} takes primitive data only (strict context)"
    )
    msg = (
        f"{takes}; {argument} {cut(path, 80)} ({kind}) "
        f"{problem}: pass "
        "None, bool, int, float, str, bytes, UUID, Decimal, date/time values (exactly these types, not subclasses), "
        f"or lists, tuples and str-keyed dicts of them, at most {MAX_DEPTH} levels deep"
    )
    raise HookCallError(msg, hook=spec.name)


def over_budget(
    spec: HookSpec[..., Any], impl: HookImpl, duration: float, budget: float, policy: OnBudget, result: Any
) -> Any:
    """An implementation took ``duration`` seconds, over ``budget``: warn (keep ``result``), veto, or raise."""
    message = (
        f"plugin {impl.plugin_name!r}: {impl.qualname} took {duration * 1000:.1f} ms in hook {spec.name!r}, "
        f"over its budget of {budget * 1000:.0f} ms"
    )
    if policy == "warn":
        warn_outside(BudgetWarning(message, plugin=impl.plugin_name, hook=spec.name, duration=duration))
        return result
    if policy == "veto":
        return Veto(message)
    raise BudgetExceededError(message, plugin=impl.plugin_name, hook=spec.name, duration=duration)


def reentered(spec: HookSpec[..., Any], running: Sequence[str], max_depth: int) -> NoReturn:
    """Raise :class:`ReentrancyError`: ``spec``'s hook was called while ``running`` (outermost first)."""
    times = "once" if max_depth == 1 else f"{max_depth} times"
    advice = (
        "hooks that call each other in a loop never end. If it recurses on purpose, declare the "
        f"spec with max_depth= (now it may run {times} on one call stack)"
    )
    raise ReentrancyError(advice, hook=spec.name, chain=[*running, spec.name])


def warn_outside(warning: Warning) -> None:
    """Issue ``warning`` at the first frame outside hookwise: the code that called the hook."""
    import inspect
    import warnings

    here = inspect.currentframe()
    frame = here.f_back if here is not None else None
    if frame is None:  # pragma: no cover - CPython always has frames
        warnings.warn(warning, stacklevel=2)
        return
    level = 2
    while frame.f_back is not None and _internal(frame):
        frame = frame.f_back
        level += 1
    warnings.warn(warning, stacklevel=level)


def _internal(frame: Any) -> bool:
    module = str(frame.f_globals.get("__name__", ""))
    return module == "hookwise" or module.startswith("hookwise.") or frame.f_code.co_filename.startswith("<hookwise")


_PACKAGE: Final = os.path.dirname(os.path.abspath(__file__))


def hidden_from_pytest(excinfo: object = None) -> bool:  # noqa: ARG001 - pytest passes its ExceptionInfo
    """The ``__tracebackhide__`` of the call path's modules: pytest leaves their frames out of tracebacks.

    Except where hookwise stands in for pluggy (``sys.modules["pluggy"]`` is a
    package of hookwise's): pytest then leaves out the frames under that
    package's directory, and shows them only where it would show pluggy's
    (when nothing else is left), so they behave as pluggy's own frames do.
    """
    pluggy = sys.modules.get("pluggy")
    return not str(getattr(pluggy, "__file__", "") or "").startswith(_PACKAGE)
