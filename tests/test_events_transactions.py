"""The transactional outbox: events published in the application's transaction commit with its rows, or not at all."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.orm import Session

from hookwise import EventStoreError
from hookwise.events import Event, EventBus, listener
from tests.conftest import connect


class TaskCompleted(Event, name="todos.task_completed"):
    task_id: str


class Mail:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.arrived = threading.Event()

    @listener(TaskCompleted, name="mail")
    def send(self, event: TaskCompleted) -> None:
        self.sent.append(event.task_id)
        self.arrived.set()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    with connect(path) as connection:
        connection.execute("CREATE TABLE tasks (id TEXT PRIMARY KEY, done INTEGER NOT NULL)")
        connection.execute("INSERT INTO tasks VALUES ('t1', 0)")
    return path


@pytest.fixture
def bus(database: Path) -> Iterator[EventBus]:
    made = EventBus(f"sqlite:///{database}")
    yield made
    made.close()


@pytest.fixture
def mail(bus: EventBus) -> Mail:
    found = Mail()
    bus.register(found)
    return found


def done(database: Path) -> int:
    with connect(database) as connection:
        return int(connection.execute("SELECT done FROM tasks WHERE id = 't1'").fetchone()[0])


class Aborted(Exception):
    """The operation failed after it wrote: its unit of work must roll back."""


def abort(unit: AbstractContextManager[object], *steps: Callable[[], object]) -> None:
    """Run ``steps`` inside ``unit``, then fail."""
    with unit:
        for step in steps:
            step()
        raise Aborted


def pending(bus: EventBus) -> int:
    """Deliveries a worker would find now (it reads committed data only)."""
    return sum(status.pending for status in bus.status())


def complete(connection: sqlite3.Connection, bus: EventBus) -> None:
    connection.execute("UPDATE tasks SET done = 1 WHERE id = 't1'")
    bus.publish(TaskCompleted(task_id="t1"))


def test_rows_and_events_commit_together(database: Path, bus: EventBus, mail: Mail) -> None:
    connection = connect(database)
    with bus.transaction(connection) as unit:
        assert unit is connection
        complete(connection, bus)
        assert pending(bus) == 0  # not committed: no worker can see the event
    assert pending(bus) == 1
    assert done(database) == 1
    assert bus.drain().delivered == 1
    assert mail.sent == ["t1"]


def test_a_rolled_back_transaction_delivers_nothing(database: Path, bus: EventBus, mail: Mail) -> None:
    connection = connect(database)
    with pytest.raises(Aborted):
        abort(bus.transaction(connection), lambda: complete(connection, bus))
    assert done(database) == 0
    assert bus.drain().delivered == 0
    assert [(s.listener, s.pending) for s in bus.status()] == [("mail", 0)]


def test_within_joins_a_transaction_the_application_commits_itself(database: Path, bus: EventBus, mail: Mail) -> None:
    connection = connect(database)  # Python's default: a transaction opens at the first write
    connection.execute("UPDATE tasks SET done = 1 WHERE id = 't1'")
    bus.publish(TaskCompleted(task_id="t1"), within=connection)
    assert pending(bus) == 0
    connection.commit()
    assert bus.drain().delivered == 1
    connection.execute("UPDATE tasks SET done = 0 WHERE id = 't1'")
    bus.publish(TaskCompleted(task_id="t2"), within=connection)
    connection.rollback()
    assert bus.drain().delivered == 0
    assert mail.sent == ["t1"]


def test_transactions_of_sqlalchemy_sessions_and_connections(database: Path, bus: EventBus, mail: Mail) -> None:
    engine = sqlalchemy.create_engine(f"sqlite:///{database}")
    update = sqlalchemy.text("UPDATE tasks SET done = :done WHERE id = 't1'")
    with Session(engine) as session, bus.transaction(session):
        session.execute(update, {"done": 1})
        bus.publish(TaskCompleted(task_id="session"))
    assert done(database) == 1
    with Session(engine) as session, pytest.raises(Aborted):
        abort(
            bus.transaction(session),
            lambda: session.execute(update, {"done": 0}),
            lambda: bus.publish(TaskCompleted(task_id="rolled back")),
        )
    assert done(database) == 1
    with engine.connect() as connection, bus.transaction(connection):
        connection.execute(update, {"done": 0})
        bus.publish(TaskCompleted(task_id="connection"))
    assert done(database) == 0
    bus.drain()
    assert mail.sent == ["session", "connection"]
    engine.dispose()


def test_a_sqlalchemy_commit_wakes_the_workers_at_once(database: Path) -> None:
    engine = sqlalchemy.create_engine(f"sqlite:///{database}")
    slow = EventBus(f"sqlite:///{database}", poll=60)  # without the wake-up, a worker would wait a minute
    waiting = Mail()
    slow.register(waiting)
    worker = slow.start()
    try:
        with Session(engine) as session:
            session.execute(sqlalchemy.text("UPDATE tasks SET done = 1 WHERE id = 't1'"))
            slow.publish(TaskCompleted(task_id="t1"), within=session)
            assert not waiting.arrived.wait(0.3)
            session.commit()
        assert waiting.arrived.wait(10)
    finally:
        worker.stop()
        slow.close()
        engine.dispose()


def test_the_store_must_be_the_applications_database(tmp_path: Path, bus: EventBus) -> None:
    other = connect(tmp_path / "other.db")
    with pytest.raises(EventStoreError, match=r"the transaction's database is .*other.db, and the event store is"):
        bus.publish(TaskCompleted(task_id="t1"), within=other)
    with pytest.raises(EventStoreError, match=r"point the store at the application's database"), bus.transaction(other):
        pass
    with pytest.raises(EventStoreError, match=r"not dict \(from builtins\)"):
        bus.publish(TaskCompleted(task_id="t1"), within={})


def test_a_memory_store_stores_the_events_of_a_transaction_when_it_commits(database: Path) -> None:
    bus = EventBus("memory://")
    mail = Mail()
    bus.register(mail)
    connection = connect(database)
    with bus.transaction(connection):
        complete(connection, bus)
        assert bus.drain().delivered == 0
    assert done(database) == 1
    with pytest.raises(Aborted):
        abort(bus.transaction(connection), lambda: bus.publish(TaskCompleted(task_id="t2")))
    assert bus.drain().delivered == 1
    assert mail.sent == ["t1"]
    with pytest.raises(EventStoreError, match=r"a memory:// store keeps events in this process"):
        bus.publish(TaskCompleted(task_id="t3"), within=connection)


def test_a_transaction_without_a_connection_stores_all_its_events_or_none(bus: EventBus, mail: Mail) -> None:
    with bus.transaction():
        bus.publish(TaskCompleted(task_id="a"))
        bus.publish(TaskCompleted(task_id="b"))
        assert bus.drain().delivered == 0
    with pytest.raises(Aborted):
        abort(bus.transaction(), lambda: bus.publish(TaskCompleted(task_id="c")))
    bus.drain()
    assert mail.sent == ["a", "b"]


def test_a_nested_transaction_joins_the_enclosing_one(database: Path, bus: EventBus, mail: Mail) -> None:
    connection = connect(database)

    def inner() -> None:
        with bus.transaction(connection):
            complete(connection, bus)
        assert pending(bus) == 0  # the inner block did not commit

    with pytest.raises(Aborted):
        abort(bus.transaction(connection), inner)
    assert done(database) == 0
    assert bus.drain().delivered == 0
