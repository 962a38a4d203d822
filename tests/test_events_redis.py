"""Events on Redis Streams, with a real redis-server: consumer groups, the outbox, operations, faults."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis

from hookwise import EventStoreError, PublishError
from hookwise.events import Event, EventBus, listener
from tests import _processes as processes
from tests._processes import duplicates, logged_numbers, replaced_after_kill, stopped, wait_for
from tests.conftest import RedisServer, connect


class Ping(Event, name="redis.ping"):
    number: int


APP = textwrap.dedent(
    """
    import os
    import time

    from hookwise.events import Delivery, Event, EventBus, listener

    class Ping(Event, name="redis.ping"):
        number: int

    bus = EventBus(os.environ["EVENTS_URL"], poll=0.05, outbox=os.environ.get("EVENTS_OUTBOX"))

    @listener(Ping, name="record", timeout=1.0, attempts=5, backoff=0.05)
    def record(event: Ping, delivery: Delivery) -> None:
        with open(os.environ["EVENTS_LOG"], "a") as log:
            log.write(f"{event.number} {delivery.attempt} {os.getpid()}\\n")
        time.sleep(float(os.environ.get("EVENTS_DELAY", "0")))

    bus.register(record)
    """
)


@pytest.fixture
def app(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "redisapp.py").write_text(APP, encoding="utf-8")
    return {
        **os.environ,
        "EVENTS_LOG": str(tmp_path / "log.txt"),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]),
    }


def worker(environment: dict[str, str], cwd: Path, *extra: str) -> subprocess.Popen[bytes]:
    return processes.worker(environment, cwd, "redisapp:bus", *extra)


def logged(environment: dict[str, str]) -> list[tuple[int, ...]]:
    return logged_numbers(Path(environment["EVENTS_LOG"]))


def idle(bus: EventBus) -> bool:
    return all((s.pending, s.in_flight, s.retrying) == (0, 0, 0) for s in bus.status())


def test_each_listener_is_a_consumer_group_on_the_events_stream(redis_url: str) -> None:
    seen: dict[str, list[int]] = {"a": [], "b": []}

    @listener(Ping, name="a")
    def a(event: Ping) -> None:
        seen["a"].append(event.number)

    @listener(Ping, name="b")
    def b(event: Ping) -> None:
        seen["b"].append(event.number)

    bus = EventBus(redis_url)
    bus.register(a)
    bus.register(b)
    for number in range(3):
        bus.publish(Ping(number=number), key="k")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assert client.xlen("hookwise:stream:redis.ping") == 3
    assert sorted(group["name"] for group in client.xinfo_groups("hookwise:stream:redis.ping")) == ["a", "b"]
    assert bus.drain().delivered == 6
    assert seen == {"a": [0, 1, 2], "b": [0, 1, 2]}
    assert [(s.listener, s.pending, s.in_flight, s.done) for s in bus.status()] == [("a", 0, 0, 3), ("b", 0, 0, 3)]
    assert [e.id for e in bus.store.events("redis.ping")] == sorted(e.id for e in bus.store.events("redis.ping"))
    client.close()
    bus.close()


def test_forget_and_prune_on_redis(redis_url: str) -> None:
    @listener(Ping, name="gone")
    def gone(event: Ping) -> None: ...

    bus = EventBus(redis_url)
    bus.register(gone)
    for number in range(5):
        bus.publish(Ping(number=number))
    bus.drain()
    assert bus.prune(0) == 5  # delivered entries are trimmed from the stream
    assert bus.store.events("redis.ping") == []
    bus.publish(Ping(number=9))
    bus.unregister(gone)
    assert bus.forget("gone") == 1
    assert bus.status() == []
    with pytest.raises(EventStoreError, match=r"no listener 'gone' is subscribed in redis at 127.0.0.1:\d+"):
        bus.forget("gone")
    bus.close()


def test_several_worker_processes_share_one_listener(app: dict[str, str], tmp_path: Path, redis_url: str) -> None:
    environment = {**app, "EVENTS_URL": redis_url, "EVENTS_DELAY": "0.002"}
    publisher = EventBus(redis_url)
    publisher.store.subscribe("record", "redis.ping")
    workers = [worker(environment, tmp_path) for _ in range(3)]
    try:
        for number in range(300):
            publisher.publish(Ping(number=number))
        wait_for(lambda: publisher.status()[0].done == 300)
    finally:
        for process in workers:
            stopped(process, tmp_path)
    handled = Counter(number for number, _, _ in logged(environment))
    assert set(handled) == set(range(300))
    assert max(handled.values()) == 1  # without faults, each event is handled once
    assert len({pid for _, _, pid in logged(environment)}) >= 2  # the work was shared


def test_a_killed_worker_s_deliveries_are_reclaimed_by_another(
    app: dict[str, str], tmp_path: Path, redis_url: str
) -> None:
    environment = {**app, "EVENTS_URL": redis_url, "EVENTS_DELAY": "0.02"}
    publisher = EventBus(redis_url)
    publisher.store.subscribe("record", "redis.ping")
    for number in range(150):
        publisher.publish(Ping(number=number))
    second = replaced_after_kill(lambda: worker(environment, tmp_path), lambda: len(logged(environment)) >= 30)
    try:
        wait_for(lambda: publisher.status()[0].done == 150)
    finally:
        stopped(second, tmp_path)
    repeated = duplicates([number for number, _, _ in logged(environment)], 150)
    (status,) = publisher.status()
    print(f"redis, worker killed: {repeated} duplicate(s), {status.redelivered} redelivered")
    assert repeated <= 1
    assert repeated <= status.redelivered <= 16


def test_restarting_redis_loses_nothing_acknowledged(
    app: dict[str, str], tmp_path: Path, own_redis: RedisServer
) -> None:
    environment = {**app, "EVENTS_URL": own_redis.url, "EVENTS_DELAY": "0.001"}
    publisher = EventBus(own_redis.url)
    publisher.store.subscribe("record", "redis.ping")
    process = worker(environment, tmp_path)
    published: list[int] = []
    refused = 0

    def publish_all() -> None:
        nonlocal refused
        for number in range(400):
            while True:
                try:
                    publisher.publish(Ping(number=number))
                except PublishError:
                    refused += 1  # Redis is restarting: the caller is told, and tries again
                    time.sleep(0.05)
                else:
                    published.append(number)
                    break
            time.sleep(0.002)

    thread = threading.Thread(target=publish_all)
    thread.start()
    try:
        wait_for(lambda: len(published) >= 100)
        own_redis.stop()
        time.sleep(0.3)
        own_redis.start()
        thread.join(120)
        wait_for(lambda: {n for n, _, _ in logged(environment)} == set(range(400)) and idle(publisher), timeout=120)
    finally:
        stopped(process, tmp_path)
    repeated = duplicates([number for number, _, _ in logged(environment)], 400)
    (status,) = publisher.status()
    print(f"redis restarted: {refused} publish attempts refused and retried, {repeated} duplicate(s), {status}")
    assert status.done >= 400  # every stored entry counted done once (a retried publish may have stored two)
    assert repeated <= status.done - 400 + 16


def test_the_outbox_publishes_with_the_application_s_transaction(tmp_path: Path, redis_url: str) -> None:
    seen: list[int] = []

    @listener(Ping, name="outboxed")
    def outboxed(event: Ping) -> None:
        seen.append(event.number)

    database = tmp_path / "app.db"
    bus = EventBus(redis_url, outbox=f"sqlite:///{database}")
    bus.register(outboxed)
    connection = connect(database)
    connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    with bus.transaction(connection):
        connection.execute("INSERT INTO orders VALUES (1)")
        bus.publish(Ping(number=1))
    with pytest.raises(ZeroDivisionError), bus.transaction(connection):  # noqa: PT012 - the block is the test
        connection.execute("INSERT INTO orders VALUES (2)")
        bus.publish(Ping(number=2))
        _ = 1 / 0
    bus.drain()
    assert seen == [1]
    assert connection.execute("SELECT id FROM orders").fetchall() == [(1,)]
    assert connection.execute("SELECT count(*) FROM hookwise_events").fetchone() == (0,)  # relayed, then deleted
    bus.close()


def test_an_event_committed_while_redis_is_down_is_relayed_by_a_worker(
    app: dict[str, str], tmp_path: Path, own_redis: RedisServer
) -> None:
    database = tmp_path / "app.db"
    environment = {**app, "EVENTS_URL": own_redis.url, "EVENTS_OUTBOX": f"sqlite:///{database}"}
    EventBus(own_redis.url).store.subscribe("record", "redis.ping")
    own_redis.stop()
    script = textwrap.dedent(
        """
        import os, signal, sqlite3
        from redisapp import Ping, bus

        connection = sqlite3.connect(os.environ["EVENTS_OUTBOX"].removeprefix("sqlite:///"))
        with bus.transaction(connection):  # Redis is down: the event waits in the outbox, committed
            bus.publish(Ping(number=42))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], env=environment, cwd=tmp_path, check=False, timeout=60)
    assert result.returncode == -signal.SIGKILL
    with connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM hookwise_events").fetchone() == (1,)
    own_redis.start()
    process = worker(environment, tmp_path)
    try:
        wait_for(lambda: [number for number, _, _ in logged(environment)] == [42])
    finally:
        stopped(process, tmp_path)


def test_a_relay_that_sends_twice_adds_the_event_once(tmp_path: Path, redis_url: str) -> None:
    database = tmp_path / "app.db"
    bus = EventBus(redis_url, outbox=f"sqlite:///{database}")
    bus.store.subscribe("once", "redis.ping")
    connection = connect(database)
    with bus.transaction(connection):
        bus.publish(Ping(number=7))
    store: Any = bus.store
    outbox = store.outbox
    (envelope,) = bus.store.events("redis.ping")
    outbox._send([envelope])  # the relay crashed after sending, before deleting: it sends again
    assert len(bus.store.events("redis.ping")) == 1
    bus.close()


def test_redis_failures_are_clear_errors(tmp_path: Path, own_redis: RedisServer) -> None:
    bus = EventBus(own_redis.url)
    own_redis.stop()
    with pytest.raises(PublishError, match=r"event store redis at 127.0.0.1:\d+: cannot store the event: Connection"):
        bus.publish(Ping(number=1))
    with pytest.raises(EventStoreError, match=r"through an outbox in the same database: EventBus\("):
        bus.transaction(connect(tmp_path / "app.db")).__enter__()
    with pytest.raises(EventStoreError, match=r"outbox='sqlite:///x.db' is for a broker"):
        EventBus("memory://", outbox="sqlite:///x.db")
    with pytest.raises(EventStoreError, match=r"the outbox is the application's SQLite database"):
        EventBus(own_redis.url, outbox="memory://")


def test_the_worker_command_takes_another_broker(app: dict[str, str], tmp_path: Path, redis_url: str) -> None:
    environment = {**app, "EVENTS_URL": f"sqlite:///{tmp_path / 'default.db'}"}
    publisher = EventBus(redis_url)
    publisher.store.subscribe("record", "redis.ping")
    publisher.publish(Ping(number=5))
    process = worker(environment, tmp_path, "--broker", redis_url)
    try:
        wait_for(lambda: [number for number, _, _ in logged(environment)] == [5])
    finally:
        stopped(process, tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "hookwise", "events", "status", "--url", redis_url],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split()[:6] == ["record", "0", "0", "0", "0", "1"]
