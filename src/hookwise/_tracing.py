"""Tracing: events for every hook call and implementation, a recorder, and statistics.

A *monitor* is any callable taking a :class:`TraceEvent`. Add one with
``manager.add_monitor(monitor)`` (for all hooks, or some); it is called before
and after each call and each implementation. :class:`TraceRecorder` keeps a
trace and shows it as text, JSON or an HTML timeline; :class:`HookStats`
counts calls and time per hook and per plugin.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias, final

from hookwise._results import Allow, DispatchResult, Patch, Veto

_now = time.perf_counter

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
        time: ``time.perf_counter()`` when the event happened.
    """

    __slots__ = (
        "arguments",
        "call_id",
        "duration",
        "error",
        "hook",
        "kind",
        "parent_id",
        "phase",
        "plugin",
        "result",
        "time",
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
    ) -> None:
        self.phase: Phase = phase
        self.kind = kind
        self.hook = hook
        self.plugin = plugin
        self.call_id = call_id
        self.parent_id = parent_id
        self.arguments = arguments
        self.result = result
        self.error = error
        self.duration = duration
        self.time = _now()

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


def _brief(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@final
class ImplSpan:
    """One implementation's run inside a recorded call."""

    __slots__ = ("duration", "error", "plugin", "result", "start")

    def __init__(self, plugin: str, start: float) -> None:
        self.plugin = plugin
        self.start = start
        self.duration: float | None = None
        self.result: Any = None
        self.error: BaseException | None = None

    @property
    def outcome(self) -> str:
        return outcome_of(self.result, self.error)

    def as_dict(self, origin: float) -> dict[str, Any]:
        """JSON-ready data; times in milliseconds from ``origin``."""
        return {
            "plugin": self.plugin,
            "start_ms": round((self.start - origin) * 1000, 3),
            "duration_ms": None if self.duration is None else round(self.duration * 1000, 3),
            "outcome": self.outcome,
            "result": _brief(self.result),
            "error": None if self.error is None else f"{type(self.error).__name__}: {self.error}",
        }


@final
class CallSpan:
    """One recorded hook call, with its implementations' spans and the calls made inside it."""

    __slots__ = (
        "arguments",
        "call_id",
        "children",
        "duration",
        "error",
        "hook",
        "impls",
        "parent_id",
        "result",
        "start",
    )

    def __init__(self, event: TraceEvent) -> None:
        self.hook = event.hook
        self.call_id = event.call_id
        self.parent_id = event.parent_id
        self.arguments = dict(event.arguments or {})
        self.start = event.time
        self.duration: float | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.impls: list[ImplSpan] = []
        self.children: list[CallSpan] = []

    @property
    def outcome(self) -> str:
        return outcome_of(self.result, self.error)

    def as_dict(self, origin: float) -> dict[str, Any]:
        """JSON-ready data; times in milliseconds from ``origin``."""
        data: dict[str, Any] = {
            "hook": self.hook,
            "call_id": self.call_id,
            "start_ms": round((self.start - origin) * 1000, 3),
            "duration_ms": None if self.duration is None else round(self.duration * 1000, 3),
            "arguments": {name: _brief(value) for name, value in self.arguments.items()},
            "outcome": self.outcome,
            "implementations": [impl.as_dict(origin) for impl in self.impls],
            "calls": [child.as_dict(origin) for child in self.children],
        }
        if isinstance(self.result, DispatchResult):
            data["vetoed_by"] = self.result.vetoed_by
            data["reason"] = self.result.reason
            data["patched"] = dict(self.result.patched_by)
        if self.error is not None:
            data["error"] = f"{type(self.error).__name__}: {self.error}"
        return data


class TraceRecorder:
    """A monitor that keeps a trace of hook calls and shows it as text, JSON or an HTML timeline.

    Example::

        recorder = TraceRecorder()
        manager.add_monitor(recorder)
        run_the_application()
        print(recorder.format())
        Path("trace.html").write_text(recorder.to_html())
    """

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []
        self.calls: list[CallSpan] = []
        """The outermost recorded calls, in order; calls made inside them are their ``children``."""
        self._open: dict[int, CallSpan] = {}
        self._impls: dict[tuple[int, str], ImplSpan] = {}

    def __call__(self, event: TraceEvent) -> None:
        self.events.append(event)
        if event.phase == "call_start":
            started = CallSpan(event)
            self._open[event.call_id] = started
            parent = self._open.get(event.parent_id) if event.parent_id is not None else None
            (parent.children if parent is not None else self.calls).append(started)
            return
        span = self._open.get(event.call_id)
        if span is None:  # an implementation event of a hook whose calls are not monitored here
            return
        if event.phase == "impl_start":
            impl = ImplSpan(event.plugin or "?", event.time)
            span.impls.append(impl)
            self._impls[(event.call_id, impl.plugin)] = impl
        elif event.phase == "impl_end":
            impl = self._impls.pop((event.call_id, event.plugin or "?"))
            impl.duration, impl.result, impl.error = event.duration, event.result, event.error
        else:
            span.duration, span.result, span.error = event.duration, event.result, event.error
            del self._open[event.call_id]

    def clear(self) -> None:
        """Forget everything recorded."""
        self.events.clear()
        self.calls.clear()
        self._open.clear()
        self._impls.clear()

    @property
    def origin(self) -> float:
        """The time of the first recorded call (times in reports count from it)."""
        return self.calls[0].start if self.calls else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The trace as JSON-ready data: calls, nested, with their implementations."""
        return {"calls": [call.as_dict(self.origin) for call in self.calls]}

    def to_json(self) -> str:
        """The trace as a JSON document."""
        import json  # keep `import hookwise` fast

        return json.dumps(self.as_dict(), indent=2)

    def format(self) -> str:
        """The trace as an indented text tree, one line per call and per implementation."""
        lines: list[str] = []

        def render(call: CallSpan, depth: int) -> None:
            pad = "  " * depth
            args = ", ".join(f"{k}={_brief(v, 30)}" for k, v in call.arguments.items())
            lines.append(
                f"{pad}{call.hook}({args}) {_ms(call.duration)} {call.outcome}{_detail(call.result, call.error)}"
            )
            lines.extend(
                f"{pad}  - {impl.plugin} {_ms(impl.duration)} {impl.outcome}{_detail(impl.result, impl.error)}"
                for impl in call.impls
            )
            for child in call.children:
                render(child, depth + 1)

        for call in self.calls:
            render(call, 0)
        return "\n".join(lines)

    def to_html(self, title: str = "hookwise trace") -> str:
        """A self-contained HTML page drawing the trace as a timeline."""
        from hookwise._timeline import render_html

        return render_html(self.as_dict(), title=title)


def _ms(duration: float | None) -> str:
    return "(running)" if duration is None else f"{duration * 1000:.2f} ms"


def _detail(result: Any, error: BaseException | None) -> str:
    if error is not None:
        return f": {type(error).__name__}: {_brief(str(error), 70)[1:-1]}"
    if isinstance(result, Veto):
        return f": {result.reason}"
    if isinstance(result, Patch):
        return f": {dict(result.data)}"
    if isinstance(result, DispatchResult):
        return f" by {result.vetoed_by!r}: {result.reason}" if result.vetoed else ""
    return f" {_brief(result, 40)}" if result is not None and not isinstance(result, Allow) else ""


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
        """A table: per hook, then per plugin within it: calls, total and mean time, errors."""
        lines = [f"{'hook / plugin':<48} {'calls':>7} {'total ms':>10} {'mean us':>9} {'errors':>6}"]
        for hook, (calls, total, errors) in sorted(self.hooks.items()):
            lines.append(f"{hook:<48} {calls:>7.0f} {total * 1000:>10.3f} {total / calls * 1e6:>9.1f} {errors:>6.0f}")
            for (owner, plugin), (n, spent, failed) in sorted(self.plugins.items()):
                if owner == hook:
                    lines.append(
                        f"  {plugin:<46} {n:>7.0f} {spent * 1000:>10.3f} {spent / n * 1e6:>9.1f} {failed:>6.0f}"
                    )
        return "\n".join(lines)
