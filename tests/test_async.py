"""Async implementations and awaited calls, beside sync ones, on the same engine."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Generator
from typing import Any

import pytest
import trio

from hookwise import (
    HookCallError,
    HookErrorGroup,
    HookManager,
    HookResultError,
    Patch,
    PluginResult,
    PluginValidationError,
    Veto,
    hookimpl,
    hookspec,
)


class Specs:
    @hookspec
    def collect(self, x: int) -> int:
        raise NotImplementedError

    @hookspec(kind="first")
    def first(self, x: int) -> int | None: ...

    @hookspec(kind="intercept")
    def before(self, x: int) -> None: ...

    @hookspec(kind="observe")
    def after(self, x: int) -> None: ...

    @hookspec(concurrent=True)
    def gathered(self, x: int) -> str:
        raise NotImplementedError

    @hookspec(kind="observe", concurrent=True, policy="isolate")
    def notify(self, x: int) -> None: ...


class AsyncDouble:
    @hookimpl
    async def collect(self, x: int) -> int:
        await asyncio.sleep(0)
        return x * 2


class SyncTriple:
    @hookimpl
    def collect(self, x: int) -> int:
        return x * 3


def manager(*plugins: object) -> HookManager[Specs]:
    hooks = HookManager(Specs)
    for plugin in plugins:
        hooks.register(plugin)
    return hooks


def test_an_awaited_call_awaits_async_implementations_and_calls_sync_ones_in_order() -> None:
    hooks = manager(AsyncDouble(), SyncTriple())
    assert asyncio.run(hooks.call.collect.acall(x=2)) == [4, 6]
    assert asyncio.run(hooks.hook("collect").acall(x=1)) == [2, 3]


def test_an_awaited_call_of_only_sync_implementations_just_works() -> None:
    assert asyncio.run(manager(SyncTriple()).call.collect.acall(x=1)) == [3]


def test_a_sync_call_of_a_hook_with_async_implementations_is_refused_naming_them() -> None:
    hooks = manager(AsyncDouble(), SyncTriple())
    with pytest.raises(
        HookCallError,
        match=r"^hook 'collect' has async implementations \(AsyncDouble.collect of plugin 'AsyncDouble'\); call it with await manager.call.collect.acall\(...\)$",
    ):
        hooks.call.collect(x=1)


def test_a_sync_call_by_name_is_refused_with_the_by_name_form() -> None:
    hooks = HookManager()
    hooks.add_spec("todos.before", ["x"], kind="intercept")

    async def handler(context: Any) -> None:
        return None

    hooks.register("todos.before", handler)
    with pytest.raises(HookCallError, match=r"call it with await manager.hook\('todos.before'\).acall\(...\)$"):
        hooks.dispatch("todos.before", {"x": 1})


def test_awaited_first_stops_at_the_first_result() -> None:
    calls: list[str] = []

    class Miss:
        @hookimpl(tryfirst=True)
        async def first(self) -> None:
            calls.append("miss")

    class Hit:
        @hookimpl
        async def first(self, x: int) -> int:
            calls.append("hit")
            return x

    class Never:
        @hookimpl(trylast=True)
        def first(self) -> int:
            calls.append("never")
            return 0

    assert asyncio.run(manager(Never(), Hit(), Miss()).call.first.acall(x=7)) == 7
    assert calls == ["miss", "hit"]


def test_awaited_intercept_patches_compose_and_the_first_veto_stops() -> None:
    class Patcher:
        @hookimpl(priority=1)
        async def before(self, x: int) -> Patch:
            return Patch({"x": x + 1})

    class Checker:
        @hookimpl(priority=2)
        async def before(self, x: int) -> Veto | None:
            return Veto(f"saw {x}") if x > 1 else None

    result = asyncio.run(manager(Patcher(), Checker()).call.before.acall(x=1))
    assert (result.vetoed, result.reason, result.vetoed_by, dict(result.patches)) == (
        True,
        "saw 2",
        "Checker",
        {"x": 2},
    )


def test_awaited_intercept_turns_an_exception_into_a_veto() -> None:
    class Broken:
        @hookimpl
        async def before(self) -> None:
            raise LookupError("gone")

    result = asyncio.run(manager(Broken()).call.before.acall(x=1))
    assert (result.vetoed, result.reason) == (True, "plugin 'Broken' raised LookupError: gone")


def test_awaited_observe_rejects_a_veto() -> None:
    class Late:
        @hookimpl
        async def after(self) -> Veto:
            return Veto("no")

    with pytest.raises(HookResultError, match="vetoed after-hook 'after'"):
        asyncio.run(manager(Late()).call.after.acall(x=1))


def test_awaited_raise_policy_notes_the_plugin() -> None:
    class Broken:
        @hookimpl
        async def collect(self) -> int:
            raise ValueError("bad")

    with pytest.raises(ValueError, match="bad") as info:
        asyncio.run(manager(Broken()).call.collect.acall(x=1))
    assert info.value.__notes__ == [
        "hookwise: raised by implementation Broken.collect of plugin 'Broken' in hook 'collect'"
    ]


def test_awaited_provenance_and_dispatch() -> None:
    hooks = manager(AsyncDouble(), SyncTriple())
    record = asyncio.run(hooks.hook(Specs.collect).acall_with_provenance(x=1))
    assert (record.result, record.results) == ([2, 3], [PluginResult("AsyncDouble", 2), PluginResult("SyncTriple", 3)])
    result = asyncio.run(hooks.adispatch("after", {"x": 1}))
    assert not result.vetoed


# -- wrappers ------------------------------------------------------------------------


class AsyncWrap:
    def __init__(self, replace: bool) -> None:
        self.replace = replace
        self.seen: list[Any] = []

    @hookimpl(wrapper=True)
    async def collect(self, x: int) -> AsyncGenerator[list[int], list[int]]:
        result = yield []  # the first yield's value is ignored; it receives the outcome
        self.seen.append(result)
        if self.replace:
            yield [*result, 100]


def test_an_async_wrapper_sees_the_outcome_and_keeps_it() -> None:
    wrap = AsyncWrap(replace=False)
    assert asyncio.run(manager(AsyncDouble(), wrap).call.collect.acall(x=1)) == [2]
    assert wrap.seen == [[2]]


def test_an_async_wrapper_replaces_the_outcome_by_yielding_again() -> None:
    assert asyncio.run(manager(AsyncDouble(), AsyncWrap(replace=True)).call.collect.acall(x=1)) == [2, 100]


def test_an_async_wrapper_can_handle_an_exception_and_replace_the_outcome() -> None:
    class Broken:
        @hookimpl
        async def collect(self) -> int:
            raise ValueError("bad")

    class Rescue:
        @hookimpl(wrapper=True)
        async def collect(self) -> AsyncGenerator[list[int], list[int]]:
            try:
                yield []
            except ValueError:
                yield [-1]

    assert asyncio.run(manager(Broken(), Rescue()).call.collect.acall(x=1)) == [-1]


def test_an_async_wrapper_that_swallows_an_exception_without_replacement_gives_none() -> None:
    class Broken:
        @hookimpl
        async def collect(self) -> int:
            raise ValueError("bad")

    class Swallow:
        @hookimpl(wrapper=True)
        async def collect(self) -> AsyncGenerator[list[int], list[int]]:
            with contextlib.suppress(ValueError):
                yield []

    assert asyncio.run(manager(Broken(), Swallow()).call.collect.acall(x=1)) is None


def test_an_async_wrapper_that_yields_three_times_is_an_error() -> None:
    class Chatty:
        @hookimpl(wrapper=True)
        async def collect(self) -> AsyncGenerator[list[int], list[int]]:
            yield []
            yield [1]
            yield [2]

    with pytest.raises(
        HookResultError, match="yielded three times; an async wrapper yields once, and once more to replace the outcome"
    ):
        asyncio.run(manager(Chatty()).call.collect.acall(x=1))


def test_an_async_wrapper_that_does_not_yield_is_an_error() -> None:
    class Silent:
        @hookimpl(wrapper=True)
        async def collect(self) -> AsyncGenerator[list[int], list[int]]:
            if False:
                yield []

    with pytest.raises(HookResultError, match="did not yield"):
        asyncio.run(manager(Silent()).call.collect.acall(x=1))


def test_an_async_wrapper_raising_its_own_error_gets_a_note() -> None:
    class Angry:
        @hookimpl(wrapper=True)
        async def collect(self) -> AsyncGenerator[list[int], list[int]]:
            yield []
            raise RuntimeError("after")

    with pytest.raises(RuntimeError, match="after") as info:
        asyncio.run(manager(SyncTriple(), Angry()).call.collect.acall(x=1))
    assert "wrapper Angry.collect of plugin 'Angry'" in info.value.__notes__[0]


def test_sync_generator_wrappers_work_in_awaited_calls() -> None:
    class Wrap:
        @hookimpl(wrapper=True)
        def collect(self) -> Generator[None, list[int], list[int]]:
            result = yield
            return [sum(result)]

    assert asyncio.run(manager(AsyncDouble(), SyncTriple(), Wrap()).call.collect.acall(x=1)) == [5]


def test_an_async_wrapper_makes_sync_calls_refused() -> None:
    with pytest.raises(HookCallError, match="has async implementations"):
        manager(SyncTriple(), AsyncWrap(replace=False)).call.collect(x=1)


def test_an_async_generator_that_is_not_a_wrapper_is_an_error() -> None:
    class Confused:
        @hookimpl
        async def collect(self) -> AsyncGenerator[int, None]:
            yield 1

    with pytest.raises(
        PluginValidationError, match="is an async generator; mark it wrapper=True, or make it a coroutine"
    ):
        manager(Confused())


# -- concurrent hooks -------------------------------------------------------------------


def test_a_concurrent_hook_awaits_implementations_together_and_keeps_effective_order() -> None:
    async def scenario() -> list[str]:
        ready = asyncio.Event()

        class Waiter:
            @hookimpl(tryfirst=True)
            async def gathered(self) -> str:
                await asyncio.wait_for(ready.wait(), timeout=5)  # would time out if run in turn
                return "waiter"

        class Setter:
            @hookimpl
            async def gathered(self) -> str:
                ready.set()
                return "setter"

        class Plain:
            @hookimpl(trylast=True)
            def gathered(self, x: int) -> str:
                return f"plain {x}"

        return await manager(Setter(), Plain(), Waiter()).call.gathered.acall(x=3)

    assert asyncio.run(scenario()) == ["waiter", "setter", "plain 3"]


def test_a_concurrent_hook_raises_the_first_failure_in_order_after_all_ran() -> None:
    ran: list[str] = []

    class Early:
        @hookimpl(tryfirst=True)
        async def gathered(self) -> str:
            ran.append("early")
            raise KeyError("early")

    class Late:
        @hookimpl
        async def gathered(self) -> str:
            ran.append("late")
            raise ValueError("late")

    with pytest.raises(KeyError, match="early") as info:
        asyncio.run(manager(Late(), Early()).call.gathered.acall(x=1))
    assert sorted(ran) == ["early", "late"]
    assert "plugin 'Early'" in info.value.__notes__[0]


def test_a_concurrent_isolated_observe_hook_reports_every_failure() -> None:
    class Broken:
        @hookimpl
        async def notify(self) -> None:
            raise OSError("smtp down")

    class Vetoer:
        @hookimpl
        def notify(self) -> Veto:
            return Veto("late")

    with pytest.raises(HookErrorGroup) as info:
        asyncio.run(manager(Broken(), Vetoer()).call.notify.acall(x=1))
    assert info.value.plugins == ("Broken", "Vetoer")
    assert [type(e) for e in info.value.exceptions] == [OSError, HookResultError]


def test_concurrent_provenance_is_in_effective_order() -> None:
    hooks = manager()
    hooks.register("gathered", lambda context: "a", name="a")
    hooks.register("gathered", lambda context: None, name="none")
    record = asyncio.run(hooks.hook("gathered").acall_with_provenance(x=1))
    assert (record.result, record.results) == (["a"], [PluginResult("a", "a")])


def test_concurrent_is_only_for_collect_and_observe_hooks() -> None:
    from hookwise import SpecError

    with pytest.raises(
        SpecError,
        match="concurrent hooks await their implementations together, which only collect and observe hooks can do; this one is first",
    ):
        HookManager().add_spec("h", [], kind="first", concurrent=True)


# -- other event loops and historic hooks ---------------------------------------------------


def test_awaited_calls_run_under_trio() -> None:
    hooks = manager(SyncTriple())

    class TrioDouble:
        @hookimpl
        async def collect(self, x: int) -> int:
            await trio.sleep(0)
            return x * 2

    hooks.register(TrioDouble())
    assert trio.run(hooks.call.collect.acall, 5) == [15, 10]


def test_concurrent_hooks_need_asyncio_and_say_so_under_trio() -> None:
    hooks = manager(SyncTriple())
    with pytest.raises(
        HookCallError, match="hook 'gathered' is concurrent, which needs an asyncio event loop; none is running"
    ):
        trio.run(hooks.call.gathered.acall, 1)


def test_a_late_async_implementation_of_a_used_historic_hook_is_refused() -> None:
    hooks = HookManager()
    hooks.add_spec("configured", ["value"], kind="observe", historic=True)
    hooks.hook("configured")(value=1)

    async def late(context: Any) -> None:
        return None

    with pytest.raises(
        PluginValidationError, match="is async, and historic hook 'configured' would replay its 1 past call"
    ):
        hooks.register("configured", late, name="late")
    assert not hooks.is_registered("late")


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_awaited_calls_run_under_anyio(backend: str) -> None:
    import anyio

    class AnyioDouble:
        @hookimpl
        async def collect(self, x: int) -> int:
            await anyio.sleep(0)
            return x * 2

    hooks = manager(SyncTriple(), AnyioDouble())
    assert anyio.run(hooks.call.collect.acall, 2, backend=backend) == [6, 4]
