"""Guardrails and instrumentation: time budgets, strict contexts, re-entry detection, monitors.

Seed 004 states rules for hooks: handlers must be fast (under 100 ms), contexts
must hold only primitive data, hooks must not depend on each other in circles.
hookwise enforces them when asked, and reports every call to monitors.

None of this touches a hook that uses none of it: the compiled caller is the
plain one. When a hook has a budget, a monitor, a strict context or re-entry
detection, its implementations are compiled as instrumented stand-ins (timing,
events) and its caller is wrapped once (argument checks, the call stack,
events); the generated code itself is the same.
"""

from __future__ import annotations

import datetime
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal, NoReturn, TypeAlias, cast, final
from uuid import UUID

from hookwise._results import Veto
from hookwise.exceptions import BudgetExceededError, BudgetWarning, HookCallError, ReentrancyError

if TYPE_CHECKING:
    from hookwise._impl import HookImpl
    from hookwise._spec import HookSpec
    from hookwise._tracing import Monitor

OnBudget: TypeAlias = Literal["warn", "error", "veto"]
"""What happens when an implementation runs over its hook's time budget."""

PRIMITIVES: Final = (
    str,
    int,
    float,
    bool,
    bytes,
    type(None),
    UUID,
    Decimal,
    datetime.date,
    datetime.time,
    datetime.timedelta,
)
"""Scalar types a strict context accepts (``datetime.datetime`` is a ``date``)."""

_SCALARS: Final = frozenset({str, int, float, bool, bytes, type(None)})
"""Exact types that pass a strict context at once (anything else is checked in depth)."""
_clock = time.perf_counter
_call_ids = itertools.count(1)


@final
class Frame:
    """One hook call on the current call stack (per thread and per asyncio task)."""

    __slots__ = ("call_id", "hook", "plugin")

    def __init__(self, hook: str, call_id: int) -> None:
        self.hook = hook
        self.call_id = call_id
        self.plugin: str | None = None

    def __repr__(self) -> str:
        return f"{self.hook} ({self.plugin})" if self.plugin else self.hook


_STACK: ContextVar[tuple[Frame, ...]] = ContextVar("hookwise_call_stack", default=())
"""Monitored calls running in the current context (for call ids and the running plugin)."""
_HOOKS: ContextVar[tuple[str, ...]] = ContextVar("hookwise_hooks", default=())
"""The names of the guarded or monitored hooks running in the current context, outermost first."""


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
    if isinstance(value, PRIMITIVES):
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


@final
class Instrumentation:
    """What one hook is instrumented with; ``None`` stands for none of it."""

    __slots__ = ("budget", "max_depth", "monitors", "on_budget", "strict")

    def __init__(
        self,
        *,
        monitors: tuple[Monitor, ...],
        budget: float | None,
        on_budget: OnBudget,
        strict: bool,
        max_depth: int | None,
    ) -> None:
        self.monitors = monitors
        self.budget = budget
        self.on_budget: OnBudget = on_budget
        self.strict = strict
        self.max_depth = max_depth

    @classmethod
    def for_hook(
        cls,
        spec: HookSpec[..., Any],
        monitors: tuple[Monitor, ...],
        *,
        budget: float | None,
        on_budget: OnBudget,
        detect_reentry: bool,
    ) -> Instrumentation | None:
        """The instrumentation a hook gets from its spec and its manager, or ``None`` when it needs none."""
        hook_budget = spec.budget if spec.budget is not None else budget
        policy: OnBudget = spec.on_budget or on_budget
        if policy == "veto" and spec.kind != "intercept":
            policy = "error"
        max_depth = spec.max_depth if spec.max_depth is not None else (1 if detect_reentry else None)
        if not monitors and hook_budget is None and not spec.strict and max_depth is None:
            return None
        return cls(monitors=monitors, budget=hook_budget, on_budget=policy, strict=spec.strict, max_depth=max_depth)


def over_budget(
    spec: HookSpec[..., Any], impl: HookImpl, duration: float, budget: float, policy: OnBudget, result: Any
) -> Any:
    message = (
        f"plugin {impl.plugin_name!r}: {impl.qualname} took {duration * 1000:.1f} ms in hook {spec.name!r}, "
        f"over its budget of {budget * 1000:.0f} ms"
    )
    if policy == "warn":
        import warnings

        warnings.warn(BudgetWarning(message, plugin=impl.plugin_name, hook=spec.name, duration=duration), stacklevel=4)
        return result
    if policy == "veto":
        return Veto(message)
    raise BudgetExceededError(message, plugin=impl.plugin_name, hook=spec.name, duration=duration)


def instrument_impl(spec: HookSpec[..., Any], impl: HookImpl, setup: Instrumentation) -> Callable[..., Any]:
    """A stand-in for one implementation that reports it to monitors (and names it on the call stack)."""
    from hookwise._tracing import TraceEvent

    function, plugin, hook, kind, monitors = impl.function, impl.plugin_name, spec.name, spec.kind, setup.monitors
    argnames, context_style = impl.argnames, impl.style == "context"

    def start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
        stack = _STACK.get()
        call_id = 0
        if stack:
            frame = stack[-1]
            frame.plugin = plugin
            call_id = frame.call_id
        if context_style:
            arguments: Mapping[str, Any] = args[0]
        else:
            arguments = dict(zip(argnames, args, strict=False))
            if kwargs:
                arguments.update(kwargs)
        event = TraceEvent("impl_start", hook, plugin, call_id, arguments=arguments, kind=kind)
        for monitor in monitors:
            monitor(event)
        return call_id

    def end(call_id: int, result: Any, error: BaseException | None, duration: float) -> None:
        event = TraceEvent("impl_end", hook, plugin, call_id, result=result, error=error, duration=duration, kind=kind)
        for monitor in monitors:
            monitor(event)

    if impl.is_async:

        async def monitored_async(*args: Any, **kwargs: Any) -> Any:
            call_id = start(args, kwargs)
            began = _clock()
            try:
                result = await function(*args, **kwargs)
            except BaseException as error:
                end(call_id, None, error, _clock() - began)
                raise
            end(call_id, result, None, _clock() - began)
            return result

        return monitored_async

    def monitored(*args: Any, **kwargs: Any) -> Any:
        call_id = start(args, kwargs)
        began = _clock()
        try:
            result = function(*args, **kwargs)
        except BaseException as error:
            end(call_id, None, error, _clock() - began)
            raise
        end(call_id, result, None, _clock() - began)
        return result

    return monitored


def instrument_call(
    spec: HookSpec[..., Any], caller: Callable[..., Any], setup: Instrumentation, *, is_async: bool
) -> Callable[..., Any]:
    """Wrap a compiled caller as its guardrails need: strict arguments, re-entry detection, monitors.

    A hook with only a budget keeps its compiled caller as is (the budget is
    timed inline); without monitors the wrapper is a few lines.
    """
    if setup.monitors:
        return _traced_call(spec, caller, setup, is_async=is_async)
    if not setup.strict and setup.max_depth is None:
        return caller
    names, name, strict, max_depth = spec.param_names, spec.name, setup.strict, setup.max_depth

    def check(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if strict and not (
            all(type(v) in _SCALARS for v in args) and all(type(v) in _SCALARS for v in kwargs.values())
        ):
            arguments = {**dict(zip(names, args, strict=False)), **kwargs}
            arguments.pop("_hw_prov", None)  # the provenance recorder, not an argument
            check_primitive(spec, arguments)
        if max_depth is None:
            return None
        hooks = _HOOKS.get()
        if hooks.count(name) >= max_depth:
            _reentered(spec, hooks, max_depth)
        return _HOOKS.set((*hooks, name))

    if is_async:

        async def guarded_async(*args: Any, **kwargs: Any) -> Any:
            token = check(args, kwargs)
            try:
                return await caller(*args, **kwargs)
            finally:
                if token is not None:
                    _HOOKS.reset(token)

        return guarded_async

    def guarded(*args: Any, **kwargs: Any) -> Any:
        token = check(args, kwargs)
        try:
            return caller(*args, **kwargs)
        finally:
            if token is not None:
                _HOOKS.reset(token)

    return guarded


def _reentered(spec: HookSpec[..., Any], hooks: tuple[str, ...], max_depth: int) -> NoReturn:
    times = "once" if max_depth == 1 else f"{max_depth} times"
    advice = (
        "hooks that call each other in a loop never end. If it recurses on purpose, declare the "
        f"spec with max_depth= (now it may run {times} on one call stack)"
    )
    raise ReentrancyError(advice, hook=spec.name, chain=[*hooks, spec.name])


def _traced_call(
    spec: HookSpec[..., Any], caller: Callable[..., Any], setup: Instrumentation, *, is_async: bool
) -> Callable[..., Any]:
    """The wrapper for monitored hooks: events, the call stack (with call ids), and the guardrails."""
    from hookwise._tracing import TraceEvent

    names, name, monitors, strict, max_depth = (
        spec.param_names,
        spec.name,
        setup.monitors,
        setup.strict,
        setup.max_depth,
    )

    def enter(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, int]:
        arguments = {**dict(zip(names, args, strict=False)), **kwargs}
        arguments.pop("_hw_prov", None)  # the provenance recorder, not an argument
        if strict:
            check_primitive(spec, arguments)
        hooks = _HOOKS.get()
        if max_depth is not None and hooks.count(name) >= max_depth:
            _reentered(spec, hooks, max_depth)
        stack = _STACK.get()
        call_id = next(_call_ids)
        tokens = (_HOOKS.set((*hooks, name)), _STACK.set((*stack, Frame(name, call_id))))
        event = TraceEvent(
            "call_start",
            name,
            None,
            call_id,
            parent_id=stack[-1].call_id if stack else None,
            arguments=arguments,
            kind=spec.kind,
        )
        for monitor in monitors:
            monitor(event)
        return tokens[0], tokens[1], call_id

    def leave(tokens: tuple[Any, Any, int], result: Any, error: BaseException | None, duration: float) -> None:
        _HOOKS.reset(tokens[0])
        _STACK.reset(tokens[1])
        event = TraceEvent(
            "call_end", name, None, tokens[2], result=result, error=error, duration=duration, kind=spec.kind
        )
        for monitor in monitors:
            monitor(event)

    if is_async:

        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            tokens = enter(args, kwargs)
            start = _clock()
            try:
                result = await caller(*args, **kwargs)
            except BaseException as error:
                leave(tokens, None, error, _clock() - start)
                raise
            leave(tokens, result, None, _clock() - start)
            return result

        return traced_async

    def traced(*args: Any, **kwargs: Any) -> Any:
        tokens = enter(args, kwargs)
        start = _clock()
        try:
            result = caller(*args, **kwargs)
        except BaseException as error:
            leave(tokens, None, error, _clock() - start)
            raise
        leave(tokens, result, None, _clock() - start)
        return result

    return traced
