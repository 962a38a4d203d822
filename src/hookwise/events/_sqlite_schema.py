"""The SQLite event store's tables and statements (``_sqlite.py`` runs them).

The tables are laid out so that the two hot writes touch as little as
possible: a publish inserts one row into a table without secondary indexes,
and recording a delivery done rewrites one row and no index entry (no index
depends on a delivery's state, except the small one of retrying deliveries).

- ``hookwise_events``: one row per event; ``seq`` numbers events in commit
  order (SQLite has one writer at a time).
- ``hookwise_subscriptions``: one row per listener: its event's name; its
  ``cursor``, the last event it has looked at; and ``low``, below which it has
  no delivery that was never tried.
- ``hookwise_deliveries``: one row per (event, listener), made when a worker
  first claims the listener's deliveries past its cursor.
- ``hookwise_leases``: one row per batch a worker holds, until when, and the
  range of events in it: a batch whose lease ran out is handed out again.
- ``hookwise_meta``: the layout's version.
"""

from __future__ import annotations

from typing import Final

LAYOUT: Final = 1
"""The version of the tables' layout, kept in ``hookwise_meta``."""

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS hookwise_meta (layout INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hookwise_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    key TEXT,
    payload TEXT NOT NULL,
    headers TEXT NOT NULL,
    published_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS hookwise_subscriptions (
    listener TEXT PRIMARY KEY,
    event_name TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    low INTEGER NOT NULL,
    since REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS hookwise_deliveries (
    id INTEGER PRIMARY KEY,
    listener TEXT NOT NULL,
    event_seq INTEGER NOT NULL,
    key TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL,
    lease INTEGER,
    last_error TEXT,
    first_attempt_at REAL,
    last_attempt_at REAL,
    done_at REAL,
    redelivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS hookwise_deliveries_listener ON hookwise_deliveries (listener, event_seq);
CREATE INDEX IF NOT EXISTS hookwise_deliveries_key ON hookwise_deliveries (listener, key, event_seq)
    WHERE key IS NOT NULL;
CREATE INDEX IF NOT EXISTS hookwise_deliveries_retrying ON hookwise_deliveries (listener, event_seq)
    WHERE state = 'pending' AND attempts > 0;
CREATE TABLE IF NOT EXISTS hookwise_leases (
    id INTEGER PRIMARY KEY,
    listener TEXT NOT NULL,
    worker TEXT NOT NULL,
    until REAL NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS hookwise_leases_listener ON hookwise_leases (listener, until);
"""
"""A partial index serves a query only when the query repeats its WHERE terms; the statements below do."""

INSERT_EVENT: Final = (
    "INSERT INTO hookwise_events (id, name, version, key, payload, headers, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)

SCAN: Final = 512
"""Events a claim looks at past a listener's cursor, when it has fewer fresh deliveries than it wants."""
NEW_EVENTS: Final = "SELECT seq, name, key, published_at FROM hookwise_events WHERE seq > ? ORDER BY seq LIMIT ?"
MATERIALIZE: Final = "INSERT INTO hookwise_deliveries (listener, event_seq, key, due_at) VALUES (?, ?, ?, ?)"

_COLUMNS: Final = (
    "d.id, d.attempts, d.event_seq, e.id, e.name, e.version, e.key, e.payload, e.headers, e.published_at "
    "FROM hookwise_deliveries d JOIN hookwise_events e ON e.seq = d.event_seq"
)
FIRST_FRESH: Final = (
    "SELECT d.event_seq FROM hookwise_deliveries d "
    "WHERE d.listener = ? AND d.event_seq >= ? AND d.state = 'pending' AND d.attempts = 0 ORDER BY d.event_seq LIMIT 1"
)
FLOOR: Final = """
min(coalesce((SELECT min(first_seq) FROM hookwise_leases WHERE listener = :listener), :low),
    coalesce((SELECT min(event_seq) FROM hookwise_deliveries
              WHERE listener = :listener AND state = 'pending' AND attempts > 0), :low),
    :low)
"""
"""The listener's lowest unfinished delivery: below it, every delivery is done or dead."""
FRESH: Final = f"""
SELECT {_COLUMNS}
WHERE d.listener = :listener AND d.event_seq >= :low AND d.state = 'pending' AND d.attempts = 0
  AND (d.key IS NULL OR NOT EXISTS (
      SELECT 1 FROM hookwise_deliveries o
      WHERE o.listener = d.listener AND o.key = d.key AND o.event_seq < d.event_seq AND o.event_seq >= {FLOOR}
        AND o.state IN ('pending', 'running')))
ORDER BY d.event_seq LIMIT :limit
"""  # noqa: S608 - constant text
"""Never-tried deliveries from the listener's ``low``, each behind no unfinished one of its key."""
RETRIES: Final = (
    f"SELECT {_COLUMNS} WHERE d.listener = ? AND d.state = 'pending' AND d.attempts > 0 AND d.due_at <= ? "
    "ORDER BY d.event_seq LIMIT ?"
)
ABANDONED: Final = (
    f"SELECT {_COLUMNS} WHERE d.listener = ? AND d.event_seq BETWEEN ? AND ? AND d.lease = ? AND d.state = 'running'"
)
EXPIRED_LEASES: Final = "SELECT id, first_seq, last_seq FROM hookwise_leases WHERE listener = ? AND until <= ?"
TAKE: Final = (
    "UPDATE hookwise_deliveries SET state = 'running', attempts = ?, lease = ?, "
    "first_attempt_at = coalesce(first_attempt_at, ?), last_attempt_at = ?, redelivered = redelivered + ? "
    "WHERE id = ?"
)
DONE: Final = (
    "UPDATE hookwise_deliveries SET state = 'done', done_at = ?, last_error = NULL "
    "WHERE id = ? AND attempts = ? AND state = 'running'"
)
FAILED: Final = (
    "UPDATE hookwise_deliveries SET state = ?, last_error = ?, due_at = coalesce(?, due_at) "
    "WHERE id = ? AND attempts = ? AND state = 'running'"
)
RELEASE: Final = (
    "UPDATE hookwise_deliveries SET state = 'pending', attempts = attempts - 1, due_at = ? "
    "WHERE id = ? AND attempts = ? AND state = 'running'"
)
LOWER: Final = "UPDATE hookwise_subscriptions SET low = min(low, ?) WHERE listener = ?"
UNTAKEN: Final = (
    "SELECT s.listener, count(e.seq), min(e.published_at) FROM hookwise_subscriptions s "
    "JOIN hookwise_events e ON e.seq > s.cursor AND e.name = s.event_name GROUP BY s.listener"
)
"""Per listener, events published since its cursor (not yet made deliveries), and the oldest one's time."""
COUNTS: Final = (
    "SELECT listener, sum(state = 'pending' AND attempts = 0), sum(state = 'running'), "
    "sum(state = 'pending' AND attempts > 0), sum(state = 'dead'), sum(state = 'done'), sum(redelivered) "
    "FROM hookwise_deliveries GROUP BY listener"
)
OLDEST_UNFINISHED: Final = f"""
SELECT min(e.published_at) FROM hookwise_deliveries d JOIN hookwise_events e ON e.seq = d.event_seq
WHERE d.listener = :listener AND d.event_seq >= {FLOOR} AND d.state IN ('pending', 'running')
"""  # noqa: S608 - constant text
