"""The embedded event store: one SQLite file, in WAL mode, shared by the application and its workers.

``sqlite:///events.db`` (relative) or ``sqlite:////var/lib/app/app.db``
(absolute). Point it at the application's own database file and events
published in the application's transactions (``bus.transaction(connection)``,
a ``sqlite3`` connection or a SQLAlchemy ``Session``/``Connection`` on that
file) are written with its rows: rolled back with them, delivered after commit.
``memory://`` is the same store in one in-memory database, for tests: nothing
survives the process, and events published in an application's transaction
are stored when it commits.

Durability: WAL with ``synchronous=NORMAL`` (the default) keeps every
committed event through a crash of the application or a worker; an operating
system crash or power loss may lose the last few commits. ``?synchronous=full``
makes each publish wait for the disk.

Layout: publishing inserts one row into ``hookwise_events`` (a table without
secondary indexes, so a publish writes one page). Each subscription (a
listener and its event name) has a cursor: a worker claiming a listener's
deliveries first turns its events past the cursor into delivery rows (in
batches, in the claim's transaction), then takes the due ones. SQLite has one
writer at a time, so events are numbered in commit order and no event can
appear behind a cursor. So a
publish writes one row whatever the number of listeners, and each (event,
listener) still has its own delivery: its state, attempts, last error, times.
A delivery is held for its listener's ``timeout`` (the lease); one whose lease
ran out (its worker died) is handed out again. Within a listener, an event
with a key waits until every earlier event with that key is done or dead.

Writers in one process take turns on a lock per file; a writer that finds the
file locked by another process retries within microseconds to milliseconds
(rather than SQLite's own busy handler, which sleeps a millisecond or more),
for up to 30 seconds.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Final, TypeVar, cast, final
from urllib.parse import parse_qs, quote, unquote

from hookwise._text import told
from hookwise.events import _sqlite_operating as operating
from hookwise.events import _sqlite_schema as sql
from hookwise.events._store import Claimed, DeadLetter, DeliveryRecord, Envelope, ListenerStatus, Policy, abandoned
from hookwise.events._units import Unit, buffered, committed, unit_of_work
from hookwise.exceptions import EventStoreError, PublishError

T = TypeVar("T")

BUSY_TIMEOUT: Final = 30.0
"""Seconds a writer waits for a file another process holds locked."""

_GATES: dict[Path, threading.Lock] = {}
_GATES_LOCK: Final = threading.Lock()


def _gate(path: Path) -> threading.Lock:
    """The lock writers of this process take for one file (so they never wait on SQLite's busy handler)."""
    with _GATES_LOCK:
        return _GATES.setdefault(path, threading.Lock())


def _parse(url: str) -> tuple[Path | None, dict[str, str]]:
    """The file a ``sqlite://`` URL names (None for ``memory://``), and its options."""
    if url.startswith("memory://"):
        if url not in ("memory://", "memory:///"):
            msg = f"event store URL {url!r}: memory:// takes no path or options"
            raise EventStoreError(msg)
        return None, {}
    rest = url.removeprefix("sqlite://")
    where, _, query = rest.partition("?")
    if not where.startswith("/") or where == "/":
        msg = f"event store URL {url!r}: give a file, sqlite:///events.db (relative) or sqlite:////abs/events.db"
        raise EventStoreError(msg)
    options = {name: values[-1] for name, values in parse_qs(query).items()}
    unknown = set(options) - {"synchronous", "mode"}
    if unknown:
        msg = f"event store URL {url!r}: unknown option(s) {sorted(unknown)}; known: synchronous, mode"
        raise EventStoreError(msg)
    synchronous = options.get("synchronous", "normal").upper()
    if synchronous not in ("NORMAL", "FULL"):
        msg = f"event store URL {url!r}: synchronous must be normal or full, not {options['synchronous']!r}"
        raise EventStoreError(msg)
    if options.get("mode", "rw") not in ("rw", "ro"):
        msg = f"event store URL {url!r}: mode must be rw or ro, not {options['mode']!r}"
        raise EventStoreError(msg)
    return Path(unquote(where[1:])), {"synchronous": synchronous, "mode": options.get("mode", "rw")}


def _create(connection: sqlite3.Connection) -> None:
    """Create the tables, or check that the file's are of this layout."""
    for statement in sql.SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)
    row = connection.execute("SELECT layout FROM hookwise_meta").fetchone()
    if row is None:
        connection.execute("INSERT INTO hookwise_meta (layout) VALUES (?)", (sql.LAYOUT,))
    elif row[0] != sql.LAYOUT:
        msg = f"its tables have layout {row[0]}, and this hookwise reads layout {sql.LAYOUT}"
        raise sqlite3.DatabaseError(msg)


def _busy(error: sqlite3.Error) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


@final
class SQLiteStore:
    """An event store in one SQLite file, or in memory (see the module docstring).

    Each thread uses its own connection to the file; the in-memory store has
    one connection, used under a lock.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.path, options = _parse(url)
        self._synchronous = options.get("synchronous", "NORMAL")
        self._read_only = options.get("mode") == "ro"
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._queue: list[_Queued] = []
        self._leases: dict[tuple[str, str], int] = {}
        """The lease of each (listener, worker)'s last batch, deleted at its next claim."""
        self._queue_lock = threading.Lock()
        if self.path is None:
            self._shared: sqlite3.Connection | None = sqlite3.connect(
                ":memory:", isolation_level=None, check_same_thread=False
            )
            self._gate: threading.Lock | threading.RLock = threading.RLock()
        else:
            self._shared = None
            self._gate = _gate(self.path.resolve())
        # Connections are closed by close(), or when the store is collected without it (Python 3.13
        # warns about a connection that is never closed; a store's users never see its connections).
        self._finalizer = weakref.finalize(self, _close_all, self._pid, self._opened, self._shared)
        if not self._read_only:
            self._transaction("create its tables", _create)

    @property
    def where(self) -> str:
        """The file, or ``memory://``, for messages."""
        return "memory://" if self.path is None else str(self.path)

    # -- connections -------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (the in-memory store's one connection)."""
        if self._shared is not None:
            return self._shared
        if os.getpid() != self._pid:  # a forked process must not share its parent's connections
            self._pid, self._local, self._opened = os.getpid(), threading.local(), []
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            uri = f"file:{quote(str(self.path))}" + ("?mode=ro" if self._read_only else "")
            what = "open"
            try:
                connection = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=0, check_same_thread=False)
                if not self._read_only:
                    connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(f"PRAGMA synchronous={self._synchronous}")
            except sqlite3.Error as error:
                raise self._error(what, error) from error
            self._opened.append(connection)
            self._local.connection = connection
        return connection

    def _run(self, what: str, work: Callable[[sqlite3.Connection], T], *, write: bool = True, held: bool = False) -> T:
        """Run ``work`` on this thread's connection: writers one at a time in this process, retried
        briefly while another process holds the file locked, for up to :data:`BUSY_TIMEOUT` seconds.
        A transaction ``work`` leaves open by raising is rolled back.

        ``held``: the caller holds the writers' turn already."""
        deadline: float | None = None
        delay = 0.00005
        while True:
            with self._gate if (write or self._shared is not None) and not held else _NO_GATE:
                connection = self._connection()
                try:
                    return work(connection)
                except BaseException as error:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    if not isinstance(error, sqlite3.Error):
                        raise
                    if not _busy(error):
                        raise self._error(what, error) from error
                    failure = error
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + BUSY_TIMEOUT
            if now > deadline:
                raise self._error(what, failure, hint=_locked_hint())
            time.sleep(delay)
            delay = min(delay * 2, 0.005)

    def _transaction(self, what: str, work: Callable[[sqlite3.Connection], T], *, held: bool = False) -> T:
        """``work`` in one write transaction (BEGIN IMMEDIATE ... COMMIT)."""

        def transaction(connection: sqlite3.Connection) -> T:
            connection.execute("BEGIN IMMEDIATE")
            result = work(connection)
            connection.execute("COMMIT")
            return result

        return self._run(what, transaction, held=held)

    def _read(self, query: str, parameters: Sequence[object] = ()) -> list[Any]:
        return self._run("read", lambda connection: connection.execute(query, parameters).fetchall(), write=False)

    def _error(self, what: str, error: Exception, hint: str = "") -> EventStoreError:
        return EventStoreError(f"event store {self.where}: cannot {what}: {told(error)}{hint}")

    def close(self) -> None:
        """Close every connection this store opened."""
        self._finalizer()
        for connection in self._opened:  # a forked child's own (the finalizer closes only the parent's)
            connection.close()
        self._opened.clear()
        self._local = threading.local()

    # -- publishing ----------------------------------------------------------------------------
    def subscribe(self, listener: str, event_name: str) -> None:
        def subscribe(connection: sqlite3.Connection) -> None:
            row = connection.execute(
                "SELECT event_name FROM hookwise_subscriptions WHERE listener = ?", (listener,)
            ).fetchone()
            if row is not None and row[0] == event_name:
                return
            last = connection.execute("SELECT coalesce(max(seq), 0) FROM hookwise_events").fetchone()[0]
            connection.execute(
                "INSERT INTO hookwise_subscriptions (listener, event_name, cursor, low, since) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (listener) DO UPDATE SET event_name = excluded.event_name, cursor = excluded.cursor, "
                "low = excluded.low, since = excluded.since",
                (listener, event_name, last, last + 1, time.time()),
            )

        self._transaction("subscribe a listener", subscribe)

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        try:
            if len(envelopes) == 1:  # one statement is its own transaction
                self._run("store the event", lambda connection: connection.execute(sql.INSERT_EVENT, envelopes[0]))
            else:
                self._transaction(
                    "store the events", lambda connection: connection.executemany(sql.INSERT_EVENT, envelopes)
                )
        except EventStoreError as error:
            raise _refused(envelopes, str(error)) from error.__cause__

    def transaction(self, connection: object | None) -> AbstractContextManager[Any]:
        if connection is None or self.path is None:
            return buffered(connection, self.publish)
        return committed(self.join(connection))

    def relay(self) -> int:
        """Nothing to relay: this store keeps its events itself."""
        return 0

    def hand_over(self, send: Callable[[Sequence[Envelope]], None], limit: int = 500) -> int:
        """Hand the oldest stored events to ``send`` (another store), then forget them; how many.

        Used when this file is the outbox of a broker: in one write transaction, so relays
        of several processes take turns and keep the order; if ``send`` raises, nothing is
        forgotten, and a ``send`` that ran before a crash runs again (it must drop what it
        has seen, by event id).
        """

        def relay(connection: sqlite3.Connection) -> int:
            rows = connection.execute(
                "SELECT seq, id, name, version, key, payload, headers, published_at FROM hookwise_events "
                "ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
            if rows:
                send([Envelope(*row[1:]) for row in rows])
                connection.execute("DELETE FROM hookwise_events WHERE seq <= ?", (rows[-1][0],))
            return len(rows)

        return self._transaction("relay the outbox", relay)

    def join(self, connection: object) -> Unit:
        unit = unit_of_work(connection)
        if self.path is None:
            msg = (
                "a memory:// store keeps events in this process, not in your database: events cannot join the "
                "transaction of a connection you commit yourself; use `with bus.transaction(connection):`, "
                "or a sqlite:/// store on your database file"
            )
            raise EventStoreError(msg)
        if unit.path != self.path.resolve():
            msg = (
                f"the transaction's database is {unit.path or 'in memory'}, and the event store is "
                f"{self.path.resolve()}: point the store at the application's database (sqlite:///{unit.path}) "
                f"so that events commit with its rows"
            )
            raise EventStoreError(msg)
        return unit

    def publish_in(self, handle: Any, envelopes: Sequence[Envelope]) -> None:
        if isinstance(handle, list):
            cast("list[Envelope]", handle).extend(envelopes)
            return
        unit: Unit = handle
        try:
            for envelope in envelopes:
                unit.execute(sql.INSERT_EVENT, envelope)
        except Exception as error:
            if isinstance(error, sqlite3.Error) or type(error).__module__.startswith("sqlalchemy."):
                raise _refused(envelopes, str(self._error("store the event", error))) from error
            raise

    # -- delivering -------------------------------------------------------------------------------------
    def claim(self, listeners: Mapping[str, Policy], limit: int, worker: str) -> list[Claimed]:
        def claim(connection: sqlite3.Connection) -> list[Claimed]:
            claimed: list[Claimed] = []
            for listener, policy in listeners.items():
                claimed += self._claim(connection, listener, policy, limit, worker)
            return claimed

        return self._transaction("claim deliveries", claim) if listeners else []

    def _claim(
        self, connection: sqlite3.Connection, listener: str, policy: Policy, limit: int, worker: str
    ) -> list[Claimed]:
        """One listener's share of a claim: abandoned batches, due retries, then fresh deliveries."""
        subscription = connection.execute(
            "SELECT event_name, cursor, low FROM hookwise_subscriptions WHERE listener = ?", (listener,)
        ).fetchone()
        if subscription is None:
            return []
        event_name, cursor, low = subscription
        now = time.time()
        rows: list[tuple[Any, ...]] = []
        for lease, first, last in connection.execute(sql.EXPIRED_LEASES, (listener, now)).fetchall():
            for row in connection.execute(sql.ABANDONED, (listener, first, last, lease)).fetchall():
                if row[1] >= policy.attempts:
                    connection.execute(
                        "UPDATE hookwise_deliveries SET state = 'dead', last_error = ? WHERE id = ?",
                        (abandoned(row[1], policy), row[0]),
                    )
                else:
                    rows.append(row)
            connection.execute("DELETE FROM hookwise_leases WHERE id = ?", (lease,))
        redelivered = len(rows)
        if len(rows) < limit:
            rows += connection.execute(sql.RETRIES, (listener, now, limit - len(rows))).fetchall()
        if len(rows) < limit:
            rows += self._fresh(connection, listener, event_name, cursor, low, limit - len(rows))
        previous = self._leases.pop((listener, worker), None)
        if not rows:
            if previous is not None:
                connection.execute("DELETE FROM hookwise_leases WHERE id = ?", (previous,))
            return []
        seqs = [row[2] for row in rows]
        if previous is not None:  # this worker ran its last batch to the end: its lease holds the new one
            connection.execute(
                "UPDATE hookwise_leases SET until = ?, first_seq = ?, last_seq = ? WHERE id = ?",
                (now + policy.lease, min(seqs), max(seqs), previous),
            )
            lease = previous
        else:
            lease = int(
                connection.execute(
                    "INSERT INTO hookwise_leases (listener, worker, until, first_seq, last_seq) VALUES (?, ?, ?, ?, ?)",
                    (listener, worker, now + policy.lease, min(seqs), max(seqs)),
                ).lastrowid
                or 0
            )
        self._leases[(listener, worker)] = lease
        connection.executemany(
            sql.TAKE,
            [(row[1] + 1, lease, now, now, int(index < redelivered), row[0]) for index, row in enumerate(rows)],
        )
        return [Claimed((row[0], row[1] + 1, lease), listener, Envelope(*row[3:]), row[1] + 1) for row in rows]

    def _fresh(
        self, connection: sqlite3.Connection, listener: str, event_name: str, cursor: int, low: int, limit: int
    ) -> list[tuple[Any, ...]]:
        """Never-tried deliveries, in event order; when there are too few, first make more from new events."""
        first = connection.execute(sql.FIRST_FRESH, (listener, low)).fetchone()
        moved = first[0] if first is not None else cursor + 1
        arguments = {"listener": listener, "low": moved, "limit": limit}
        rows = connection.execute(sql.FRESH, arguments).fetchall()
        if len(rows) < limit and (new := _materialize(connection, listener, event_name, cursor)) != cursor:
            if first is None:
                first = connection.execute(sql.FIRST_FRESH, (listener, moved)).fetchone()
                moved = arguments["low"] = first[0] if first is not None else new + 1
            rows = connection.execute(sql.FRESH, arguments).fetchall()  # the same rows first, then new ones
        if moved != low:
            connection.execute("UPDATE hookwise_subscriptions SET low = ? WHERE listener = ?", (moved, listener))
        return rows

    def complete(self, claimed: Sequence[Claimed]) -> None:
        """Mark deliveries done, durably, before returning.

        Lanes completing at the same time share one transaction (a group commit):
        each adds its rows to a queue, and whichever takes the writer's turn first
        writes every queued row; the others find theirs written when their turn
        comes. Each caller still returns only once its rows are committed.
        """
        if not claimed:
            return
        now = time.time()
        rows: list[tuple[object, ...]] = [(now, c.token[0], c.token[1]) for c in claimed]
        if not self._queue and self._gate.acquire(blocking=False):  # alone: no queue to share
            try:
                self._write_done(rows)
            finally:
                self._gate.release()
            return
        entry = _Queued(rows)
        with self._queue_lock:
            self._queue.append(entry)
        while not entry.written:
            with self._gate:
                if entry.written:
                    break
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                try:
                    self._write_done([row for queued in batch for row in queued.rows])
                except EventStoreError as error:
                    for queued in batch:
                        queued.error = error
                for queued in batch:
                    queued.written = True
        if entry.error is not None:
            raise entry.error

    def _write_done(self, rows: list[tuple[object, ...]]) -> None:
        if len(rows) == 1:  # one statement is its own transaction
            self._run("record a delivery", lambda connection: connection.execute(sql.DONE, rows[0]), held=True)
        elif rows:
            self._transaction("record deliveries", lambda connection: connection.executemany(sql.DONE, rows), held=True)

    def fail(self, claimed: Claimed, error: str, retry_at: float | None) -> None:
        state = "dead" if retry_at is None else "pending"
        self._run(
            "record a failed delivery",
            lambda connection: connection.execute(sql.FAILED, (state, error, retry_at, *claimed.token[:2])),
        )

    def release(self, claimed: Sequence[Claimed]) -> None:
        if not claimed:
            return
        now = time.time()

        def release(connection: sqlite3.Connection) -> None:
            connection.executemany(sql.RELEASE, [(now, c.token[0], c.token[1]) for c in claimed])
            for one in claimed:
                if one.attempt == 1:  # never tried: fresh again
                    connection.execute(sql.LOWER, (_seq_of(connection, one.token[0]), one.listener))
            connection.executemany("DELETE FROM hookwise_leases WHERE id = ?", {(c.token[2],) for c in claimed})

        self._transaction("give deliveries back", release)

    def next_due(self, listeners: Sequence[str]) -> float | None:
        def next_due(connection: sqlite3.Connection) -> float | None:
            newest = connection.execute("SELECT coalesce(max(seq), 0) FROM hookwise_events").fetchone()[0]
            due: list[float] = []
            for listener in listeners:
                row = connection.execute(
                    "SELECT cursor, low FROM hookwise_subscriptions WHERE listener = ?", (listener,)
                ).fetchone()
                if row is None:
                    continue
                if row[0] < newest or connection.execute(sql.FIRST_FRESH, (listener, row[1])).fetchone():
                    return time.time()
                due += [
                    value
                    for (value,) in connection.execute(
                        "SELECT min(due_at) FROM hookwise_deliveries WHERE listener = ? AND state = 'pending' "
                        "AND attempts > 0 UNION ALL SELECT min(until) FROM hookwise_leases WHERE listener = ?",
                        (listener, listener),
                    )
                    if value is not None
                ]
            return min(due, default=None)

        return self._run("read", next_due, write=False)

    def due_now(self, listeners: Sequence[str]) -> int:
        now = time.time()

        def due_now(connection: sqlite3.Connection) -> int:
            return sum(
                connection.execute(
                    "UPDATE hookwise_deliveries SET due_at = ? WHERE listener = ? AND state = 'pending' "
                    "AND attempts > 0 AND due_at > ?",
                    (now, listener, now),
                ).rowcount
                for listener in listeners
            )

        return self._transaction("make retries due", due_now)

    # -- operating (the queries are in _sqlite_operating.py) -----------------------------------------------------
    def status(self) -> list[ListenerStatus]:
        return self._run("read", operating.status, write=False)

    def events(self, name: str | None = None, limit: int = 1000) -> list[Envelope]:
        rows = self._read(
            "SELECT id, name, version, key, payload, headers, published_at FROM hookwise_events "
            "WHERE ? IS NULL OR name = ? ORDER BY seq LIMIT ?",
            (name, name, limit),
        )
        return [Envelope(*row) for row in rows]

    def deliveries(self, event_id: str) -> list[DeliveryRecord]:
        return self._run("read", lambda connection: operating.deliveries(connection, event_id), write=False)

    def dead(self, listener: str | None = None, limit: int = 100) -> list[DeadLetter]:
        return self._run("read", lambda connection: operating.dead(connection, listener, limit), write=False)

    def retry(self, listener: str | None = None, event_id: str | None = None) -> int:
        return self._transaction("requeue dead letters", lambda c: operating.retry(c, listener, event_id))

    def forget(self, listener: str) -> int:
        return self._transaction("forget a listener", lambda c: operating.forget(c, listener, self.where))

    def prune(self, older_than: float) -> int:
        return self._transaction("prune delivered events", lambda c: operating.prune(c, older_than))


@final
class _Queued:
    """Completions waiting for a group commit."""

    __slots__ = ("error", "rows", "written")

    def __init__(self, rows: list[tuple[object, ...]]) -> None:
        self.rows = rows
        self.written = False
        self.error: EventStoreError | None = None


class _NoGate:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NO_GATE: Final = _NoGate()


def _locked_hint() -> str:
    return (
        f" for {BUSY_TIMEOUT:g} s; another process holds a write transaction on the file (or this thread does, on"
        f" its own connection: publish inside it with within=connection)"
    )


def _materialize(connection: sqlite3.Connection, listener: str, event_name: str, cursor: int) -> int:
    """Make deliveries of the listener's events among the next :data:`~_sqlite_schema.SCAN` past its cursor; move
    the cursor past them all. Returns the new cursor."""
    rows = connection.execute(sql.NEW_EVENTS, (cursor, sql.SCAN)).fetchall()
    if not rows:
        return cursor
    connection.executemany(
        sql.MATERIALIZE,
        [(listener, seq, key, published_at) for seq, name, key, published_at in rows if name == event_name],
    )
    connection.execute("UPDATE hookwise_subscriptions SET cursor = ? WHERE listener = ?", (rows[-1][0], listener))
    return int(rows[-1][0])


def _seq_of(connection: sqlite3.Connection, delivery: int) -> int:
    return int(connection.execute("SELECT event_seq FROM hookwise_deliveries WHERE id = ?", (delivery,)).fetchone()[0])


def _refused(envelopes: Sequence[Envelope], text: str) -> PublishError:
    names = sorted({envelope.name for envelope in envelopes})
    return PublishError(f"{text}; nothing was published ({', '.join(names)})", event=names[0] if names else "")


def _close_all(pid: int, opened: list[sqlite3.Connection], shared: sqlite3.Connection | None) -> None:
    """Close the connections a store opened; in a forked child they are copies of its parent's: left alone."""
    if os.getpid() != pid:
        return
    for connection in [*opened, *([shared] if shared is not None else [])]:
        connection.close()
    opened.clear()
