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
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast, final
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


def call_stack() -> tuple[Frame, ...]:
    """The hook calls running in the current context, outermost first."""
    return _STACK.get()


def _describe(stack: Sequence[Frame], hook: str) -> str:
    steps = [f"{frame.hook!r} (in plugin {frame.plugin!r})" if frame.plugin else repr(frame.hook) for frame in stack]
    return " -> ".join([*steps, repr(hook)])


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

    @property
    def tracks_stack(self) -> bool:
        return bool(self.monitors) or self.max_depth is not None


def _over_budget(
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
    """A stand-in for one implementation that times it, names it on the call stack and reports it to monitors."""
    from hookwise._tracing import TraceEvent

    function = impl.function
    plugin = impl.plugin_name
    budget, policy, monitors, tracks = setup.budget, setup.on_budget, setup.monitors, setup.tracks_stack

    def arguments_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Mapping[str, Any]:
        if impl.style == "context":
            return args[0]  # type: ignore[no-any-return]
        return {**dict(zip(impl.argnames, args, strict=False)), **kwargs}

    def started(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
        stack = _STACK.get() if tracks else ()
        call_id = stack[-1].call_id if stack else 0
        if stack:
            stack[-1].plugin = plugin
        if monitors:
            event = TraceEvent(
                "impl_start", spec.name, plugin, call_id, arguments=arguments_of(args, kwargs), kind=spec.kind
            )
            for monitor in monitors:
                monitor(event)
        return call_id

    def finished(call_id: int, result: Any, error: BaseException | None, duration: float) -> Any:
        if monitors:
            event = TraceEvent(
                "impl_end", spec.name, plugin, call_id, result=result, error=error, duration=duration, kind=spec.kind
            )
            for monitor in monitors:
                monitor(event)
        if error is None and budget is not None and duration > budget:
            return _over_budget(spec, impl, duration, budget, policy, result)
        return result

    if impl.is_async:

        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            call_id = started(args, kwargs)
            start = _clock()
            try:
                result = await function(*args, **kwargs)
            except BaseException as error:
                finished(call_id, None, error, _clock() - start)
                raise
            return finished(call_id, result, None, _clock() - start)

        return timed_async

    def timed(*args: Any, **kwargs: Any) -> Any:
        call_id = started(args, kwargs)
        start = _clock()
        try:
            result = function(*args, **kwargs)
        except BaseException as error:
            finished(call_id, None, error, _clock() - start)
            raise
        return finished(call_id, result, None, _clock() - start)

    return timed


def instrument_call(
    spec: HookSpec[..., Any], caller: Callable[..., Any], setup: Instrumentation, *, is_async: bool
) -> Callable[..., Any]:
    """Wrap a compiled caller: check strict arguments, keep the call stack, detect re-entry, report the call."""
    from hookwise._tracing import TraceEvent

    names = spec.param_names
    monitors, strict, max_depth, tracks = setup.monitors, setup.strict, setup.max_depth, setup.tracks_stack

    def enter(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, int]:
        arguments: dict[str, Any] = {**dict(zip(names, args, strict=False)), **kwargs}
        arguments.pop("_hw_prov", None)  # the provenance recorder, not an argument
        if strict:
            check_primitive(spec, arguments)
        token = None
        call_id = 0
        if tracks:
            stack = _STACK.get()
            if max_depth is not None and sum(frame.hook == spec.name for frame in stack) >= max_depth:
                times = "once" if max_depth == 1 else f"{max_depth} times"
                msg = (
                    f"hook {spec.name!r} was called again while it is running: {_describe(stack, spec.name)}; "
                    f"hooks that call each other in a loop never end. If it recurses on purpose, declare the "
                    f"spec with max_depth= (now it may run {times} on one call stack)"
                )
                raise ReentrancyError(msg, hook=spec.name, chain=[*(f.hook for f in stack), spec.name])
            call_id = next(_call_ids)
            parent = stack[-1].call_id if stack else None
            token = _STACK.set((*stack, Frame(spec.name, call_id)))
            if monitors:
                event = TraceEvent(
                    "call_start", spec.name, None, call_id, parent_id=parent, arguments=arguments, kind=spec.kind
                )
                for monitor in monitors:
                    monitor(event)
        return token, call_id

    def leave(token: Any, call_id: int, result: Any, error: BaseException | None, duration: float) -> None:
        if token is not None:
            _STACK.reset(token)
        if monitors:
            event = TraceEvent(
                "call_end", spec.name, None, call_id, result=result, error=error, duration=duration, kind=spec.kind
            )
            for monitor in monitors:
                monitor(event)

    if is_async:

        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            token, call_id = enter(args, kwargs)
            start = _clock()
            try:
                result = await caller(*args, **kwargs)
            except BaseException as error:
                leave(token, call_id, None, error, _clock() - start)
                raise
            leave(token, call_id, result, None, _clock() - start)
            return result

        return traced_async

    def traced(*args: Any, **kwargs: Any) -> Any:
        token, call_id = enter(args, kwargs)
        start = _clock()
        try:
            result = caller(*args, **kwargs)
        except BaseException as error:
            leave(token, call_id, None, error, _clock() - start)
            raise
        leave(token, call_id, result, None, _clock() - start)
        return result

    return traced
