"""Calls and registrations for tests and scripts: call_robust, connected, muted."""

from __future__ import annotations

import asyncio
import re

import pytest

from hookwise import HookCallError, HookManager, PluginResult, RegistrationError, TraceEvent, hookimpl, hookspec


class Specs:
    @hookspec
    def ping(self, n: int) -> int:
        raise NotImplementedError

    @hookspec(kind="first")
    def pick(self, n: int) -> int:
        raise NotImplementedError

    @hookspec(historic=True)
    def configured(self, value: str) -> None:
        raise NotImplementedError


class Adds:
    @hookimpl
    def ping(self, n: int) -> int:
        return n + 1

    @hookimpl
    def pick(self, n: int) -> int:
        raise LookupError(n)


class Fails:
    @hookimpl
    def ping(self, n: int) -> int:
        raise ValueError(f"bad {n}")

    @hookimpl
    def pick(self, n: int) -> int:
        return n * 2


class Silent:
    @hookimpl
    def ping(self, n: int) -> int | None:
        return None

    @hookimpl
    def pick(self, n: int) -> int:
        return -1


class Times:
    def __init__(self) -> None:
        self.configured_with: list[str] = []

    @hookimpl
    def ping(self, n: int) -> int:
        return n * 10

    @hookimpl
    def configured(self, value: str) -> None:
        self.configured_with.append(value)


def manager() -> HookManager[Specs]:
    hooks = HookManager(Specs)
    for plugin in (Adds(), Fails(), Silent(), Times()):
        hooks.register(plugin)
    return hooks


# -- call_robust -----------------------------------------------------------------------------------------
def test_call_robust_runs_every_implementation_and_returns_values_and_errors_in_call_order() -> None:
    results = manager().hook(Specs.ping).call_robust(n=2)
    assert [(r.plugin, r.value) for r in results] == [("Adds", 3), ("Fails", None), ("Times", 20)]
    error = results[1].error
    assert isinstance(error, ValueError)
    assert str(error) == "bad 2"
    assert any("'Fails'" in note and "'ping'" in note for note in getattr(error, "__notes__", []))
    assert [r.error for r in (results[0], results[2])] == [None, None]
    assert repr(results[1]) == "PluginResult('Fails', error=ValueError('bad 2'))"


def test_call_robust_binds_positional_arguments_as_a_plain_call() -> None:
    def shown(results: list[PluginResult[object]]) -> list[tuple[str, object, str]]:
        return [(r.plugin, r.value, repr(r.error)) for r in results]

    hook = manager().hook(Specs.ping)
    assert shown(hook.call_robust(4)) == shown(hook.call_robust(n=4))
    assert [r.value for r in hook.call_robust(4)] == [5, None, 40]


def test_call_robust_of_a_first_hook_stops_at_the_first_value_after_failures() -> None:
    results = manager().hook(Specs.pick).call_robust(n=3)
    assert [(r.plugin, type(r.error).__name__ if r.error else r.value) for r in results] == [
        ("Adds", "LookupError"),
        ("Fails", 6),
    ]


def test_call_robust_leaves_the_plain_call_and_the_error_policy_alone() -> None:
    hooks = manager()
    hooks.hook(Specs.ping).call_robust(n=1)
    with pytest.raises(ValueError, match="bad 1"):
        hooks.call.ping(n=1)


def test_call_robust_lets_base_exceptions_through() -> None:
    hooks = HookManager(Specs)

    class Interrupts:
        @hookimpl
        def ping(self, n: int) -> int:
            raise KeyboardInterrupt

    hooks.register(Interrupts())
    with pytest.raises(KeyboardInterrupt):
        hooks.hook(Specs.ping).call_robust(n=1)


def test_call_robust_is_seen_by_monitors() -> None:
    hooks = manager()
    events: list[TraceEvent] = []
    hooks.add_monitor(events.append)
    hooks.hook(Specs.ping).call_robust(n=1)
    ends = [(e.plugin, type(e.error).__name__ if e.error else None) for e in events if e.phase == "impl_end"]
    assert ends == [("Adds", None), ("Fails", "ValueError"), ("Silent", None), ("Times", None)]


def test_acall_robust_awaits_async_implementations() -> None:
    hooks = manager()

    class Later:
        @hookimpl
        async def ping(self, n: int) -> int:
            await asyncio.sleep(0)
            raise RuntimeError("later")

    hooks.register(Later())
    results = asyncio.run(hooks.hook(Specs.ping).acall_robust(n=1))
    assert [(r.plugin, r.value, type(r.error).__name__) for r in results] == [
        ("Adds", 2, "NoneType"),
        ("Fails", None, "ValueError"),
        ("Times", 10, "NoneType"),
        ("Later", None, "RuntimeError"),
    ]
    with pytest.raises(HookCallError, match=re.escape("call it with await manager.call.ping.acall(...)")):
        hooks.hook(Specs.ping).call_robust(n=1)


def test_call_robust_refuses_historic_hooks() -> None:
    with pytest.raises(HookCallError, match="does not call historic hook 'configured'"):
        manager().hook(Specs.configured).call_robust(value="x")


def test_plugin_results_compare_their_errors_by_identity() -> None:
    error = ValueError("x")
    assert PluginResult("a", None, error) == PluginResult("a", None, error)
    assert PluginResult("a", None, error) != PluginResult("a", None, ValueError("x"))


# -- connected ---------------------------------------------------------------------------------------------
def test_connected_registers_for_the_block_and_unregisters_after_an_error() -> None:
    hooks = manager()
    extra = Times()
    seen: list[object] = []

    def inside() -> None:
        with hooks.connected(extra, name="extra") as name:
            seen.extend([name, hooks.hook(Specs.ping).plugins])
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        inside()
    assert seen == ["extra", ["Adds", "Fails", "Silent", "Times", "extra"]]
    assert not hooks.is_registered(extra)
    assert hooks.hook(Specs.ping).plugins == ["Adds", "Fails", "Silent", "Times"]


def test_connected_leaves_alone_a_plugin_the_block_unregistered_itself() -> None:
    hooks = HookManager(Specs)
    with hooks.connected(Adds()) as name:
        hooks.unregister(name)
        hooks.register(Adds(), name=name)  # another object under the same name stays
    assert hooks.hook(Specs.ping).plugins == ["Adds"]


def test_connected_refuses_a_blocked_name() -> None:
    hooks = HookManager(Specs)
    hooks.block("Adds")
    with pytest.raises(RegistrationError, match="'Adds' is blocked"), hooks.connected(Adds()):
        pass


# -- muted -------------------------------------------------------------------------------------------------
def test_muted_plugins_keep_their_place_in_the_order() -> None:
    hooks = manager()
    fails = hooks.plugins["Fails"]
    with hooks.muted("Adds", fails):
        assert hooks.call.ping(n=1) == [10]
        assert hooks.is_registered("Adds")
    assert hooks.hook(Specs.ping).plugins == ["Adds", "Fails", "Silent", "Times"]
    with pytest.raises(ValueError, match="bad 1"):
        hooks.call.ping(n=1)


def test_muted_plugins_miss_historic_calls_made_meanwhile() -> None:
    hooks = manager()
    times = hooks.plugins["Times"]
    assert isinstance(times, Times)
    with hooks.muted(times):
        hooks.call.configured(value="while muted")
    hooks.call.configured(value="after")
    assert times.configured_with == ["after"]


def test_a_plugin_unregistered_while_muted_stays_unregistered() -> None:
    hooks = manager()
    with hooks.muted("Adds"):
        hooks.unregister("Adds")
    assert hooks.hook(Specs.ping).plugins == ["Fails", "Silent", "Times"]


def test_muting_an_unknown_plugin_mutes_nothing() -> None:
    hooks = manager()
    with pytest.raises(RegistrationError, match="cannot mute 'Nobody'"), hooks.muted("Adds", "Nobody"):
        pass
    assert hooks.hook(Specs.ping).plugins == ["Adds", "Fails", "Silent", "Times"]
