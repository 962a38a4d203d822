"""Instrumentation: what monitors, budgets, strict contexts and re-entry detection do during a call.

Every shape of call (compiled or interpreted, sync or awaited, sequential or
concurrent, native or a face's) reaches the same four methods of
:class:`Instrumentation`:

- :meth:`~Instrumentation.enter` before the implementations run (strict
  arguments, the depth check, ``call_start``), and :meth:`~Instrumentation.leave`
  after (``call_end``, and what monitors failed at);
- :meth:`~Instrumentation.impl_start` / :meth:`~Instrumentation.impl_end`
  around each implementation (its events, its time against the budget), or
  :meth:`~Instrumentation.impl_failed` when it raised.

A hook with none of this has no instrumentation at all: its caller is the
plain one. A hook with only a budget times its implementations inline and
calls :meth:`~Instrumentation.over_budget` only when one runs over.

Monitors run outside the implementations' error handling: a monitor that
raises is never blamed on a plugin and never changes a call's outcome. What
it raised is reported after the call as a :class:`~hookwise.MonitorWarning`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, Final, final

from hookwise._guardrails import frozen, hidden_from_pytest, over_budget, reentered, warn_outside
from hookwise._text import told
from hookwise._tracing import TraceEvent
from hookwise.exceptions import BudgetExceededError, MonitorWarning

if TYPE_CHECKING:
    from hookwise._impl import HookImpl
    from hookwise._spec import HookSpec, OnBudget
    from hookwise._tracing import Monitor

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's

Clock = Callable[[], float]

_call_ids = itertools.count(1)
_SCALARS: Final = frozenset({str, int, float, bool, bytes, type(None)})
"""Exact types that pass a strict check at once (anything else is checked in depth)."""


@final
class CallFrame:
    """One instrumented hook call in progress.

    Attributes:
        hook: the hook's name.
        call_id: unique in the process; pairs the call's events.
        parent_id: the instrumented call this one runs inside, if any.
        plugin: the plugin whose implementation runs (or ran last).
        open: the implementation that started and has not ended yet.
        arguments: the call's arguments (when monitors want them).
        failures: what monitors raised during the call, reported when it ends.
    """

    __slots__ = ("arguments", "call_id", "failures", "hook", "open", "parent_id", "plugin", "started", "token")

    def __init__(self, hook: str, call_id: int, parent_id: int | None, arguments: Mapping[str, Any] | None) -> None:
        self.hook: str = hook
        self.call_id: int = call_id
        self.parent_id: int | None = parent_id
        self.arguments: Mapping[str, Any] | None = arguments
        self.plugin: str | None = None
        self.open: HookImpl | None = None
        self.failures: list[tuple[Monitor, TraceEvent, Exception]] | None = None
        self.token: Token[tuple[CallFrame, ...]] | None = None
        self.started: float = 0.0

    def __repr__(self) -> str:
        return f"{self.hook} ({self.plugin})" if self.plugin else self.hook


_STACK: ContextVar[tuple[CallFrame, ...]] = ContextVar("hookwise_calls", default=())
"""The instrumented calls running in the current context (thread or asyncio task), outermost first."""


@final
class Instrumentation:
    """What one hook is instrumented with, and the methods every call shape calls.

    Attributes:
        spec: the hook's spec.
        monitors: the monitors watching this hook.
        budget: seconds each implementation may take, or ``None``.
        on_budget: what happens over budget.
        strict: arguments must be primitive data.
        max_depth: how often the hook may run on one call stack, or ``None``.
        clock: the clock implementations are timed with.
        wraps_calls: calls need :meth:`enter` and :meth:`leave` (monitors, strict, depth).
        reports: implementations need :meth:`impl_start` and :meth:`impl_end` (monitors).
        times: implementations are only timed, inline (a budget and no monitor).
    """

    __slots__ = (
        "budget",
        "clock",
        "max_depth",
        "monitors",
        "on_budget",
        "reports",
        "spec",
        "strict",
        "times",
        "tracks",
        "wants_arguments",
        "wraps_calls",
    )

    def __init__(
        self,
        spec: HookSpec[..., Any],
        *,
        monitors: Sequence[Monitor] = (),
        budget: float | None = None,
        on_budget: OnBudget = "warn",
        strict: bool = False,
        max_depth: int | None = None,
        clock: Clock = time.perf_counter,
    ) -> None:
        self.spec: HookSpec[..., Any] = spec
        self.monitors: tuple[Monitor, ...] = tuple(monitors)
        self.budget: float | None = budget
        self.on_budget: OnBudget = "error" if on_budget == "veto" and spec.kind != "intercept" else on_budget
        self.strict: bool = strict
        self.max_depth: int | None = max_depth
        self.clock: Clock = clock
        self.reports: bool = bool(self.monitors)
        self.times: bool = budget is not None and not self.reports
        self.tracks: bool = self.reports or max_depth is not None  # calls go on the call stack
        self.wraps_calls: bool = self.tracks or strict
        self.wants_arguments: bool = strict or self.reports  # enter() gets the call's arguments

    @classmethod
    def for_hook(
        cls,
        spec: HookSpec[..., Any],
        monitors: Sequence[Monitor] = (),
        *,
        budget: float | None = None,
        on_budget: OnBudget = "warn",
        detect_reentry: bool = False,
        clock: Clock = time.perf_counter,
    ) -> Instrumentation | None:
        """A hook's instrumentation from its spec and its manager's settings; ``None`` when it needs none."""
        hook_budget = spec.budget if spec.budget is not None else budget
        max_depth = spec.max_depth if spec.max_depth is not None else (1 if detect_reentry else None)
        if not monitors and hook_budget is None and not spec.strict and max_depth is None:
            return None
        return cls(
            spec,
            monitors=monitors,
            budget=hook_budget,
            on_budget=spec.on_budget or on_budget,
            strict=spec.strict,
            max_depth=max_depth,
            clock=clock,
        )

    # -- calls ---------------------------------------------------------------------------------
    def enter(self, arguments: dict[str, Any] | None, wrappers: tuple[str, ...] = ()) -> CallFrame:
        """Before the implementations: check the arguments and the depth, put the call on the stack.

        ``arguments`` are the call's arguments when :attr:`wants_arguments` (a strict
        context or monitors), else ``None``; ``wrappers`` the plugins whose wrappers
        run around the implementations, outermost first (given when monitors report).
        A strict hook's arguments are frozen (``_guardrails.frozen``): the
        implementations get the frame's ``arguments``.

        Raises:
            HookCallError: a strict hook got an argument that is not primitive data.
            ReentrancyError: the hook is already running ``max_depth`` times on this stack.
        """
        if self.strict and arguments is not None and not all(type(v) in _SCALARS for v in arguments.values()):
            arguments = frozen(self.spec, arguments)
        if not self.tracks:
            return CallFrame(self.spec.name, 0, None, arguments)
        stack = _STACK.get()
        name = self.spec.name
        if stack and self.max_depth is not None:
            depth = 0
            for running in stack:
                depth += running.hook == name
            if depth >= self.max_depth:
                reentered(self.spec, [running.hook for running in stack], self.max_depth)
        frame = CallFrame(name, next(_call_ids), stack[-1].call_id if stack else None, arguments)
        frame.token = _STACK.set((*stack, frame))
        frame.started = self.clock()
        if self.monitors:
            event = TraceEvent(
                "call_start",
                name,
                None,
                frame.call_id,
                parent_id=frame.parent_id,
                arguments=arguments,
                kind=self.spec.kind,
            )
            if wrappers:
                event.wrappers = wrappers
            self._emit(frame, event)
        return frame

    def leave(self, frame: CallFrame, result: Any, error: BaseException | None) -> None:
        """After the implementations (and wrappers): take the call off the stack; report monitor failures."""
        if frame.token is None:
            return
        _STACK.reset(frame.token)
        frame.token = None
        if self.monitors:
            end = self.clock()
            event = TraceEvent(
                "call_end",
                frame.hook,
                None,
                frame.call_id,
                result=result,
                error=error,
                duration=end - frame.started,
                kind=self.spec.kind,
            )
            event.time = end  # its time less its duration is exactly when the call started
            self._emit(frame, event)
        if frame.failures:
            self._report(frame)

    # -- implementations -------------------------------------------------------------------
    def impl_start(self, frame: CallFrame | None, impl: HookImpl) -> float:
        """Before one implementation runs; returns its start time (``frame`` is ``None`` for timing only)."""
        if frame is not None:
            frame.plugin = impl.plugin_name
            frame.open = impl
            if self.monitors:
                event = TraceEvent(
                    "impl_start",
                    frame.hook,
                    impl.plugin_name,
                    frame.call_id,
                    arguments=frame.arguments,
                    kind=self.spec.kind,
                    function=impl.function,
                )
                self._emit(frame, event)
        return self.clock()

    def impl_end(self, frame: CallFrame | None, impl: HookImpl, started: float, result: Any) -> Any:
        """After one implementation returned: its time against the budget, its event; returns its result.

        Over budget, the result may become a ``Veto`` (``on_budget="veto"``), or
        :class:`~hookwise.BudgetExceededError` is raised as the implementation's
        own error, after its event (``on_budget="error"``).
        """
        end = self.clock()
        duration = end - started
        error: BudgetExceededError | None = None
        if self.budget is not None and duration > self.budget:
            try:
                result = over_budget(self.spec, impl, duration, self.budget, self.on_budget, result)
            except BudgetExceededError as exceeded:
                error = exceeded
        if frame is not None:
            frame.open = None
            if self.monitors:
                event = TraceEvent(
                    "impl_end",
                    frame.hook,
                    impl.plugin_name,
                    frame.call_id,
                    result=None if error else result,
                    error=error,
                    duration=duration,
                    kind=self.spec.kind,
                    function=impl.function,
                )
                event.budget = self.budget
                event.time = end  # its time less its duration is exactly when the implementation started
                self._emit(frame, event)
        if error is not None:
            raise error
        return result

    def impl_failed(self, frame: CallFrame | None, impl: HookImpl, started: float | None, error: BaseException) -> None:
        """One implementation raised: its event (unless :meth:`impl_end` already reported it)."""
        if frame is None or frame.open is not impl or started is None:
            return
        frame.open = None
        if self.monitors:
            end = self.clock()
            event = TraceEvent(
                "impl_end",
                frame.hook,
                impl.plugin_name,
                frame.call_id,
                error=error,
                duration=end - started,
                kind=self.spec.kind,
                function=impl.function,
            )
            event.time = end
            self._emit(frame, event)

    def over_budget(self, impl: HookImpl, duration: float, result: Any) -> Any:
        """An implementation timed inline ran over the budget: warn, veto or raise, as configured."""
        assert self.budget is not None  # noqa: S101 - only timed callers call this
        return over_budget(self.spec, impl, duration, self.budget, self.on_budget, result)

    # -- monitors ----------------------------------------------------------------------------
    def _emit(self, frame: CallFrame, event: TraceEvent) -> None:
        for monitor in self.monitors:
            try:
                monitor(event)
            except Exception as error:  # noqa: BLE001 - reported when the call ends; never the plugin's error
                if frame.failures is None:
                    frame.failures = []
                frame.failures.append((monitor, event, error))

    def _report(self, frame: CallFrame) -> None:
        failures, frame.failures = frame.failures or [], None
        for monitor, event, error in failures:
            name = getattr(monitor, "__qualname__", None) or type(monitor).__qualname__
            during = f" (plugin {event.plugin!r})" if event.plugin else ""
            msg = (
                f"monitor {name} raised {type(error).__name__}: {told(error)} at {event.phase} of hook "
                f"{event.hook!r}{during}; the call went on without it"
            )
            warn_outside(MonitorWarning(msg, monitor=monitor, hook=event.hook, phase=event.phase, error=error))
