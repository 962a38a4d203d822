"""Monitors, the trace recorder (text, JSON, HTML timeline) and statistics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import threading
import time
import weakref
from typing import Any

from hookwise import HookManager, HookStats, Patch, TraceEvent, TraceRecorder, Veto, hookimpl, hookspec


class Specs:
    @hookspec(kind="intercept")
    def before_save(self, title: str) -> None: ...

    @hookspec
    def labels(self, title: str) -> str:
        raise NotImplementedError


class Tagger:
    @hookimpl(priority=1)
    def before_save(self, title: str) -> Patch:
        return Patch({"title": title.strip()})

    @hookimpl
    def labels(self, title: str) -> str:
        return "work"


class Guard:
    def __init__(self, hooks: HookManager[Specs]) -> None:
        self.hooks = hooks

    @hookimpl(priority=2)
    def before_save(self, title: str) -> Veto | None:
        labels = self.hooks.call.labels(title=title)  # a hook called inside a hook: a nested call
        return Veto("no work on weekends") if "work" in labels else None


def traced() -> tuple[HookManager[Specs], TraceRecorder]:
    hooks = HookManager(Specs)
    hooks.register(Tagger())
    hooks.register(Guard(hooks))
    recorder = TraceRecorder()
    hooks.add_monitor(recorder)
    return hooks, recorder


def test_monitors_see_every_call_and_implementation_with_arguments_outcome_and_duration() -> None:
    hooks = HookManager(Specs)
    hooks.register(Tagger())
    events: list[TraceEvent] = []
    hooks.add_monitor(events.append)
    hooks.call.before_save(title=" x ")
    assert [(e.phase, e.plugin) for e in events] == [
        ("call_start", None),
        ("impl_start", "Tagger"),
        ("impl_end", "Tagger"),
        ("call_end", None),
    ]
    start, impl_start, impl_end, end = events
    assert start.arguments == {"title": " x "}
    assert impl_start.arguments == {"title": " x "}
    assert impl_end.result == Patch({"title": "x"})
    assert impl_end.duration is not None
    assert impl_end.duration >= 0
    assert end.duration is not None
    assert end.duration >= impl_end.duration
    assert end.result.patches == {"title": "x"}
    assert {e.call_id for e in events} == {start.call_id}
    assert {e.kind for e in events} == {"intercept"}


def test_the_recorder_nests_calls_made_inside_implementations() -> None:
    hooks, recorder = traced()
    result = hooks.call.before_save(title=" report ")
    assert result.vetoed
    (call,) = recorder.calls
    assert (call.hook, call.outcome, [i.plugin for i in call.impls]) == ("before_save", "vetoed", ["Tagger", "Guard"])
    (nested,) = call.children
    assert (nested.hook, nested.arguments, nested.result) == ("labels", {"title": "'report'"}, "['work']")
    lines = recorder.format().splitlines()
    assert lines[0].startswith("before_save(title=' report ') ")
    assert lines[0].endswith("vetoed by 'Guard': no work on weekends")
    assert lines[1].startswith("  - Tagger ")
    assert lines[1].endswith("patched: {'title': 'report'}")
    assert lines[2].startswith("  - Guard ")
    assert lines[2].endswith("vetoed: no work on weekends")
    assert lines[3].startswith("  labels(title='report') ")
    assert lines[4].startswith("    - Tagger ")
    assert lines[4].endswith("returned 'work'")


def test_the_trace_as_json() -> None:
    hooks, recorder = traced()
    hooks.call.before_save(title="x")
    data = json.loads(recorder.to_json())
    (call,) = data["calls"]
    assert call["hook"] == "before_save"
    assert (call["vetoed_by"], call["reason"], call["patched"]) == ("Guard", "no work on weekends", {"title": "Tagger"})
    assert [impl["plugin"] for impl in call["implementations"]] == ["Tagger", "Guard"]
    assert call["calls"][0]["hook"] == "labels"
    assert call["start_ms"] == 0.0


def test_the_trace_as_an_html_timeline() -> None:
    hooks, recorder = traced()
    hooks.call.before_save(title="<b>")
    page = recorder.to_html(title="a <trace>")
    assert page.startswith("<!doctype html>")
    assert "<svg" in page
    assert page.count("<rect") >= 5
    assert "<title>a &lt;trace&gt;</title>" in page
    assert "title = &#x27;&lt;b&gt;&#x27;" in page  # arguments are escaped
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # self-contained: nothing fetched


def test_errors_are_recorded() -> None:
    class Broken:
        @hookimpl
        def labels(self) -> str:
            raise KeyError("gone")

    hooks = HookManager(Specs)
    hooks.register(Broken())
    recorder = TraceRecorder()
    hooks.add_monitor(recorder)
    with contextlib.suppress(KeyError):
        hooks.call.labels(title="x")
    (call,) = recorder.calls
    assert (call.outcome, call.impls[0].outcome) == ("raised", "raised")
    assert recorder.format().splitlines()[1].endswith("raised: KeyError: 'gone'")
    assert json.loads(recorder.to_json())["calls"][0]["error"] == "KeyError: 'gone'"


def test_monitors_can_watch_some_hooks_and_be_removed() -> None:
    hooks = HookManager(Specs)
    hooks.register(Tagger())
    events: list[TraceEvent] = []
    remove = hooks.add_monitor(events.append, hooks=["labels"])
    hooks.call.before_save(title="x")
    hooks.call.labels(title="x")
    assert {e.hook for e in events} == {"labels"}
    remove()
    hooks.call.labels(title="x")
    assert len(events) == 4
    hooks.remove_monitor(events.append)  # removing again does nothing


def test_awaited_calls_are_traced_too() -> None:
    class AsyncLabels:
        @hookimpl
        async def labels(self) -> str:
            return "async"

    hooks = HookManager(Specs)
    hooks.register(AsyncLabels())
    recorder = TraceRecorder()
    hooks.add_monitor(recorder)
    assert asyncio.run(hooks.call.labels.acall(title="x")) == ["async"]
    assert [i.plugin for i in recorder.calls[0].impls] == ["AsyncLabels"]


def test_handlers_registered_by_name_report_their_context() -> None:
    hooks = HookManager()
    hooks.add_spec("todos.before", ["task_id"], kind="intercept")
    hooks.register("todos.before", lambda context: None, name="h")
    events: list[TraceEvent] = []
    hooks.add_monitor(events.append)
    hooks.dispatch("todos.before", {"task_id": 7})
    assert dict(events[1].arguments or {}) == {"task_id": 7}


def test_statistics_count_calls_and_time_per_hook_and_plugin() -> None:
    hooks, _ = traced()
    stats = HookStats()
    hooks.add_monitor(stats)
    for _ in range(3):
        hooks.call.before_save(title="x")
    assert stats.hooks["before_save"][0] == 3
    assert stats.hooks["labels"][0] == 3
    assert stats.plugins[("before_save", "Guard")][0] == 3
    assert stats.plugins[("labels", "Tagger")][2] == 0
    table = stats.format().splitlines()
    assert table[0].split() == ["hook", "/", "plugin", "calls", "total", "ms", "mean", "us", "errors"]
    assert table[1].split()[:2] == ["before_save", "3"]
    assert [line.split()[0] for line in table[2:4]] == ["Guard", "Tagger"]


def test_clearing_a_recorder() -> None:
    hooks, recorder = traced()
    hooks.call.labels(title="x")
    recorder.clear()
    assert (list(recorder.calls), recorder.format(), recorder.origin) == ([], "", 0.0)


def test_implementation_events_of_unmonitored_calls_are_ignored() -> None:
    recorder = TraceRecorder()
    recorder(TraceEvent("impl_start", "h", "p", 99))
    assert list(recorder.calls) == []


def test_monitors_receive_events_in_a_thread_safe_manager_after_registration_changes() -> None:
    hooks = HookManager(Specs)
    events: list[Any] = []
    hooks.add_monitor(events.append)
    hooks.register(Tagger())  # registered after the monitor: still monitored
    hooks.call.labels(title="x")
    assert [e.plugin for e in events if e.phase == "impl_end"] == ["Tagger"]


# -- bounded, and safe with any value ----------------------------------------------------------------


def test_the_recorder_keeps_the_most_recent_calls_nested_ones_counted() -> None:
    hooks = HookManager(Specs)
    hooks.register(Tagger())
    hooks.register(Guard(hooks))
    recorder = TraceRecorder(max_calls=5)
    hooks.add_monitor(recorder)
    for index in range(6):  # each call is two spans: before_save, and labels inside it
        hooks.call.before_save(title=f"t{index}")
    assert [call.arguments["title"] for call in recorder.calls] == ["'t4'", "'t5'"]
    assert recorder.dropped == 8
    assert recorder.format().splitlines()[0] == "(8 earlier calls dropped: the recorder keeps 5)"
    assert json.loads(recorder.to_json())["dropped"] == 8


def test_the_recorder_summarises_arguments_when_the_call_happens() -> None:
    hooks = HookManager(Specs)
    hooks.register(Tagger())
    recorder = TraceRecorder()
    hooks.add_monitor(recorder)
    tags = ["a"]
    hooks.hook("labels")(title=tags)
    tags.append("changed later")
    assert recorder.calls[0].arguments == {"title": "['a']"}


def test_the_recorder_keeps_nothing_alive() -> None:
    class Payload:
        pass

    hooks = HookManager(Specs)
    hooks.register(Tagger())
    recorder = TraceRecorder()
    hooks.add_monitor(recorder)
    payload = Payload()
    alive = weakref.ref(payload)
    hooks.hook("labels")(title=payload)
    del payload
    gc.collect()
    assert alive() is None
    assert recorder.calls[0].arguments["title"].startswith("<tests.test_tracing")


class Hostile:
    def __repr__(self) -> str:
        raise ValueError("no repr")

    def __str__(self) -> str:
        raise ValueError("no str")


class HostileReason(str):
    __slots__ = ()

    def __repr__(self) -> str:
        raise ValueError("no repr")

    def __str__(self) -> str:
        raise ValueError("no str")


def test_export_never_fails_on_hostile_values() -> None:
    hooks = HookManager()
    hooks.add_spec("h", ["x"], kind="intercept")
    hooks.register("h", lambda context: Veto(HostileReason("r")), name="vetoer")
    recorder = TraceRecorder()
    hooks.add_monitor(recorder)
    hooks.hook("h")(x=Hostile())
    text, data, page = recorder.format(), json.loads(recorder.to_json()), recorder.to_html()
    assert text.startswith("h(x=<Hostile object; its repr rais")
    assert data["calls"][0]["arguments"] == {"x": "<Hostile object; its repr raised ValueError>"}
    assert data["calls"][0]["reason"] == "r"  # the text itself, whatever its class's __str__ does
    assert "vetoer" in page


def test_text_output_escapes_control_characters() -> None:
    """A plugin name or a reason cannot forge log lines or move the cursor."""
    hooks = HookManager()
    hooks.add_spec("h", [], kind="intercept")
    forged = "evil\nINFO all good\x1b[2K"
    hooks.register("h", lambda context: Veto(forged), name=forged)
    recorder, stats = TraceRecorder(), HookStats()
    hooks.add_monitor(recorder)
    hooks.add_monitor(stats)
    hooks.hook("h")()
    text = recorder.format()
    assert len(text.splitlines()) == 2
    assert "evil\\nINFO all good\\x1b[2K" in text
    assert "\x1b" not in text
    assert "\x1b" not in stats.format()
    assert len(stats.format().splitlines()) == 3


def chrome_spans(recorder: TraceRecorder) -> tuple[list[dict[str, Any]], dict[int, str]]:
    document = json.loads(recorder.to_chrome_trace())
    events = document["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    spans = [e for e in events if e["ph"] == "X"]
    for span in spans:
        assert isinstance(span["ts"], float | int)
        assert isinstance(span["dur"], float | int)
        assert span["dur"] >= 0
        assert span["tid"] in names  # every lane is named
    return spans, names


def test_a_chrome_trace_has_absolute_times_and_calls_nesting_their_implementations() -> None:
    hooks, recorder = traced()
    before = time.time() * 1e6
    hooks.call.before_save(title=" weekend work ")
    after = time.time() * 1e6
    spans, names = chrome_spans(recorder)
    assert [(s["cat"], s["name"]) for s in spans] == [
        ("hook", "before_save"),
        ("implementation", "Tagger"),
        ("implementation", "Guard"),
        ("hook", "labels"),
        ("implementation", "Tagger"),
    ]
    outer = spans[0]
    assert before - 1000 <= outer["ts"] <= after + 1000  # microseconds since the epoch
    assert outer["args"]["vetoed_by"] == "Guard"
    assert outer["args"]["reason"] == "no work on weekends"
    for inner in spans[1:]:
        assert outer["ts"] <= inner["ts"] <= inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"] + 1
    assert len(names) == 1  # one thread, no task


def test_calls_overlapping_in_two_threads_and_two_tasks_get_lanes_of_their_own() -> None:
    barrier = threading.Barrier(2)

    class Waiting:
        @hookimpl
        def labels(self, title: str) -> str:
            barrier.wait(10)  # both threads are inside the hook at once
            return title

    hooks = HookManager(Specs)
    hooks.register(Waiting())
    recorder = TraceRecorder()
    hooks.add_monitor(recorder)
    threads = [threading.Thread(target=hooks.call.labels, kwargs={"title": str(n)}) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    spans, names = chrome_spans(recorder)
    calls = [s for s in spans if s["cat"] == "hook"]
    assert len({s["tid"] for s in calls}) == 2
    first, second = sorted(calls, key=lambda s: s["ts"])
    assert second["ts"] < first["ts"] + first["dur"]  # they overlap in time, in separate lanes
    assert all(names[s["tid"]].startswith("thread ") for s in calls)

    class Sleeping:
        @hookimpl
        async def labels(self, title: str) -> str:
            await asyncio.sleep(0.01)
            return title

    async def two_tasks() -> None:
        hooks = HookManager(Specs)
        hooks.register(Sleeping())
        hooks.add_monitor(recorder)
        await asyncio.gather(hooks.call.labels.acall(title="a"), hooks.call.labels.acall(title="b"))

    recorder.clear()
    asyncio.run(two_tasks())
    spans, names = chrome_spans(recorder)
    calls = [s for s in spans if s["cat"] == "hook"]
    assert len({s["tid"] for s in calls}) == 2
    assert all(", task 0x" in names[s["tid"]] for s in calls)


def test_spans_are_where_the_code_ran_even_behind_a_slow_monitor() -> None:
    """A monitor's own time is not drawn as the implementation's: spans start when the code starts."""
    entered: list[float] = []

    class Timed:
        @hookimpl
        def labels(self, title: str) -> str:
            entered.append(time.perf_counter())
            return title

    def slow(event: TraceEvent) -> None:
        time.sleep(0.02)  # a slow exporter, say

    hooks = HookManager(Specs)
    hooks.register(Timed())
    recorder = TraceRecorder()
    hooks.add_monitor(slow)
    hooks.add_monitor(recorder)
    hooks.call.labels(title="x")
    (call,) = recorder.calls
    (impl,) = call.impls
    assert impl.duration is not None
    assert call.duration is not None
    assert impl.start <= entered[0] <= impl.start + 0.005  # not 20 ms earlier, where the monitors ran
    assert call.start <= impl.start
    assert impl.start + impl.duration <= call.start + call.duration
