"""One call path: every shape of call gets the same guarantees.

Sequential or concurrent, sync or awaited, interpreted (right after a
registration) or compiled (once a hook has been called a few times): monitors,
budgets, statistics and traces see every implementation; a failing monitor is
the monitor's problem; any number of wrappers works; generated code has
source for tracebacks and debuggers.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import linecache
import sys
import time
import traceback
import warnings
from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from typing import Any

import pytest

from hookwise import (
    BudgetWarning,
    DispatchResult,
    HookCaller,
    HookManager,
    HookStats,
    MonitorWarning,
    TraceEvent,
    TraceRecorder,
    Veto,
    _codegen,
    hookimpl,
    hookspec,
)
from hookwise.compat import pluggy as compat
from hookwise.compat.pluggy import _hooks as compat_hooks
from hookwise.compat.pluggy._callers import COMPILE_AFTER

TIERS = ["interpreted", "compiled"]


def settle(caller: HookCaller[..., Any], tier: str, **kwargs: Any) -> None:
    """Leave ``caller`` on the wanted tier: as registered (interpreted), or compiled after enough calls."""
    if tier == "compiled":
        for _ in range(50):
            if caller.compiled:
                return
            caller(**kwargs)
        raise AssertionError(f"{caller!r} did not compile")


async def asettle(caller: HookCaller[..., Any], tier: str, **kwargs: Any) -> None:
    if tier == "compiled":
        for _ in range(50):
            await caller.acall(**kwargs)


class Specs:
    @hookspec(concurrent=True)
    def fetch(self, key: str) -> str:
        raise NotImplementedError

    @hookspec(kind="intercept")
    def before_save(self, item: str) -> None: ...

    @hookspec
    def label(self, item: str) -> str:
        raise NotImplementedError


class SlowFetch:
    @hookimpl
    async def fetch(self, key: str) -> str:
        await asyncio.sleep(0.05)
        return f"slow {key}"


class FastFetch:
    @hookimpl
    async def fetch(self, key: str) -> str:
        return f"fast {key}"


class Innocent:
    @hookimpl
    def before_save(self, item: str) -> None:
        return None

    @hookimpl
    def label(self, item: str) -> str:
        return item.upper()


# -- concurrent hooks are instrumented like sequential ones -----------------------------------


def test_a_concurrent_implementation_over_budget_is_reported() -> None:
    hooks = HookManager(Specs, budget=0.01)
    hooks.register(SlowFetch())
    hooks.register(FastFetch())
    with pytest.warns(
        BudgetWarning, match=r"^plugin 'SlowFetch': SlowFetch.fetch took \d+\.\d ms in hook 'fetch'"
    ) as caught:
        assert asyncio.run(hooks.call.fetch.acall(key="k")) == ["slow k", "fast k"]
    assert [w.message.plugin for w in caught.list if isinstance(w.message, BudgetWarning)] == ["SlowFetch"]


def test_a_concurrent_call_records_every_implementation_in_traces_and_statistics() -> None:
    hooks = HookManager(Specs)
    hooks.register(SlowFetch())
    hooks.register(FastFetch())
    recorder, stats = TraceRecorder(), HookStats()
    hooks.add_monitor(recorder)
    hooks.add_monitor(stats)
    asyncio.run(hooks.call.fetch.acall(key="k"))
    (call,) = recorder.calls
    assert sorted(impl.plugin for impl in call.impls) == ["FastFetch", "SlowFetch"]
    slow = next(impl for impl in call.impls if impl.plugin == "SlowFetch")
    assert slow.duration is not None
    assert slow.duration >= 0.05  # awaited implementations are timed by wall time
    assert set(stats.plugins) == {("fetch", "SlowFetch"), ("fetch", "FastFetch")}


# -- a failing monitor is the monitor's error ------------------------------------------------------


def failing_at(phase: str) -> Any:
    def monitor(event: TraceEvent) -> None:
        if event.phase == phase:
            msg = "monitor broke"
            raise RuntimeError(msg)

    return monitor


@pytest.mark.parametrize("tier", TIERS)
def test_a_monitor_failing_at_impl_start_is_not_blamed_on_the_plugin(tier: str) -> None:
    hooks = HookManager(Specs)
    hooks.register(Innocent(), name="innocent")
    monitor = failing_at("impl_start")
    hooks.add_monitor(monitor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MonitorWarning)
        settle(hooks.hook("before_save"), tier, item="x")
    with pytest.warns(MonitorWarning) as caught:
        result = hooks.call.before_save(item="x")
    assert not result.vetoed
    (warning,) = caught.list
    assert isinstance(warning.message, MonitorWarning)
    assert str(warning.message) == (
        "monitor failing_at.<locals>.monitor raised RuntimeError: monitor broke at impl_start of hook "
        "'before_save' (plugin 'innocent'); the call went on without it"
    )
    assert (warning.message.monitor, warning.message.phase, warning.message.hook) == (
        monitor,
        "impl_start",
        "before_save",
    )
    assert isinstance(warning.message.error, RuntimeError)
    assert warning.filename == __file__  # reported at the code that made the call


@pytest.mark.parametrize("tier", TIERS)
def test_a_monitor_failing_at_call_end_does_not_fail_the_call(tier: str) -> None:
    hooks = HookManager(Specs)
    hooks.register(Innocent())
    hooks.add_monitor(failing_at("call_end"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MonitorWarning)
        settle(hooks.hook("label"), tier, item="x")
    with pytest.warns(MonitorWarning, match="at call_end of hook 'label'; the call went on without it"):
        assert hooks.call.label(item="x") == ["X"]


def test_a_monitor_failing_in_a_concurrent_call_is_reported_after_it() -> None:
    hooks = HookManager(Specs)
    hooks.register(FastFetch())
    hooks.add_monitor(failing_at("impl_end"))
    with pytest.warns(MonitorWarning, match="at impl_end of hook 'fetch' \\(plugin 'FastFetch'\\)"):
        assert asyncio.run(hooks.call.fetch.acall(key="k")) == ["fast k"]


def test_other_monitors_still_see_every_event_when_one_fails() -> None:
    hooks = HookManager(Specs)
    hooks.register(Innocent())
    hooks.add_monitor(failing_at("impl_start"))
    events: list[TraceEvent] = []
    hooks.add_monitor(events.append)
    with pytest.warns(MonitorWarning):
        hooks.call.label(item="x")
    assert [event.phase for event in events] == ["call_start", "impl_start", "impl_end", "call_end"]


# -- any number of wrappers -----------------------------------------------------------------------


def wrapping(index: int, log: list[str]) -> object:
    class Wrapper:
        @hookimpl(wrapper=True)
        def label(self, item: str) -> Generator[None, list[str], list[str]]:
            log.append(f"enter {index}")
            result = yield
            log.append(f"leave {index}")
            return [*result, str(index)] if index % 50 == 0 else result

    return Wrapper()


@pytest.mark.parametrize("tier", TIERS)
def test_two_hundred_wrappers_run_around_the_implementations(tier: str) -> None:
    log: list[str] = []
    hooks = HookManager(Specs)
    hooks.register(Innocent())
    for index in range(200):
        hooks.register(wrapping(index, log), name=f"w{index}")
    settle(hooks.hook("label"), tier, item="x")
    log.clear()
    assert hooks.call.label(item="x") == ["X", "150", "100", "50", "0"]
    assert log == [f"enter {i}" for i in range(200)] + [f"leave {i}" for i in reversed(range(200))]


@pytest.mark.parametrize("tier", TIERS)
def test_two_hundred_async_wrappers_run_around_the_implementations(tier: str) -> None:
    hooks = HookManager(Specs)
    hooks.register(FastFetch())
    entered: list[int] = []
    for index in range(200):

        class Around:
            @hookimpl(wrapper=True)
            async def fetch(self, key: str, index: int = index) -> AsyncGenerator[None, list[str]]:
                entered.append(index)
                yield

        hooks.register(Around(), name=f"w{index}")

    async def run() -> list[str]:
        await asettle(hooks.hook("fetch"), tier, key="k")
        entered.clear()
        return await hooks.call.fetch.acall(key="k")

    assert asyncio.run(run()) == ["fast k"]
    assert entered == list(range(200))


def test_two_hundred_pluggy_wrappers_new_and_old_style_run_on_compat() -> None:
    spec, impl = compat.HookspecMarker("app"), compat.HookimplMarker("app")

    class AppSpecs:
        @spec
        def label(self, item: str) -> str:
            """A label."""
            raise NotImplementedError

    class Plain:
        @impl
        def label(self, item: str) -> str:
            return item.upper()

    pm = compat.PluginManager("app")
    pm.add_hookspecs(AppSpecs)
    pm.register(Plain())
    seen: list[int] = []
    for index in range(200):

        class New:
            @impl(wrapper=True)
            def label(self, item: str, index: int = index) -> Generator[None, list[str], list[str]]:
                seen.append(index)
                return (yield)

        class Old:
            @impl(hookwrapper=True)
            def label(self, item: str, index: int = index) -> Generator[None, Any, None]:
                outcome = yield
                seen.append(-index)
                outcome.get_result()

        pm.register(New() if index % 2 else Old(), name=f"w{index}")
    for _ in range(10):  # interpreted, then compiled
        seen.clear()
        assert pm.hook.label(item="x") == ["X"]
    assert sorted(seen) == sorted([i if i % 2 else -i for i in range(200)])


# -- generated code has source ------------------------------------------------------------------------


class Failing:
    @hookimpl
    def label(self, item: str) -> str:
        msg = f"cannot label {item}"
        raise ValueError(msg)


def compiled_label(hooks: HookManager[Specs]) -> Any:
    settle(hooks.hook("label"), "compiled", item="x")
    return hooks.call.label


def test_a_compiled_caller_has_its_source() -> None:
    hooks = HookManager(Specs)
    hooks.register(Innocent())
    caller = compiled_label(hooks)
    assert inspect.getsource(caller) == hooks.hook("label").source()
    assert "_hw_r = _hw_f0(item)" in hooks.hook("label").source()


def test_a_traceback_through_a_compiled_caller_shows_its_lines() -> None:
    hooks = HookManager(Specs)
    hooks.register(Innocent())
    hooks.register(Failing())
    for _ in range(20):  # until the failing hook runs its compiled caller
        with pytest.raises(ValueError, match="cannot label x"):
            hooks.call.label(item="x")
    assert hooks.hook("label").compiled
    with pytest.raises(ValueError, match="cannot label x") as caught:
        hooks.call.label(item="x")
    text = "".join(traceback.format_exception(caught.value))
    assert 'File "<hookwise label #' in text
    assert "_hw_r = _hw_f1(item)" in text  # the generated line, from linecache


def test_managers_with_the_same_hook_share_its_compiled_code_and_its_source() -> None:
    """pytest makes a manager per in-process run: the second compiles nothing, and each keeps its source."""

    class Exclaiming:
        @hookimpl
        def label(self, item: str) -> str:
            return f"{item}!"

    first, second = HookManager(Specs), HookManager(Specs)
    first.register(Innocent())
    second.register(Exclaiming())
    filename = compiled_label(first).__code__.co_filename
    assert compiled_label(second).__code__ is compiled_label(first).__code__
    assert (first.call.label(item="y"), second.call.label(item="y")) == (["Y"], ["y!"])  # the code is shared only
    del first
    gc.collect()
    assert linecache.getline(filename, 1)  # still cached, and used by the second manager
    other = HookManager(Specs)
    other.register(Innocent())
    other.register(Failing())
    assert compiled_label_or_error(other).__code__.co_filename != filename  # another source, another file name


def compiled_label_or_error(hooks: HookManager[Specs]) -> Any:
    for _ in range(20):
        with pytest.raises(ValueError, match="cannot label"):
            hooks.call.label(item="x")
    assert hooks.hook("label").compiled
    return hooks.call.label


def test_a_generated_source_leaves_linecache_once_evicted_and_unused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Own:  # a hook no other test compiles: its source is this test's alone
        @hookspec
        def evicted_tag(self, evicted_item: str) -> str:
            raise NotImplementedError

    class Tagging:
        @hookimpl
        def evicted_tag(self, evicted_item: str) -> str:
            return evicted_item

    def compiled(hooks: HookManager[Own]) -> Any:
        settle(hooks.hook("evicted_tag"), "compiled", evicted_item="x")
        return hooks.call.evicted_tag

    monkeypatch.setattr(_codegen, "CODE_CACHE", 1)
    kept = HookManager(Own)
    kept.register(Tagging())
    filename = compiled(kept).__code__.co_filename
    other = HookManager(Own)
    other.register(Tagging())
    other.register(Tagging(), name="again")
    assert compiled(other).__code__.co_filename != filename  # another source: the first leaves a cache of one
    assert linecache.getline(filename, 1)  # evicted, but its caller lives
    del kept
    gc.collect()
    assert linecache.getline(filename, 1) == ""
    assert filename not in inspect.modulesbyfile


def test_a_generated_frame_belongs_to_a_module_for_inspect() -> None:
    """``inspect.stack()`` inside a hook finds a module for generated frames without scanning sys.modules."""
    frames: list[Any] = []

    class Looking:
        @hookimpl
        def label(self, item: str) -> str:
            frames.extend(inspect.stack())
            return item

    hooks = HookManager(Specs)
    hooks.register(Looking())
    compiled_label(hooks)
    frames.clear()
    hooks.call.label(item="x")
    generated = [info.frame for info in frames if info.filename.startswith("<hookwise label #")]
    assert generated
    assert inspect.getmodule(generated[0]) is sys.modules["hookwise._codegen"]


def test_a_hook_compiles_after_its_working_directory_was_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest's own suite calls hooks from a directory a test removed (os.getcwd() then fails)."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    hooks = HookManager(Specs)
    hooks.register(Innocent())
    compiled = compiled_label(hooks)
    assert compiled.__code__.co_filename in linecache.cache
    assert hooks.call.label(item="x") == hooks.call.label(item="x")


def test_the_source_of_a_caller_that_is_gone_stays_only_while_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_codegen, "CODE_CACHE", 1)
    hooks = HookManager(Specs)
    hooks.register(Innocent())
    filename = compiled_label(hooks).__code__.co_filename
    hooks.register(Failing())  # the compiled caller is replaced, and nothing else holds it
    gc.collect()
    assert filename in linecache.cache  # cached: the next manager with this hook compiles nothing
    compiled_label_or_error(hooks)  # another source leaves a cache of one: nothing uses the first
    assert filename not in linecache.cache


def test_a_kept_reference_to_a_new_caller_moves_to_the_compiled_one() -> None:
    files: list[str] = []

    class Looking:
        @hookimpl
        def label(self, item: str) -> str:
            files.extend(info.filename for info in inspect.stack(context=0))
            return item

    hooks = HookManager(Specs)
    hooks.register(Looking())
    kept = hooks.call.label  # right after the registration: the interpreted caller
    for _ in range(20):
        kept(item="x")
    assert hooks.hook("label").compiled
    files.clear()
    assert kept(item="y") == ["y"]
    assert any(name.startswith("<hookwise label #") for name in files)


# -- intercept hooks keep their answers whatever the shape ----------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
def test_a_monitored_intercept_veto_is_reported_with_its_plugin(tier: str) -> None:
    class Refuse:
        @hookimpl
        def before_save(self, item: str) -> Veto:
            return Veto(f"not {item}")

    hooks = HookManager(Specs)
    hooks.register(Refuse())
    recorder = TraceRecorder()
    hooks.add_monitor(recorder)
    settle(hooks.hook("before_save"), tier, item="x")
    result: DispatchResult = hooks.call.before_save(item="x")
    assert (result.vetoed, result.vetoed_by, result.reason) == (True, "Refuse", "not x")
    assert recorder.calls[-1].outcome == "vetoed"


# -- a pluggy host gets the same instrumentation ---------------------------------------------------


def pluggy_host(delay: float = 0.03, **options: Any) -> tuple[compat.PluginManager, compat.HookimplMarker]:
    spec, impl = compat.HookspecMarker("app"), compat.HookimplMarker("app")

    class AppSpecs:
        @spec
        def label(self, item: str) -> str:
            """A label."""
            raise NotImplementedError

        @spec(historic=True)
        def configured(self, value: int) -> None:
            """Configuration is done."""

    class Slow:
        @impl
        def label(self, item: str) -> str:
            time.sleep(delay)
            return item.upper()

    pm = compat.PluginManager("app", **options)
    pm.add_hookspecs(AppSpecs)
    pm.register(Slow(), name="slow")
    return pm, impl


def test_hookwise_monitors_see_a_pluggy_hosts_calls() -> None:
    pm, _ = pluggy_host(delay=0)
    hot = COMPILE_AFTER + 64 + 10  # compiled, then the compiled caller is the hook caller's own __call__
    for _ in range(hot):
        assert pm.hook.label(item="x") == ["X"]
    assert type(pm.hook.label) is not compat_hooks.HookCaller  # that front is what a monitor must replace
    recorder = TraceRecorder()
    pm.add_monitor(recorder)
    for _ in range(hot):  # interpreted, then compiled again: the same events
        assert pm.hook.label(item="x") == ["X"]
    assert len(recorder.calls) == hot
    assert {(call.hook, tuple(impl.plugin for impl in call.impls)) for call in recorder.calls} == {("label", ("slow",))}
    pm.remove_monitor(recorder)
    pm.hook.label(item="x")
    assert len(recorder.calls) == hot


def test_hookwise_monitors_see_a_pluggy_hosts_hot_call_extra() -> None:
    pm, _ = pluggy_host()

    def extra(item: str) -> str:
        return "extra"

    for _ in range(20):  # interpreted, then compiled and called directly
        assert pm.hook.label.call_extra([extra], {"item": "x"}) == ["extra", "X"]
    recorder = TraceRecorder()
    pm.add_monitor(recorder)
    assert pm.hook.label.call_extra([extra], {"item": "x"}) == ["extra", "X"]
    assert [(call.hook, [impl.plugin for impl in call.impls]) for call in recorder.calls] == [
        ("label", ["<temp>", "slow"])
    ]
    pm.remove_monitor(recorder)
    pm.hook.label.call_extra([extra], {"item": "x"})
    assert len(recorder.calls) == 1


def test_a_pluggy_hosts_hooks_get_an_engine_when_first_called() -> None:
    """pytest makes a manager per in-process run with about 60 hooks, many never called: those cost no engine."""
    pm, impl = pluggy_host()

    class Configured:
        @impl
        def configured(self, value: int) -> None:
            return None

    pm.register(Configured())
    assert pm._engines == []
    assert pm.hook.label(item="x") == ["X"]
    assert [engine.spec.name for engine in pm._engines] == ["label"]
    recorder = TraceRecorder()
    pm.add_monitor(recorder)  # a hookwise monitor reaches engines made later too
    pm.hook.configured.call_historic(kwargs={"value": 1})
    assert [call.hook for call in recorder.calls] == ["configured"]


def test_a_budget_on_a_pluggy_host_names_the_slow_plugin() -> None:
    pm, _ = pluggy_host(budget=0.01)
    with pytest.warns(BudgetWarning, match=r"^plugin 'slow': .*Slow.label took \d+\.\d ms in hook 'label'"):
        pm.hook.label(item="x")


def test_a_historic_replay_on_a_pluggy_host_goes_through_hookcall_monitoring() -> None:
    pm, impl = pluggy_host()
    pm.hook.configured.call_historic(kwargs={"value": 1})
    seen: list[tuple[str, list[str]]] = []
    pm.add_hookcall_monitoring(
        lambda name, impls, kwargs: seen.append((name, [i.plugin_name for i in impls])), lambda *a: None
    )

    class Late:
        @impl
        def configured(self, value: int) -> None:
            return None

    pm.register(Late(), name="late")
    assert seen == [("configured", ["late"])]
