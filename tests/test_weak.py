"""Plugins and handlers held by weak reference: ``register(..., weak=True)``, as blinker holds receivers."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Generator, Mapping
from typing import Any

import pytest

from hookwise import HookManager, PluginValidationError, Veto, hookimpl, hookspec


class Specs:
    @hookspec
    def labels(self, title: str) -> str:
        raise NotImplementedError

    @hookspec(kind="intercept")
    def before_save(self, title: str) -> None: ...


class Labeller:
    def __init__(self, label: str) -> None:
        self.label = label

    @hookimpl
    def labels(self, title: str) -> str:
        return f"{self.label}:{title}"


def test_a_weak_plugin_is_called_while_alive_and_unregistered_once_collected() -> None:
    hooks = HookManager(Specs)
    plugin = Labeller("a")
    name = hooks.register(plugin, weak=True)
    hooks.register(Labeller("strong"), name="strong")
    assert hooks.call.labels(title="t") == ["a:t", "strong:t"]
    assert hooks.plugin_info("Labeller").weak
    assert hooks.plugins["Labeller"] is plugin
    alive = weakref.ref(plugin)
    del plugin
    gc.collect()
    assert alive() is None  # the manager kept nothing alive
    assert name not in hooks.plugins
    assert hooks.hook(Specs.labels).plugins == ["strong"]
    assert hooks.call.labels(title="t") == ["strong:t"]
    hooks.register(Labeller("b"), name=name)  # the name is free again


def test_a_weak_handler_by_hook_name() -> None:
    hooks = HookManager(Specs)

    class Guard:
        def check(self, context: Mapping[str, Any]) -> Veto | None:
            return Veto("no titles") if context["title"] else None

    guard = Guard()
    hooks.register("before_save", guard.check, weak=True, priority=5)
    assert hooks.call.before_save(title="x").vetoed
    del guard
    gc.collect()
    assert not hooks.call.before_save(title="x").vetoed
    assert hooks.plugins == {}


def test_on_takes_weak_too_and_a_weak_function_lives_as_long_as_its_references() -> None:
    hooks = HookManager(Specs)

    def local(context: Mapping[str, Any]) -> None:
        return None

    decorated = hooks.on("before_save", weak=True)(local)
    assert list(hooks.plugins) == ["local"]
    del decorated, local
    gc.collect()
    assert hooks.plugins == {}


def test_weak_wrappers_and_async_implementations() -> None:
    hooks = HookManager(Specs)

    class Both:
        @hookimpl(wrapper=True)
        def labels(self, title: str) -> Generator[None, list[str], list[str]]:
            result = yield
            return [*result, "wrapped"]

        @hookimpl
        async def before_save(self, title: str) -> Veto:
            return Veto("async says no")

    both = Both()
    hooks.register(Labeller("x"))
    hooks.register(both, weak=True)
    assert hooks.call.labels(title="t") == ["x:t", "wrapped"]
    assert asyncio.run(hooks.call.before_save.acall(title="t")).vetoed
    del both
    gc.collect()
    assert hooks.call.labels(title="t") == ["x:t"]


def test_a_collected_plugin_is_tidied_at_the_next_registration_when_the_lock_was_busy() -> None:
    hooks = HookManager(Specs)
    plugin = Labeller("a")
    hooks.register(plugin, weak=True)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with hooks._lock:  # another thread is registering
            held.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    held.wait(10)
    del plugin
    gc.collect()  # the callback cannot take the lock: it leaves a note, and waits for nothing
    release.set()
    other.join()
    assert hooks.call.labels(title="t") == []  # the stand-in does nothing meanwhile
    assert hooks.plugins == {}  # and reads leave it out
    assert hooks.plugin_info("Labeller").plugin is None  # until the next registration tidies it away
    hooks.register(Labeller("b"), name="b")
    assert list(hooks.plugins) == ["b"]


def test_what_cannot_be_held_weakly_is_refused_clearly() -> None:
    hooks = HookManager(Specs)

    class AsyncWrapper:
        @hookimpl(wrapper=True)
        async def labels(self, title: str):  # type: ignore[no-untyped-def]
            yield

    with pytest.raises(
        PluginValidationError, match="async generator wrapper .*labels of hook 'labels' cannot be held weakly"
    ):
        hooks.register(AsyncWrapper(), weak=True)

    class Slotted:
        __slots__ = ()

        @hookimpl
        def labels(self, title: str) -> str:
            return title

    with pytest.raises(TypeError, match=r"Slotted objects cannot be held weakly \(weak=True\); register .* as usual"):
        hooks.register(Slotted(), weak=True)
    assert hooks.plugins == {}
