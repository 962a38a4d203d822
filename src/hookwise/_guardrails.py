"""Guardrails: the rules a hook can ask to have enforced.

- a time budget per implementation (:func:`over_budget` reports a breach);
- strict contexts: primitive data only (:func:`check_primitive`);
- no hooks that call each other in a loop (:func:`reentered` raises the error).

Where they are checked during a call is :mod:`hookwise._instrumentation`'s business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn, cast

from hookwise._results import Veto
from hookwise.exceptions import BudgetExceededError, BudgetWarning, HookCallError, ReentrancyError

if TYPE_CHECKING:
    from hookwise._impl import HookImpl
    from hookwise._spec import HookSpec, OnBudget


@cache
def primitives() -> tuple[type, ...]:
    """Scalar types a strict context accepts (``datetime.datetime`` is a ``date``); imported on first use."""
    import datetime
    from decimal import Decimal
    from uuid import UUID

    return (str, int, float, bool, bytes, type(None), UUID, Decimal, datetime.date, datetime.time, datetime.timedelta)


def check_primitive(spec: HookSpec[..., Any], arguments: Mapping[str, Any]) -> None:
    """Raise :class:`HookCallError` naming the first argument (and path inside it) that is not primitive data."""
    for name, value in arguments.items():
        problem = _non_primitive(value, name)
        if problem is not None:
            path, found = problem
            msg = (
                f"hook {spec.name!r} takes primitive data only (strict context); argument {path} is a "
                f"{type(found).__module__}.{type(found).__qualname__}: pass None, bool, int, float, str, bytes, "
                "UUID, Decimal, date/time values, or lists, tuples and str-keyed dicts of them"
            )
            raise HookCallError(msg, hook=spec.name)


def _non_primitive(value: object, path: str) -> tuple[str, object] | None:
    """The first (path, value) inside ``value`` that is not primitive data, or None."""
    if isinstance(value, primitives()):
        return None
    children: list[tuple[str, object]]
    if isinstance(value, list | tuple):
        sequence = cast("Sequence[object]", value)
        children = [(f"{path}[{index}]", item) for index, item in enumerate(sequence)]
    elif isinstance(value, dict):
        mapping = cast("dict[object, object]", value)
        bad_keys = [key for key in mapping if not isinstance(key, str)]
        if bad_keys:
            return (f"{path} key {bad_keys[0]!r}", bad_keys[0])
        children = [(f"{path}[{key!r}]", item) for key, item in mapping.items()]
    else:
        return (path, value)
    return next((found for child, item in children if (found := _non_primitive(item, child)) is not None), None)


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
