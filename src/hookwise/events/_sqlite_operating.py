"""What operators ask of the SQLite event store: where listeners stand, one event's story, dead letters,
requeueing, ending a subscription, pruning. Each function runs on a connection the store hands it (in a
transaction when it writes)."""

from __future__ import annotations

import sqlite3
import time

from hookwise.events import _sqlite_schema as sql
from hookwise.events._store import DeadLetter, DeliveryRecord, ListenerStatus
from hookwise.exceptions import EventStoreError


def status(connection: sqlite3.Connection) -> list[ListenerStatus]:
    """Every subscribed listener's counts, and the age of its oldest unfinished event."""
    now = time.time()
    counts = {row[0]: row[1:] for row in connection.execute(sql.COUNTS)}
    untaken = {row[0]: row[1:] for row in connection.execute(sql.UNTAKEN)}
    statuses: list[ListenerStatus] = []
    for listener, low in connection.execute("SELECT listener, low FROM hookwise_subscriptions ORDER BY 1").fetchall():
        fresh, running, retrying, dead_, done, redelivered = (int(n or 0) for n in counts.get(listener, (0,) * 6))
        more, oldest_untaken = untaken.get(listener, (0, None))
        oldest_row = connection.execute(sql.OLDEST_UNFINISHED, {"listener": listener, "low": low}).fetchone()[0]
        oldest = min((t for t in (oldest_row, oldest_untaken) if t is not None), default=None)
        age = None if oldest is None else max(0.0, now - oldest)
        statuses.append(ListenerStatus(listener, fresh + int(more), running, retrying, dead_, done, age, redelivered))
    return statuses


def deliveries(connection: sqlite3.Connection, event_id: str) -> list[DeliveryRecord]:
    """What happened to one event at each listener subscribed to its name (``pending``: not taken yet)."""
    event = connection.execute("SELECT seq, name FROM hookwise_events WHERE id = ?", (event_id,)).fetchone()
    if event is None:
        return []
    seq, name = event
    records: list[DeliveryRecord] = []
    for listener, cursor in connection.execute(
        "SELECT listener, cursor FROM hookwise_subscriptions WHERE event_name = ? ORDER BY listener", (name,)
    ).fetchall():
        row = connection.execute(
            "SELECT listener, state, attempts, last_error, first_attempt_at, last_attempt_at, done_at, redelivered "
            "FROM hookwise_deliveries WHERE listener = ? AND event_seq = ?",
            (listener, seq),
        ).fetchone()
        if row is not None:
            records.append(DeliveryRecord(*row))
        elif seq > cursor:
            records.append(DeliveryRecord(listener, "pending", 0, None, None, None, None, 0))
    return records


def dead(connection: sqlite3.Connection, listener: str | None, limit: int) -> list[DeadLetter]:
    """Dead letters, oldest first."""
    rows = connection.execute(
        "SELECT d.listener, e.id, e.name, e.key, d.attempts, d.last_error, e.published_at, d.first_attempt_at, "
        "d.last_attempt_at FROM hookwise_deliveries d JOIN hookwise_events e ON e.seq = d.event_seq "
        "WHERE d.state = 'dead' AND (? IS NULL OR d.listener = ?) ORDER BY d.event_seq LIMIT ?",
        (listener, listener, limit),
    ).fetchall()
    return [DeadLetter(*row) for row in rows]


def retry(connection: sqlite3.Connection, listener: str | None, event_id: str | None) -> int:
    """Dead letters pending again, never tried (so each listener's ``low`` moves back to them)."""
    rows = connection.execute(
        "SELECT d.id, d.listener, d.event_seq FROM hookwise_deliveries d JOIN hookwise_events e "
        "ON e.seq = d.event_seq WHERE d.state = 'dead' AND (? IS NULL OR d.listener = ?) AND (? IS NULL OR e.id = ?)",
        (listener, listener, event_id, event_id),
    ).fetchall()
    now = time.time()
    connection.executemany(
        "UPDATE hookwise_deliveries SET state = 'pending', attempts = 0, due_at = ? WHERE id = ?",
        [(now, row[0]) for row in rows],
    )
    connection.executemany(sql.LOWER, [(row[2], row[1]) for row in rows])
    return len(rows)


def forget(connection: sqlite3.Connection, listener: str, where: str) -> int:
    """End a subscription and drop its deliveries; how many were unfinished.

    Raises:
        EventStoreError: no such listener is subscribed (the message lists those that are).
    """
    known = [row[0] for row in connection.execute("SELECT listener FROM hookwise_subscriptions ORDER BY 1")]
    if listener not in known:
        msg = f"no listener {listener!r} is subscribed in {where}; subscribed: {', '.join(known) or 'none'}"
        raise EventStoreError(msg)
    undelivered = connection.execute(
        "SELECT count(*) FROM hookwise_deliveries WHERE listener = ? AND state != 'done'", (listener,)
    ).fetchone()[0] + sum(row[1] for row in connection.execute(sql.UNTAKEN) if row[0] == listener)
    for table in ("hookwise_subscriptions", "hookwise_deliveries", "hookwise_leases"):
        connection.execute(f"DELETE FROM {table} WHERE listener = ?", (listener,))  # noqa: S608 - our own tables
    return int(undelivered)


def prune(connection: sqlite3.Connection, older_than: float) -> int:
    """Delete deliveries done before ``older_than``, then events no listener needs any more; how many
    deliveries. The newest event always stays: new events must be numbered above every cursor."""
    deleted = connection.execute(
        "DELETE FROM hookwise_deliveries WHERE state = 'done' AND done_at < ?", (older_than,)
    ).rowcount
    connection.execute(
        "DELETE FROM hookwise_events WHERE published_at < ? AND seq < (SELECT max(seq) FROM hookwise_events) "
        "AND NOT EXISTS (SELECT 1 FROM hookwise_subscriptions s WHERE s.event_name = hookwise_events.name "
        "AND s.cursor < hookwise_events.seq) "
        "AND NOT EXISTS (SELECT 1 FROM hookwise_subscriptions s JOIN hookwise_deliveries d "
        "ON d.listener = s.listener AND d.event_seq = hookwise_events.seq)",
        (older_than,),
    )
    return int(deleted)
