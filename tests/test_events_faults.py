"""Faults with real processes: workers killed with SIGKILL, an application killed after its commit, poison
events, and stores that refuse writes. Nothing committed is lost; duplicates are counted."""

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

from hookwise import EventStoreError, PublishError
from hookwise.events import Event, EventBus
from tests import _processes as processes
from tests._processes import duplicates, logged_numbers, replaced_after_kill, stopped, wait_for
from tests.conftest import connect

APP = textwrap.dedent(
    """
    import os
    import time

    from hookwise.events import Delivery, Event, EventBus, listener

    class Ping(Event, name="fault.ping"):
        number: int

    bus = EventBus(os.environ["FAULT_URL"], poll=0.02)

    @listener(Ping, name="record", timeout=1.0, attempts=4, backoff=0.05)
    def record(event: Ping, delivery: Delivery) -> None:
        if event.number == int(os.environ.get("FAULT_POISON", "-1")):
            raise ValueError(f"poison {event.number}")
        with open(os.environ["FAULT_LOG"], "a") as log:  # the side effect first, then a slow finish
            log.write(f"{event.number} {delivery.attempt}\\n")
        time.sleep(float(os.environ.get("FAULT_DELAY", "0")))

    bus.register(record)
    """
)


class Ping(Event, name="fault.ping"):
    number: int


@pytest.fixture
def app(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "faultapp.py").write_text(APP, encoding="utf-8")
    return {
        **os.environ,
        "FAULT_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "FAULT_LOG": str(tmp_path / "log.txt"),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]),
    }


def worker(environment: dict[str, str], cwd: Path, *extra: str) -> subprocess.Popen[bytes]:
    return processes.worker(environment, cwd, "faultapp:bus", "--log-level", "WARNING", *extra)


def logged(environment: dict[str, str]) -> list[tuple[int, ...]]:
    return logged_numbers(Path(environment["FAULT_LOG"]))


def publisher(environment: dict[str, str]) -> EventBus:
    bus = EventBus(environment["FAULT_URL"])
    bus.store.subscribe("record", "fault.ping")  # as the app does when it registers its listener
    return bus


def test_a_worker_killed_mid_delivery_loses_nothing_and_duplicates_are_counted(
    app: dict[str, str], tmp_path: Path
) -> None:
    environment = {**app, "FAULT_DELAY": "0.02"}
    bus = publisher(environment)
    for number in range(200):
        bus.publish(Ping(number=number))
    second = replaced_after_kill(lambda: worker(environment, tmp_path), lambda: len(logged(environment)) >= 40)
    try:
        wait_for(lambda: bus.status()[0].done == 200)
    finally:
        stopped(second, tmp_path)
    repeated = duplicates([number for number, _ in logged(environment)], 200)  # every event at least once
    counts = Counter(number for number, _ in logged(environment))
    (status,) = bus.status()
    print(f"worker killed: {repeated} duplicate(s), {status.redelivered} redelivered")
    assert repeated <= 1  # only the delivery in flight when the worker died can run twice
    assert repeated <= status.redelivered <= 16  # the killed worker's batch was handed out again
    again = [attempt for number, attempt in logged(environment) if counts[number] > 1]
    assert all(attempt in (1, 2) for attempt in again)


def test_an_application_killed_after_its_commit_delivers_at_the_next_start(app: dict[str, str], tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, signal, sqlite3
        from faultapp import Ping, bus

        connection = sqlite3.connect(os.environ["FAULT_URL"].removeprefix("sqlite:///"))
        connection.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY)")
        with bus.transaction(connection):
            connection.execute("INSERT INTO orders (id) VALUES (7)")
            bus.publish(Ping(number=7))
        os.kill(os.getpid(), signal.SIGKILL)  # before any worker ran, before any clean exit
        """
    )
    result = subprocess.run([sys.executable, "-c", script], env=app, cwd=tmp_path, check=False, timeout=60)
    assert result.returncode == -signal.SIGKILL
    with connect(app["FAULT_URL"].removeprefix("sqlite:///")) as connection:
        assert connection.execute("SELECT id FROM orders").fetchall() == [(7,)]
    restarted = worker(app, tmp_path)
    try:
        wait_for(lambda: logged(app) == [(7, 1)])
    finally:
        stopped(restarted, tmp_path)


def test_a_rolled_back_transaction_in_another_process_delivers_nothing(app: dict[str, str], tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, sqlite3
        from faultapp import Ping, bus

        connection = sqlite3.connect(os.environ["FAULT_URL"].removeprefix("sqlite:///"))
        try:
            with bus.transaction(connection):
                bus.publish(Ping(number=1))
                raise SystemExit(3)
        finally:
            pass
        """
    )
    result = subprocess.run([sys.executable, "-c", script], env=app, cwd=tmp_path, check=False, timeout=60)
    assert result.returncode == 3
    bus = EventBus(app["FAULT_URL"])
    assert [(s.listener, s.pending, s.done) for s in bus.status()] == [("record", 0, 0)]


def test_a_poison_event_is_dead_lettered_while_the_others_keep_flowing(app: dict[str, str], tmp_path: Path) -> None:
    environment = {**app, "FAULT_POISON": "13"}
    bus = publisher(environment)
    for number in range(30):
        bus.publish(Ping(number=number))
    process = worker(environment, tmp_path)
    try:
        wait_for(lambda: (bus.status()[0].done, bus.status()[0].dead) == (29, 1))
    finally:
        stopped(process, tmp_path)
    (letter,) = bus.dead()
    assert letter.attempts == 4
    assert letter.last_error is not None
    assert letter.last_error.startswith("ValueError: poison 13 (at ")
    assert sorted(number for number, _ in logged(environment)) == [n for n in range(30) if n != 13]


def test_a_read_only_store_refuses_to_publish_and_says_so(tmp_path: Path) -> None:
    EventBus(f"sqlite:///{tmp_path / 'app.db'}").close()  # the tables exist
    bus = EventBus(f"sqlite:///{tmp_path / 'app.db'}?mode=ro")
    with pytest.raises(PublishError, match=r"cannot store the event: attempt to write a readonly database") as caught:
        bus.publish(Ping(number=1))
    assert "nothing was published (fault.ping)" in str(caught.value)
    assert caught.value.event == "fault.ping"


def test_a_full_disk_refuses_to_publish_and_nothing_half_written_remains(tmp_path: Path) -> None:
    bus = EventBus(f"sqlite:///{tmp_path / 'app.db'}")
    bus.store.subscribe("record", "fault.ping")
    store: Any = bus.store
    connection = store._connection()  # the store's own connection, to simulate a full disk on it
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages + 2}")
    published = 0

    def fill() -> None:
        nonlocal published
        for number in range(100_000):
            bus.publish(Ping(number=number))
            published += 1

    with pytest.raises(PublishError, match=r"database or disk is full; nothing was published \(fault.ping\)"):
        fill()
    (status,) = bus.status()
    assert status.pending == published  # every event that returned is kept; the refused one is not
    app = connect(tmp_path / "app.db")  # the application's own connection: the same disk
    app.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(PublishError, match=r"cannot store the event: database or disk is full; nothing was"):
        bus.publish(Ping(number=0), within=app)


def test_a_store_written_by_another_layout_is_refused(tmp_path: Path) -> None:
    EventBus(f"sqlite:///{tmp_path / 'app.db'}").close()
    with connect(tmp_path / "app.db") as connection:
        connection.execute("UPDATE hookwise_meta SET layout = 99")
    with pytest.raises(EventStoreError, match=r"its tables have layout 99, and this hookwise reads layout 1"):
        EventBus(f"sqlite:///{tmp_path / 'app.db'}")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("events.db", r"has no scheme; use sqlite:///path/events.db, memory:// or redis://host:6379/0"),
        ("postgres://x", r"unknown scheme 'postgres'"),
        ("sqlite://relative.db", r"give a file, sqlite:///events.db"),
        ("sqlite:///x.db?journal=off", r"unknown option\(s\) \['journal'\]; known: synchronous, mode"),
        ("sqlite:///x.db?synchronous=off", r"synchronous must be normal or full, not 'off'"),
        ("memory://name", r"memory:// takes no path or options"),
    ],
)
def test_a_bad_store_url_is_explained(url: str, message: str) -> None:
    with pytest.raises(EventStoreError, match=message):
        EventBus(url)


def test_a_writer_waits_briefly_for_a_file_another_process_locked(tmp_path: Path) -> None:
    bus = EventBus(f"sqlite:///{tmp_path / 'app.db'}")
    other = connect(tmp_path / "app.db", isolation_level=None, check_same_thread=False)  # another writer
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.2, lambda: other.execute("COMMIT")).start()
    started = time.monotonic()
    bus.publish(Ping(number=1))  # waits for the lock instead of failing
    assert 0.15 < time.monotonic() - started < 5
    assert len(bus.store.events("fault.ping")) == 1


def test_a_file_locked_for_longer_than_the_busy_timeout_is_an_error_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hookwise.events import _sqlite

    monkeypatch.setattr(_sqlite, "BUSY_TIMEOUT", 0.1)
    bus = EventBus(f"sqlite:///{tmp_path / 'app.db'}")
    other = connect(tmp_path / "app.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(PublishError, match=r"database is locked for 0.1 s; another process holds a write"):
        bus.publish(Ping(number=1))
    other.execute("ROLLBACK")
