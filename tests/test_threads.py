"""Threads: no deadlock, no lost or doubled historic call, safe reads, all-or-nothing registration.

These run real threads; a deadlock would show as a thread still alive after a
generous join timeout (a hang detector, not a timing assertion). The thread
switch interval is made tiny so that interleavings that are rare by default
happen in every run.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hookwise import HookManager, hookimpl, hookspec

HANG = 120.0  # seconds: far beyond any honest run, even under coverage; only a deadlock reaches it


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Switch threads every microsecond, so that rare interleavings are common."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def run_all(*targets: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as error:
                errors.append(error)

        return run

    threads = [threading.Thread(target=guarded(target), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG)
    assert not [thread for thread in threads if thread.is_alive()], "a thread is stuck: deadlock"
    if errors:
        raise errors[0]


class AppHooks:
    @hookspec(kind="observe", historic=True)
    def configured(self, call: int) -> None: ...

    @hookspec
    def render(self, page: str) -> str:
        raise NotImplementedError


def test_no_plugin_code_runs_under_hookwises_lock() -> None:
    """A historic replay takes an application lock that another thread holds while it calls a hook
    whose caller must be rebuilt (which takes hookwise's lock). Replays run outside the lock."""
    hooks = HookManager(AppHooks)
    hooks.call.configured(call=1)
    app_lock = threading.Lock()
    holding, replaying = threading.Event(), threading.Event()

    class Renderer:
        @hookimpl
        def render(self, page: str) -> str:
            return page

    class Late:
        @hookimpl
        def configured(self, call: int) -> None:
            replaying.set()
            with app_lock:
                pass

    def application() -> None:
        with app_lock:
            holding.set()
            assert replaying.wait(HANG)
            hooks.register(Renderer())  # the next call of render rebuilds its caller
            assert hooks.call.render(page="home") == ["home"]

    def late_registration() -> None:
        assert holding.wait(HANG)
        hooks.register(Late())

    run_all(application, late_registration)


def test_every_historic_call_reaches_every_plugin_exactly_once(switch_often: None) -> None:
    """Calls keep coming while plugins register: each plugin gets each call once, live or replayed."""
    hooks = HookManager(AppHooks)
    received: dict[str, Counter[int]] = {}
    cap, callers, registrars, per_registrar = 1500, 4, 2, 200
    numbers = iter(range(1, callers * cap + 1))
    made: list[int] = []
    lock = threading.Lock()
    registered = threading.Event()

    def plugin(name: str) -> object:
        seen = received[name] = Counter()

        class Listener:
            @hookimpl
            def configured(self, call: int) -> None:
                seen[call] += 1

        return Listener()

    def caller() -> None:
        for _ in range(cap):
            if registered.is_set():
                return
            with lock:
                call = next(numbers)
                made.append(call)
            hooks.call.configured(call=call)

    def registrar(index: int) -> Callable[[], None]:
        def run() -> None:
            for n in range(per_registrar):
                name = f"late-{index}-{n}"
                hooks.register(plugin(name), name=name)

        return run

    def registering() -> None:
        run_all(*(registrar(i) for i in range(registrars)))
        registered.set()

    run_all(registering, *(caller for _ in range(callers)))
    everything = Counter(made)
    wrong = {name: seen for name, seen in received.items() if seen != everything}
    assert len(received) == registrars * per_registrar
    assert wrong == {}


def test_reads_are_safe_while_other_threads_register(switch_often: None) -> None:
    hooks = HookManager(AppHooks)
    done = threading.Event()

    class Page:
        @hookimpl
        def render(self, page: str) -> str:
            return page

    def registering() -> None:
        for index in range(500):
            hooks.register(Page(), name=f"page{index}")
        done.set()

    def reading() -> None:
        while not done.is_set():
            assert len(hooks.plugins) >= 0
            hooks.is_registered(object())
            hooks.is_registered("page3")
            hooks.hook("render").plugins
            repr(hooks)

    run_all(registering, reading, reading)
    assert len(hooks.plugins) == 500


def test_a_failed_historic_replay_leaves_the_plugin_unregistered() -> None:
    hooks = HookManager(AppHooks)
    hooks.call.configured(call=1)

    class Broken:
        @hookimpl
        def configured(self, call: int) -> None:
            msg = "cannot configure"
            raise RuntimeError(msg)

        @hookimpl
        def render(self, page: str) -> str:
            return "broken"

    with pytest.raises(RuntimeError, match="cannot configure"):
        hooks.register(Broken())
    assert not hooks.is_registered("Broken")
    assert hooks.call.render(page="x") == []
    hooks.call.configured(call=2)  # nothing of Broken runs


def test_concurrent_calls_and_registrations_give_consistent_results(switch_often: None) -> None:
    """Every call sees one whole set of implementations: never half a registration."""
    hooks = HookManager(AppHooks)
    results: list[list[str]] = []

    def pair(index: int) -> Any:
        class Pair:
            @hookimpl
            def render(self, page: str) -> str:
                return f"{index}a"

        class Twin:
            @hookimpl
            def render(self, page: str) -> str:
                return f"{index}b"

        return Pair(), Twin()

    def registering() -> None:
        for index in range(200):
            first, second = pair(index)
            hooks.register(first, name=f"{index}a")
            hooks.register(second, name=f"{index}b")

    def calling() -> None:
        results.extend(hooks.call.render(page="p") for _ in range(400))

    run_all(registering, calling, calling)
    for result in results:
        expected = [f"{i // 2}{'ab'[i % 2]}" for i in range(len(result))]
        assert result == expected  # a prefix of the registration order, never out of order
