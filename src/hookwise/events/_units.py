"""Units of work: the application's database connection, seen as a transaction events can join.

``bus.transaction(connection)`` and ``bus.publish(event, within=connection)``
take a ``sqlite3.Connection`` or, when SQLAlchemy is installed, a SQLAlchemy
``Session`` or ``Connection`` on a SQLite database. A :class:`Unit` runs the
store's SQL on that connection, so the events are written in the
application's transaction: committed with its rows or rolled back with them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, final

from hookwise.exceptions import EventStoreError

if TYPE_CHECKING:
    from hookwise.events._store import Envelope


class Unit:
    """An application's connection, as a unit of work hookwise writes events into."""

    path: Path | None = None
    """The database file it is connected to (None for an in-memory database)."""

    def begin(self) -> None:
        """Start a transaction, unless one is open."""

    def commit(self) -> None:
        """Commit the application's transaction."""

    def rollback(self) -> None:
        """Roll the application's transaction back."""

    def execute(self, sql: str, parameters: Sequence[object]) -> Any:
        """Run one SQL statement in the transaction (``?`` placeholders)."""

    def after_commit(self, callback: Callable[[], None]) -> bool:
        """Call ``callback`` once the application commits; False when the connection cannot tell."""
        del callback
        return False


@final
class SQLite3Unit(Unit):
    """A ``sqlite3.Connection``."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        rows = connection.execute("PRAGMA database_list").fetchall()
        main = next((row[2] for row in rows if row[1] == "main"), "")
        self.path = Path(main).resolve() if main else None

    def begin(self) -> None:
        if not self.connection.in_transaction:
            self.connection.execute("BEGIN")

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def execute(self, sql: str, parameters: Sequence[object]) -> Any:
        return self.connection.execute(sql, tuple(parameters))


@final
class SQLAlchemyUnit(Unit):
    """A SQLAlchemy ``Session`` or ``Connection``: the store's SQL runs on its DB-API connection."""

    def __init__(self, session_or_connection: Any) -> None:
        self.owner = session_or_connection
        self.session = session_or_connection if hasattr(session_or_connection, "get_bind") else None
        self.connection = self.session.connection() if self.session is not None else session_or_connection
        url = self.connection.engine.url
        if url.get_backend_name() != "sqlite":
            msg = (
                f"the transaction's database is {url.get_backend_name()}; a sqlite:// event store writes events "
                f"into the application's SQLite database file"
            )
            raise EventStoreError(msg)
        database = url.database
        self.path = Path(database).resolve() if database and database != ":memory:" else None

    def begin(self) -> None:
        if not self.connection.in_transaction():
            self.connection.begin()

    def commit(self) -> None:
        self.owner.commit()

    def rollback(self) -> None:
        self.owner.rollback()

    def execute(self, sql: str, parameters: Sequence[object]) -> Any:
        return self.connection.exec_driver_sql(sql, tuple(parameters))

    def after_commit(self, callback: Callable[[], None]) -> bool:
        from sqlalchemy import event

        target = self.session if self.session is not None else self.connection
        name = "after_commit" if self.session is not None else "commit"
        event.listen(target, name, lambda *_: callback(), once=True)
        return True


def unit_of_work(connection: object) -> Unit:
    """The unit of work of an application's connection.

    Raises:
        EventStoreError: ``connection`` is neither a ``sqlite3`` connection nor a SQLAlchemy
            ``Session``/``Connection``; the message names its type.
    """
    if isinstance(connection, sqlite3.Connection):
        return SQLite3Unit(connection)
    module = type(connection).__module__
    if module.startswith("sqlalchemy.") and (hasattr(connection, "get_bind") or hasattr(connection, "exec_driver_sql")):
        return SQLAlchemyUnit(connection)
    msg = (
        f"events join a transaction of a sqlite3 connection or a SQLAlchemy Session or Connection, not "
        f"{type(connection).__qualname__} (from {module})"
    )
    raise EventStoreError(msg)


@contextmanager
def committed(unit: Unit) -> Generator[Unit, None, None]:
    """A transaction of the application's connection: committed at the end of the block, rolled back on
    an exception."""
    unit.begin()
    try:
        yield unit
    except BaseException:
        unit.rollback()
        raise
    unit.commit()


@contextmanager
def buffered(
    connection: object | None, publish: Callable[[Sequence[Envelope]], None]
) -> Generator[list[Envelope], None, None]:
    """The block's events kept in a list and stored with ``publish`` at its end: all of them, or (on an
    exception) none. With a connection, the block is its transaction and the events are stored after it
    commits (for stores that cannot write into the application's database)."""
    unit = None if connection is None else unit_of_work(connection)
    buffer: list[Envelope] = []
    if unit is None:
        yield buffer
    else:
        with committed(unit):
            yield buffer
    if buffer:
        publish(buffer)
