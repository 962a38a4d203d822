"""Tracing: events for every hook call and implementation, a recorder, and statistics.

A *monitor* is any callable taking a :class:`TraceEvent`. Add one with
``manager.add_monitor(monitor)`` (for all hooks, or some); it is called before
and after each call and each implementation. :class:`TraceRecorder` keeps a
trace and shows it as text, JSON or an HTML timeline; :class:`HookStats`
counts calls and time per hook and per plugin.
"""

from __future__ import annotations

import sys
import time
from _thread import get_ident  # threading.get_ident, without importing threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypeAlias, final

from hookwise._results import Allow, DispatchResult, Patch, Veto
from hookwise._text import cut, printable, shown, told

_now = time.perf_counter
_WALL: Final = time.time() - time.perf_counter()
"""Add to a ``perf_counter`` time to get seconds since the epoch (absolute timestamps for exports)."""


def _task() -> int | None:
    """The id of the asyncio task running now, or None outside one."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    loop = asyncio.events._get_running_loop()  # noqa: SLF001 - asyncio's cheap check, public in asyncio.events
    if loop is None:
        return None
    task = asyncio.current_task(loop)
    return None if task is None else id(task)


Phase: TypeAlias = Literal["call_start", "call_end", "impl_start", "impl_end"]

Monitor: TypeAlias = Callable[["TraceEvent"], None]
"""Anything that takes a :class:`TraceEvent`: a function, or an object with ``__call__``."""


@final
class TraceEvent:
    """One moment of a hook call.

    Attributes:
        phase: ``"call_start"``, ``"call_end"``, ``"impl_start"`` or ``"impl_end"``.
        hook: the hook's name.
        kind: the hook's kind (``"collect"``, ``"first"``, ``"intercept"``, ``"observe"``).
        plugin: the implementing plugin (implementation events), else ``None``.
        call_id: the call this event belongs to (unique in the process).
        parent_id: for ``call_start``, the call this one runs inside, if any.
        arguments: the arguments (start events).
        result: what the call or implementation returned (end events).
        error: the exception it raised (end events), or ``None``.
        duration: seconds it took (end events).
        time: ``time.perf_counter()`` when the event happened (for an end event, exactly where its ``duration`` ends).
        function: the implementation's function (implementation events), else ``None``.
        thread: ``threading.get_ident()`` of the thread it happened in.
        task: ``id()`` of the asyncio task it happened in, or ``None`` outside one.
        wrappers: for ``call_start``, the plugins whose wrappers run around the
            implementations, outermost first (empty for other events).
        budget: for ``impl_end``, the seconds the implementation was allowed
            (``None``: no budget); ``duration > budget`` means it ran over.
    """

    __slots__ = (
        "arguments",
        "budget",
        "call_id",
        "duration",
        "error",
        "function",
        "hook",
        "kind",
        "parent_id",
        "phase",
        "plugin",
        "result",
        "task",
        "thread",
        "time",
        "wrappers",
    )

    def __init__(
        self,
        phase: Phase,
        hook: str,
        plugin: str | None,
        call_id: int,
        *,
        parent_id: int | None = None,
        arguments: Mapping[str, Any] | None = None,
        result: Any = None,
        error: BaseException | None = None,
        duration: float | None = None,
        kind: str = "collect",
        function: Callable[..., Any] | None = None,
    ) -> None:
        self.phase: Phase = phase
        self.kind: str = kind
        self.hook: str = hook
        self.plugin: str | None = plugin
        self.call_id: int = call_id
        self.parent_id: int | None = parent_id
        self.arguments: Mapping[str, Any] | None = arguments
        self.result: Any = result
        self.error: BaseException | None = error
        self.duration: float | None = duration
        self.function: Callable[..., Any] | None = function
        self.time: float = _now()
        self.thread: int = get_ident()
        self.task: int | None = _task()
        self.wrappers: tuple[str, ...] = ()
        self.budget: float | None = None

    def __repr__(self) -> str:
        who = f" {self.plugin}" if self.plugin else ""
        return f"<TraceEvent {self.phase} {self.hook}{who} call={self.call_id}>"


def outcome_of(result: Any, error: BaseException | None) -> str:
    """A short word for what happened: ``raised``, ``vetoed``, ``patched``, ``allowed`` or ``returned``."""
    if error is not None:
        return "raised"
    if isinstance(result, Veto) or (isinstance(result, DispatchResult) and result.vetoed):
        return "vetoed"
    if isinstance(result, Patch) or (isinstance(result, DispatchResult) and result.patches):
        return "patched"
    if isinstance(result, DispatchResult | Allow):
        return "allowed"
    return "returned"


def _failure(error: BaseException) -> str:
    return f"{type(error).__name__}: {told(error, 120)}"


def _detail(result: Any, error: BaseException | None) -> str:
    """What a text line says after the outcome: the error, the veto, the patch, the value."""
    if error is not None:
        return f": {_failure(error)}"
    if isinstance(result, Veto):
        return f": {told(result.reason, 120)}"
    if isinstance(result, Patch):
        return f": {shown(dict(result.data), 120)}"
    if isinstance(result, DispatchResult):
        return f" by {shown(result.vetoed_by, 60)}: {told(result.reason, 120)}" if result.vetoed else ""
    return f" {shown(result, 40)}" if result is not None and not isinstance(result, Allow) else ""


@final
class ImplSpan:
    """One implementation's run inside a recorded call, as it was when it ended.

    Attributes:
        plugin: the plugin.
        start: ``time.perf_counter()`` when it started.
        duration: seconds it took, or ``None`` while it runs.
        outcome: ``returned``, ``allowed``, ``patched``, ``vetoed``, ``raised`` (or ``running``).
        result: a summary of what it returned (a bounded ``repr``), or ``None``.
        error: ``"Type: message"`` of what it raised, or ``None``.
        budget: the seconds it was allowed, or ``None`` (no budget).
    """

    __slots__ = ("budget", "detail", "duration", "error", "lane", "outcome", "plugin", "result", "start")

    def __init__(self, plugin: str, start: float, lane: tuple[int, int | None] = (0, None)) -> None:
        self.plugin: str = plugin
        self.start: float = start
        self.lane: tuple[int, int | None] = lane  # (thread, task) it ran in
        self.duration: float | None = None
        self.outcome: str = "running"
        self.result: str | None = None
        self.error: str | None = None
        self.detail: str = ""
        self.budget: float | None = None

    @property
    def over_budget(self) -> bool:
        """Whether it took longer than its budget."""
        return self.budget is not None and self.duration is not None and self.duration > self.budget

    def ended(self, event: TraceEvent) -> None:
        """Take the summary of an ``impl_end`` event (and the real start: its end less its duration)."""
        self.duration = event.duration
        self.budget = event.budget
        if event.duration is not None:
            self.start = event.time - event.duration  # the start event came before the monitors ran
        self.outcome = outcome_of(event.result, event.error)
        self.result = None if event.result is None else shown(event.result, 60)
        self.error = None if event.error is None else _failure(event.error)
        self.detail = _detail(event.result, event.error)

    def as_dict(self, origin: float) -> dict[str, Any]:
        """JSON-ready data; times in milliseconds from ``origin``."""
        return {
            "plugin": self.plugin,
            "start_ms": round((self.start - origin) * 1000, 3),
            "duration_ms": None if self.duration is None else round(self.duration * 1000, 3),
            "outcome": self.outcome,
            "result": self.result,
            "error": self.error,
            "budget_ms": None if self.budget is None else round(self.budget * 1000, 3),
            "over_budget": self.over_budget,
            "thread": self.lane[0],
            "task": self.lane[1],
        }


@final
class CallSpan:
    """One recorded hook call, with its implementations' spans and the calls made inside it.

    It holds summaries taken when the call happened (bounded ``repr``\\ s), not the
    arguments or results themselves: a later change to a mutable argument does not
    change the trace, and the trace keeps nothing alive.

    Attributes:
        hook, call_id, parent_id: the call, and the call it ran inside.
        start, duration: ``time.perf_counter()`` at its start; seconds it took (``None`` while it runs).
        arguments: each argument's summary.
        outcome, result, error: what it returned or raised, summarised.
        vetoed_by, reason, patched: for intercept hooks, who vetoed and why, who patched what.
        impls: the implementations' spans; children: calls made inside it.
        wrappers: the plugins whose wrappers ran around the implementations, outermost first.
        lane: ``(thread, task)`` the call started in (see :class:`TraceEvent`).
        values: the arguments themselves, only for recorders made with ``keep_values=True``.
    """

    __slots__ = (
        "arguments",
        "call_id",
        "children",
        "detail",
        "duration",
        "error",
        "hook",
        "impls",
        "lane",
        "outcome",
        "parent_id",
        "patched",
        "reason",
        "result",
        "root",
        "size",
        "start",
        "values",
        "vetoed_by",
        "wrappers",
    )

    def __init__(self, event: TraceEvent, *, keep_values: bool = False) -> None:
        self.hook: str = event.hook
        self.call_id: int = event.call_id
        self.parent_id: int | None = event.parent_id
        arguments = event.arguments or {}
        self.arguments: dict[str, str] = {name: shown(value, 60) for name, value in arguments.items()}
        self.values: dict[str, Any] | None = dict(arguments) if keep_values else None
        self.start: float = event.time
        self.lane: tuple[int, int | None] = (event.thread, event.task)
        self.duration: float | None = None
        self.outcome: str = "running"
        self.result: str | None = None
        self.error: str | None = None
        self.detail: str = ""
        self.vetoed_by: str | None = None
        self.reason: str | None = None
        self.patched: dict[str, str] = {}
        self.impls: list[ImplSpan] = []
        self.wrappers: tuple[str, ...] = event.wrappers
        self.children: list[CallSpan] = []
        self.root: CallSpan = self
        self.size: int = 1  # spans in this call's tree (for the root)

    def ended(self, event: TraceEvent) -> None:
        """Take the summary of the ``call_end`` event (and the real start: its end less its duration)."""
        result = event.result
        self.duration = event.duration
        if event.duration is not None:
            self.start = event.time - event.duration
        self.outcome = outcome_of(result, event.error)
        self.result = None if result is None else shown(result, 60)
        self.error = None if event.error is None else _failure(event.error)
        self.detail = _detail(result, event.error)
        if isinstance(result, DispatchResult):
            self.vetoed_by = result.vetoed_by
            self.reason = None if result.reason is None else told(result.reason)
            self.patched = {str(key): plugin for key, plugin in result.patched_by.items()}

    def as_dict(self, origin: float) -> dict[str, Any]:
        """JSON-ready data; times in milliseconds from ``origin``."""
        data: dict[str, Any] = {
            "hook": self.hook,
            "call_id": self.call_id,
            "start_ms": round((self.start - origin) * 1000, 3),
            "duration_ms": None if self.duration is None else round(self.duration * 1000, 3),
            "arguments": dict(self.arguments),
            "outcome": self.outcome,
            "thread": self.lane[0],
            "task": self.lane[1],
            "wrappers": list(self.wrappers),
            "implementations": [impl.as_dict(origin) for impl in self.impls],
            "calls": [child.as_dict(origin) for child in self.children],
        }
        if self.vetoed_by is not None or self.patched or self.reason is not None:
            data["vetoed_by"] = self.vetoed_by
            data["reason"] = self.reason
            data["patched"] = dict(self.patched)
        if self.error is not None:
            data["error"] = self.error
        return data


class TraceRecorder:
    """A monitor that keeps a trace of recent hook calls and shows it as text, JSON or an HTML timeline.

    It keeps the most recent ``max_calls`` calls, nested ones included (when a new
    call would pass the bound, the oldest outermost calls are dropped), and
    summaries rather than the values themselves: about 1 KB per call, so 10 MB at
    the default bound. Export never fails on a value whose ``repr`` raises, and the
    text form escapes control characters.

    Args:
        max_calls: how many calls to keep (10,000 by default).
        keep_values: also keep each call's arguments themselves (``CallSpan.values``),
            for assertions in tests.

    Example::

        recorder = TraceRecorder()
        manager.add_monitor(recorder)
        run_the_application()
        print(recorder.format())
        Path("trace.html").write_text(recorder.to_html())
    """

    def __init__(self, max_calls: int = 10_000, *, keep_values: bool = False) -> None:
        if max_calls < 1:
            msg = f"max_calls must be at least 1, not {max_calls!r}"
            raise ValueError(msg)
        self.max_calls = max_calls
        self.keep_values = keep_values
        self.calls: deque[CallSpan] = deque()
        """The outermost recorded calls, oldest first; calls made inside them are their ``children``."""
        self.dropped: int = 0
        """How many calls were dropped to stay within ``max_calls``."""
        self._kept = 0
        self._open: dict[int, CallSpan] = {}
        self._impls: dict[tuple[int, str], ImplSpan] = {}

    def __call__(self, event: TraceEvent) -> None:
        if event.phase == "call_start":
            self._started(event)
            return
        span = self._open.get(event.call_id)
        if span is None:  # an implementation event of a hook whose calls are not monitored here
            return
        plugin = event.plugin or "?"
        if event.phase == "impl_start":
            impl = ImplSpan(plugin, event.time, (event.thread, event.task))
            span.impls.append(impl)
            self._impls[(event.call_id, plugin)] = impl
        elif event.phase == "impl_end":
            started = self._impls.pop((event.call_id, plugin), None)
            if started is not None:
                started.ended(event)
        else:
            span.ended(event)
            del self._open[event.call_id]

    def _started(self, event: TraceEvent) -> None:
        span = CallSpan(event, keep_values=self.keep_values)
        parent = self._open.get(event.parent_id) if event.parent_id is not None else None
        if parent is not None:
            parent.children.append(span)
            span.root = parent.root
            span.root.size += 1
        else:
            self.calls.append(span)
        self._open[event.call_id] = span
        self._kept += 1
        while self._kept > self.max_calls and len(self.calls) > 1:
            oldest = self.calls.popleft()
            self._kept -= oldest.size
            self.dropped += oldest.size

    def clear(self) -> None:
        """Forget everything recorded."""
        self.calls.clear()
        self._open.clear()
        self._impls.clear()
        self._kept = 0
        self.dropped = 0

    @property
    def origin(self) -> float:
        """The time of the first recorded call (times in reports count from it)."""
        return self.calls[0].start if self.calls else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The trace as JSON-ready data: calls, nested, with their implementations."""
        return {"calls": [call.as_dict(self.origin) for call in self.calls], "dropped": self.dropped}

    def to_json(self) -> str:
        """The trace as a JSON document."""
        import json  # keep `import hookwise` fast

        return json.dumps(self.as_dict(), indent=2)

    def format(self) -> str:
        """The trace as an indented text tree, one line per call and per implementation (control characters escaped)."""
        lines: list[str] = []

        def render(call: CallSpan, depth: int) -> None:
            pad = "  " * depth
            args = ", ".join(f"{name}={cut(value, 30)}" for name, value in call.arguments.items())
            lines.append(printable(f"{pad}{call.hook}({args}) {_ms(call.duration)} {call.outcome}{call.detail}"))
            lines.extend(
                printable(f"{pad}  - {impl.plugin} {_ms(impl.duration)} {impl.outcome}{impl.detail}")
                for impl in call.impls
            )
            for child in call.children:
                render(child, depth + 1)

        if self.dropped:
            lines.append(f"({self.dropped} earlier calls dropped: the recorder keeps {self.max_calls})")
        for call in self.calls:
            render(call, 0)
        return "\n".join(lines)

    def to_chrome_trace(self) -> str:
        """The trace in Chrome's trace-event format (JSON), which Perfetto and ``chrome://tracing`` open.

        Each call and each implementation is a complete event (``"ph": "X"``)
        with an absolute timestamp (microseconds since the epoch) and its
        duration; each thread, and each asyncio task in it, is a lane of its own
        (a ``tid``, named by a ``thread_name`` metadata event), so calls that
        overlap in two threads or tasks are drawn side by side. A call still
        running when exported has no duration yet and is left out.
        """
        import json  # keep `import hookwise` fast
        import os

        pid = os.getpid()
        lanes: dict[tuple[int, int | None], int] = {}
        events: list[dict[str, Any]] = [
            {"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": "hookwise trace"}}
        ]

        def lane(key: tuple[int, int | None]) -> int:
            tid = lanes.get(key)
            if tid is None:
                tid = lanes[key] = len(lanes) + 1
                thread, task = key
                name = f"thread {thread}" if task is None else f"thread {thread}, task {task:#x}"
                events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid, "args": {"name": name}})
                events.append(
                    {"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid, "args": {"sort_index": tid}}
                )
            return tid

        def span(name: str, category: str, start: float, duration: float, where: int, args: dict[str, Any]) -> None:
            events.append(
                {
                    "name": name,
                    "cat": category,
                    "ph": "X",
                    "ts": round((start + _WALL) * 1e6, 3),
                    "dur": round(duration * 1e6, 3),
                    "pid": pid,
                    "tid": where,
                    "args": args,
                }
            )

        def add(call: CallSpan) -> None:
            if call.duration is not None:
                args: dict[str, Any] = {"arguments": dict(call.arguments), "outcome": call.outcome}
                if call.result is not None:
                    args["result"] = call.result
                if call.error is not None:
                    args["error"] = call.error
                if call.vetoed_by is not None:
                    args["vetoed_by"], args["reason"] = call.vetoed_by, call.reason
                if call.patched:
                    args["patched"] = dict(call.patched)
                span(call.hook, "hook", call.start, call.duration, lane(call.lane), args)
            for impl in call.impls:
                if impl.duration is not None:
                    details = {"hook": call.hook, "outcome": impl.outcome, "result": impl.result, "error": impl.error}
                    span(impl.plugin, "implementation", impl.start, impl.duration, lane(impl.lane), details)
            for child in call.children:
                add(child)

        for call in self.calls:
            add(call)
        return json.dumps({"traceEvents": events, "displayTimeUnit": "ms", "otherData": {"dropped": self.dropped}})

    def to_html(self, title: str = "hookwise trace") -> str:
        """A self-contained HTML page drawing the trace as a timeline.

        A lane per thread and asyncio task; each call with its wrappers, its
        implementations coloured by outcome (over budget: outlined in red) and
        the calls made inside it; ticks in the axis' unit; zoom buttons (or
        ``#zoom=N`` in the address). Nothing is fetched.
        """
        from hookwise._timeline import render_html

        return render_html(self.as_dict(), title=title)


def _ms(duration: float | None) -> str:
    return "(running)" if duration is None else f"{duration * 1000:.2f} ms"


class HookStats:
    """A monitor that counts calls and time per hook and per plugin.

    ``stats.hooks[name]`` and ``stats.plugins[(hook, plugin)]`` are
    ``[calls, total seconds, errors]``; :meth:`format` prints a table.
    """

    def __init__(self) -> None:
        self.hooks: dict[str, list[float]] = {}
        self.plugins: dict[tuple[str, str], list[float]] = {}

    def __call__(self, event: TraceEvent) -> None:
        if event.phase == "call_end":
            row = self.hooks.setdefault(event.hook, [0, 0.0, 0])
        elif event.phase == "impl_end":
            row = self.plugins.setdefault((event.hook, event.plugin or "?"), [0, 0.0, 0])
        else:
            return
        row[0] += 1
        row[1] += event.duration or 0.0
        row[2] += event.error is not None

    def format(self) -> str:
        """A table: per hook, then per plugin within it: calls, total and mean time, errors (names escaped)."""
        lines = [f"{'hook / plugin':<48} {'calls':>7} {'total ms':>10} {'mean us':>9} {'errors':>6}"]
        for hook, (calls, total, errors) in sorted(self.hooks.items()):
            name = printable(hook)
            lines.append(f"{name:<48} {calls:>7.0f} {total * 1000:>10.3f} {total / calls * 1e6:>9.1f} {errors:>6.0f}")
            for (owner, plugin), (n, spent, failed) in sorted(self.plugins.items()):
                if owner == hook:
                    who = printable(plugin)
                    lines.append(f"  {who:<46} {n:>7.0f} {spent * 1000:>10.3f} {spent / n * 1e6:>9.1f} {failed:>6.0f}")
        return "\n".join(lines)
