"""Delivery: each (event, listener) on its own, at least once, retried with backoff, then a dead letter;
events of one key in publish order; sync and async listeners; deliveries on hookwise's call path."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookwise import HookStats, TraceRecorder
from hookwise.events import Delivery, Event, EventBus, listener


class TaskCompleted(Event, name="todos.task_completed"):
    task_id: str
    owner_id: str


class TaskCreated(Event, name="todos.task_created"):
    task_id: str


def made(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> EventBus:
    if kind == "redis":
        return EventBus(request.getfixturevalue("redis_url"))
    return EventBus("memory://" if kind == "memory" else f"sqlite:///{tmp_path / 'app.db'}")


@pytest.fixture(params=["memory", "sqlite", "redis"])
def bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventBus]:
    """A bus on each store: they keep the same promises."""
    found = made(request.param, request, tmp_path)
    yield found
    found.close()


@pytest.fixture(params=["memory", "sqlite"])
def embedded_bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventBus]:
    """A bus on each embedded store, for what they promise beyond Redis (order behind a retry, pruning)."""
    found = made(request.param, request, tmp_path)
    yield found
    found.close()


class Flaky:
    """Fails its first ``failures`` attempts of each event, then succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[str, int]] = []

    @listener(TaskCompleted, name="flaky", attempts=3, backoff=60)
    def handle(self, event: TaskCompleted, delivery: Delivery) -> None:
        self.calls.append((event.task_id, delivery.attempt))
        if delivery.attempt <= self.failures:
            msg = f"service down for {event.task_id}"
            raise ConnectionError(msg)


class Steady:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @listener(TaskCompleted, name="steady")
    def handle(self, event: TaskCompleted) -> None:
        self.seen.append(event.task_id)


def test_publish_returns_at_once_and_drain_delivers(bus: EventBus) -> None:
    steady = Steady()
    bus.register(steady)
    event_id = bus.publish(TaskCompleted(task_id="t1", owner_id="ann"))
    assert steady.seen == []  # publishing never waits for a listener
    assert [(s.listener, s.pending, s.done) for s in bus.status()] == [("steady", 1, 0)]
    assert tuple(bus.drain()) == (1, 0, 0)
    assert steady.seen == ["t1"]
    (record,) = bus.deliveries(event_id)
    assert (record.listener, record.state, record.attempts) == ("steady", "done", 1)
    assert bus.drain().delivered == 0  # done is not repeated


def test_a_failing_listener_is_retried_then_dead_lettered_while_others_succeed(bus: EventBus) -> None:
    flaky, steady = Flaky(failures=10), Steady()
    bus.register(flaky)
    bus.register(steady)
    event_id = bus.publish(TaskCompleted(task_id="t1", owner_id="ann"))
    bus.drain(retry_now=False)
    assert steady.seen == ["t1"]
    assert flaky.calls == [("t1", 1)]
    status = {s.listener: s for s in bus.status()}
    assert (status["flaky"].retrying, status["flaky"].dead, status["steady"].done) == (1, 0, 1)
    assert bus.drain(retry_now=False).delivered == 0  # the retry waits out its backoff (60 s, with jitter)
    drained = bus.drain()  # retry_now: due at once, as a test wants
    assert (drained.failed, drained.dead) == (2, 1)
    assert flaky.calls == [("t1", 1), ("t1", 2), ("t1", 3)]
    (letter,) = bus.dead()
    assert (letter.listener, letter.event_id, letter.attempts) == ("flaky", event_id, 3)
    assert letter.last_error is not None
    assert letter.last_error.startswith("ConnectionError: service down for t1 (at ")
    assert "test_events_delivery.py" in letter.last_error
    assert letter.first_attempt_at is not None
    assert letter.last_attempt_at is not None
    assert letter.first_attempt_at <= letter.last_attempt_at
    assert {r.listener: r.state for r in bus.deliveries(event_id)} == {"flaky": "dead", "steady": "done"}


def test_retry_requeues_dead_letters_with_fresh_attempts(bus: EventBus) -> None:
    flaky = Flaky(failures=3)
    bus.register(flaky)
    bus.publish(TaskCompleted(task_id="t1", owner_id="ann"))
    bus.drain()
    assert [letter.listener for letter in bus.dead()] == ["flaky"]
    flaky.failures = 0
    assert bus.retry("flaky") == 1
    assert bus.drain().delivered == 1
    assert flaky.calls[-1] == ("t1", 1)  # attempts count anew
    assert bus.dead() == []
    assert bus.retry() == 0


def test_backoff_grows_exponentially_with_jitter_up_to_the_maximum() -> None:
    @listener(TaskCompleted, backoff=2, max_backoff=10, attempts=6)
    def handle(event: TaskCompleted) -> None: ...

    bus = EventBus()
    bus.register(handle)
    found = bus.listeners["handle"]
    for attempt, full in ((1, 2), (2, 4), (3, 8), (4, 10), (5, 10)):
        waits = [found.retry_at(attempt, 100.0) for _ in range(200)]
        assert all(w is not None and 100 + full / 2 <= w <= 100 + full for w in waits)
        assert len(set(waits)) > 100  # jitter spreads retries
    assert found.retry_at(6, 100.0) is None  # the last attempt: a dead letter


def test_events_with_one_key_reach_a_listener_in_publish_order_and_wait_for_a_retry(embedded_bus: EventBus) -> None:
    bus = embedded_bus
    order: list[str] = []
    failing = {"a1"}

    @listener(TaskCompleted, name="ordered", attempts=5, backoff=60)
    def ordered(event: TaskCompleted) -> None:
        if event.task_id in failing:
            failing.discard(event.task_id)
            msg = "once"
            raise RuntimeError(msg)
        order.append(event.task_id)

    bus.register(ordered)
    for task in ("a1", "b1", "a2", "b2", "a3"):
        bus.publish(TaskCompleted(task_id=task, owner_id=task[0]), key=task[0])
    bus.drain(retry_now=False)
    assert order == ["b1", "b2"]  # a2 and a3 wait behind a1's retry; key b flows on
    bus.drain()
    assert order == ["b1", "b2", "a1", "a2", "a3"]


def test_events_without_a_key_are_not_held_up_by_a_retry(bus: EventBus) -> None:
    seen: list[str] = []

    @listener(TaskCompleted, name="free", backoff=60)
    def free(event: TaskCompleted) -> None:
        if event.task_id == "t1" and "t1" not in seen:
            seen.append("t1")
            raise RuntimeError
        seen.append(event.task_id)

    bus.register(free)
    for task in ("t1", "t2", "t3"):
        bus.publish(TaskCompleted(task_id=task, owner_id="ann"))
    bus.drain(retry_now=False)
    assert seen == ["t1", "t2", "t3"]


def test_a_listener_only_gets_its_events_and_only_those_published_after_it_subscribed(bus: EventBus) -> None:
    created: list[str] = []

    @listener(TaskCreated)
    def on_created(event: TaskCreated) -> None:
        created.append(event.task_id)

    bus.publish(TaskCreated(task_id="before"))
    bus.register(on_created)
    bus.publish(TaskCompleted(task_id="other", owner_id="ann"))
    bus.publish(TaskCreated(task_id="after"))
    bus.drain()
    assert created == ["after"]


def test_async_listeners_are_awaited_by_drain_and_by_adrain(bus: EventBus) -> None:
    seen: list[tuple[str, str]] = []

    @listener(TaskCompleted, name="async-mail")
    async def mail(event: TaskCompleted, delivery: Delivery) -> None:
        await asyncio.sleep(0)
        seen.append(("async", event.task_id))

    @listener(TaskCompleted, name="sync-count")
    def count(event: TaskCompleted) -> None:
        seen.append(("sync", event.task_id))

    bus.register(mail)
    bus.register(count)
    bus.publish(TaskCompleted(task_id="t1", owner_id="ann"))
    assert bus.drain().delivered == 2
    bus.publish(TaskCompleted(task_id="t2", owner_id="ann"))
    assert asyncio.run(bus.adrain()).delivered == 2
    assert sorted(seen) == [("async", "t1"), ("async", "t2"), ("sync", "t1"), ("sync", "t2")]

    async def inside_a_loop() -> None:
        bus.publish(TaskCompleted(task_id="t3", owner_id="ann"))
        with pytest.raises(RuntimeError, match=r"an async listener .* is registered and an event loop is running"):
            bus.drain()
        assert (await bus.adrain()).delivered == 2

    asyncio.run(inside_a_loop())


def test_deliveries_are_hook_calls_for_monitors_traces_and_statistics(bus: EventBus) -> None:
    flaky, steady = Flaky(failures=1), Steady()
    bus.register(flaky)
    bus.register(steady)
    recorder, stats = TraceRecorder(), HookStats()
    bus.add_monitor(recorder)
    remove = bus.add_monitor(stats, events=["todos.task_completed"])
    bus.publish(TaskCompleted(task_id="t1", owner_id="ann"))
    bus.drain()
    calls = recorder.calls
    assert [c.hook for c in calls] == ["todos.task_completed"] * 3
    assert sorted((c.impls[0].plugin, c.impls[0].outcome) for c in calls) == [
        ("flaky", "raised"),
        ("flaky", "returned"),
        ("steady", "returned"),
    ]
    arguments = calls[0].arguments
    assert arguments is not None
    assert set(arguments) == {"event", "delivery"}
    assert stats.hooks["todos.task_completed"][0] == 3
    assert (
        stats.plugins[("todos.task_completed", "flaky")][0],
        stats.plugins[("todos.task_completed", "flaky")][2],
    ) == (2, 1)
    assert "todos.task_completed" in recorder.to_html("deliveries")
    remove()
    bus.remove_monitor(recorder)
    bus.publish(TaskCompleted(task_id="t2", owner_id="ann"))
    bus.drain()
    assert len(recorder.calls) == 3
    assert stats.hooks["todos.task_completed"][0] == 3


def test_an_event_published_by_a_listener_is_delivered_in_the_same_drain(bus: EventBus) -> None:
    seen: list[str] = []

    @listener(TaskCreated)
    def created(event: TaskCreated) -> None:
        bus.publish(TaskCompleted(task_id=event.task_id, owner_id="ann"))

    @listener(TaskCompleted)
    def completed(event: TaskCompleted) -> None:
        seen.append(event.task_id)

    bus.register(created)
    bus.register(completed)
    bus.publish(TaskCreated(task_id="t1"))
    assert bus.drain().delivered == 2
    assert seen == ["t1"]


def test_delivery_says_which_event_which_attempt_and_when(bus: EventBus) -> None:
    deliveries: list[Delivery] = []

    @listener(TaskCompleted, name="who")
    def who(event: TaskCompleted, delivery: Delivery) -> None:
        deliveries.append(delivery)

    bus.register(who)
    before = time.time()
    event_id = bus.publish(TaskCompleted(task_id="t1", owner_id="ann"), key="ann")
    bus.drain()
    (delivery,) = deliveries
    assert (delivery.event_id, delivery.event_name, delivery.version) == (event_id, "todos.task_completed", 1)
    assert (delivery.listener, delivery.attempt, delivery.key) == ("who", 1, "ann")
    assert before - 1 <= delivery.published_at.timestamp() <= time.time()
    assert repr(delivery) == f"<Delivery todos.task_completed {event_id} to 'who' attempt 1 key='ann'>"
    assert len(event_id) == 32
    assert event_id < bus.publish(TaskCompleted(task_id="t2", owner_id="ann"))  # ids sort by time


def test_prune_forgets_delivered_events_but_never_undelivered_ones(embedded_bus: EventBus) -> None:
    bus = embedded_bus
    steady, flaky = Steady(), Flaky(failures=1)
    bus.register(steady)
    bus.register(flaky)
    first = bus.publish(TaskCompleted(task_id="t1", owner_id="ann"))
    bus.drain(retry_now=False)  # steady done; flaky retrying
    time.sleep(0.01)
    assert bus.prune(0) == 1
    assert {r.listener: r.state for r in bus.deliveries(first)} == {"flaky": "pending"}
    bus.drain()
    assert bus.prune(0) == 1
    assert bus.deliveries(first) == []  # its deliveries are forgotten (the newest event's row stays)
