"""Workers in the application's process: threads and asyncio tasks, slow listeners, leases, graceful stops."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookwise.events import Delivery, Event, EventBus, listener


class Ping(Event, name="tests.ping"):
    number: int


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[EventBus]:
    made = EventBus(f"sqlite:///{tmp_path / 'events.db'}", poll=0.05)
    yield made
    made.close()


def wait_until(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.005)
    return False


def test_a_started_worker_delivers_what_is_published_and_stops(bus: EventBus) -> None:
    seen: list[int] = []

    @listener(Ping)
    def record(event: Ping) -> None:
        seen.append(event.number)

    bus.register(record)
    with bus.start() as worker:
        for number in range(50):
            bus.publish(Ping(number=number), key="one")
        assert wait_until(lambda: len(seen) == 50)
    assert seen == list(range(50))  # one key: publish order
    assert (worker.delivered, worker.failed) == (50, 0)
    assert [(s.pending, s.in_flight, s.done) for s in bus.status()] == [(0, 0, 50)]


def test_a_slow_listener_never_holds_up_another(bus: EventBus) -> None:
    release = threading.Event()
    fast: list[float] = []

    @listener(Ping, name="slow")
    def slow(event: Ping) -> None:
        release.wait(10)

    @listener(Ping, name="fast")
    def quick(event: Ping) -> None:
        fast.append(time.monotonic())

    bus.register(slow)
    bus.register(quick)
    worker = bus.start(threads=1, slow_after=0.05)
    try:
        started = time.monotonic()
        for number in range(5):
            bus.publish(Ping(number=number))
        assert wait_until(lambda: len(fast) == 5, timeout=5)
        assert fast[-1] - started < 2  # while the slow listener still holds its first event
        assert not release.is_set()
        statuses = {s.listener: s for s in bus.status()}
        assert statuses["slow"].done == 0
    finally:
        release.set()
        assert worker.stop(10)
    statuses = {s.listener: s for s in bus.status()}
    assert statuses["fast"].done == 5
    assert statuses["slow"].done >= 1  # the one in flight finished; the rest, given back, wait for a worker


def test_stopping_finishes_the_delivery_in_flight_and_gives_back_the_rest(bus: EventBus) -> None:
    entered, release = threading.Event(), threading.Event()
    seen: list[tuple[int, int]] = []

    @listener(Ping, name="blocking")
    def blocking(event: Ping, delivery: Delivery) -> None:
        entered.set()
        release.wait(10)
        seen.append((event.number, delivery.attempt))

    bus.register(blocking)
    for number in range(5):
        bus.publish(Ping(number=number))
    worker = bus.start(batch=5)
    assert entered.wait(10)
    threading.Timer(0.2, release.set).start()
    assert worker.stop(10)  # waits for the one in flight
    assert seen == [(0, 1)]
    ((pending, in_flight, done),) = [(s.pending, s.in_flight, s.done) for s in bus.status()]
    assert (pending, in_flight, done) == (4, 0, 1)
    assert bus.drain().delivered == 4
    assert seen[1:] == [(1, 1), (2, 1), (3, 1), (4, 1)]  # given back untried: still the first attempt


def test_stop_says_when_a_listener_outlasts_the_shutdown_timeout(bus: EventBus) -> None:
    entered, release = threading.Event(), threading.Event()

    @listener(Ping)
    def stuck(event: Ping) -> None:
        entered.set()
        release.wait(10)

    bus.register(stuck)
    bus.publish(Ping(number=1))
    worker = bus.start()
    assert entered.wait(10)
    assert worker.stop(0.1) is False
    release.set()


def test_a_delivery_whose_worker_stopped_is_handed_out_again_after_its_timeout(bus: EventBus) -> None:
    seen: list[int] = []

    @listener(Ping, name="leased", timeout=0.2, attempts=2)
    def leased(event: Ping, delivery: Delivery) -> None:
        seen.append(delivery.attempt)

    bus.register(leased)
    bus.publish(Ping(number=1))
    found = bus.listeners["leased"]
    claimed = bus.store.claim({"leased": found.policy}, 10, "a worker that dies")
    assert len(claimed) == 1
    assert bus.drain().delivered == 0  # held by the other worker
    time.sleep(0.25)
    assert bus.drain().delivered == 1
    assert seen == [2]  # the second attempt: the listener can tell it may have run before
    (status,) = bus.status()
    assert (status.done, status.redelivered) == (1, 1)


def test_a_delivery_abandoned_on_its_last_attempt_is_a_dead_letter(bus: EventBus) -> None:
    @listener(Ping, name="fragile", timeout=0.1, attempts=1)
    def fragile(event: Ping) -> None: ...

    bus.register(fragile)
    bus.publish(Ping(number=1))
    bus.store.claim({"fragile": bus.listeners["fragile"].policy}, 10, "a worker that dies")
    time.sleep(0.15)
    assert bus.drain().delivered == 0
    (letter,) = bus.dead()
    assert letter.last_error is not None
    assert letter.last_error.startswith("attempt 1 of 1 never finished: the worker holding it stopped")


def test_asyncio_workers_await_async_listeners_and_stop_when_cancelled(bus: EventBus) -> None:
    seen: list[int] = []

    @listener(Ping, name="async")
    async def record(event: Ping) -> None:
        await asyncio.sleep(0.001)
        seen.append(event.number)

    @listener(Ping, name="sync")
    def count(event: Ping) -> None:
        seen.append(-event.number)

    bus.register(record)
    bus.register(count)

    async def main() -> None:
        serving = asyncio.create_task(bus.serve())
        for number in range(1, 11):
            bus.publish(Ping(number=number))
        for _ in range(1000):
            if len(seen) == 20:
                break
            await asyncio.sleep(0.01)
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving

    asyncio.run(main())
    assert sorted(seen) == sorted([*range(1, 11), *range(-10, 0)])
    assert all(s.in_flight == 0 for s in bus.status())


def test_events_published_by_another_process_are_found_by_polling(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    seen = threading.Event()
    worker_bus, publisher = EventBus(url, poll=0.05), EventBus(url)

    @listener(Ping)
    def record(event: Ping) -> None:
        seen.set()

    worker_bus.register(record)
    with worker_bus.start():
        publisher.publish(Ping(number=1))  # another bus: no wake-up reaches the worker
        assert seen.wait(5)
    worker_bus.close()
    publisher.close()
