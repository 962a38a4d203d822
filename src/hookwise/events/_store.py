"""Event stores: what every backend keeps, and the one interface workers and the bus use.

A store keeps published events, one delivery per (event, subscribed listener),
and each delivery's state: ``pending`` (due at a time; ``attempts`` > 0 means
retrying), ``running`` (held by a worker until its lease ends), ``done``, or
``dead`` (a dead letter, with its last error). The backend is chosen by URL:
``sqlite:///path`` (the embedded default), ``memory://`` (tests), and
``redis://host:port/db`` (see ``_redis.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, NamedTuple, Protocol


class Envelope(NamedTuple):
    """An event as stored: its identity, its name and version, its ordering key, its fields as JSON."""

    id: str
    name: str
    version: int
    key: str | None
    payload: str
    headers: str
    published_at: float


class Policy(NamedTuple):
    """What a store needs to know of a listener to hand out its deliveries."""

    lease: float
    """Seconds a worker holds a delivery before it is handed out again (the listener's ``timeout``)."""
    attempts: int
    """Attempts before a delivery is a dead letter (a worker that died mid-attempt used one)."""


class Claimed(NamedTuple):
    """A delivery a worker holds: which listener, which event, which attempt."""

    token: Any
    """What the store knows the delivery by."""
    listener: str
    envelope: Envelope
    attempt: int
    """1 for the first attempt; retries and redeliveries after a worker died count up."""


class ListenerStatus(NamedTuple):
    """Where a listener's deliveries stand."""

    listener: str
    pending: int
    """Due, or waiting for their time, never tried."""
    in_flight: int
    """Held by a worker now."""
    retrying: int
    """Tried and failed, waiting for their next attempt."""
    dead: int
    """Dead letters: failed on every attempt."""
    done: int
    """Delivered (and not yet pruned)."""
    oldest_age: float | None
    """Seconds since the oldest undelivered event was published, or None."""
    redelivered: int
    """Deliveries handed out again because the worker holding them stopped (died, or ran past its lease)."""


class DeadLetter(NamedTuple):
    """A delivery that failed on every attempt, with what is known of it."""

    listener: str
    event_id: str
    event_name: str
    key: str | None
    attempts: int
    last_error: str | None
    published_at: float
    first_attempt_at: float | None
    last_attempt_at: float | None


class DeliveryRecord(NamedTuple):
    """What happened to one event at one listener: the answer to "did my email go out?"."""

    listener: str
    state: str
    """``pending``, ``running``, ``done`` or ``dead``."""
    attempts: int
    last_error: str | None
    first_attempt_at: float | None
    last_attempt_at: float | None
    done_at: float | None
    redelivered: int


class Store(Protocol):
    """The operations of an event store (a backend)."""

    url: str

    def subscribe(self, listener: str, event_name: str) -> None:
        """Deliver events of ``event_name`` published from now on to ``listener`` (idempotent)."""
        ...

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Store events and their deliveries, durably, before returning.

        Raises:
            PublishError: the store refused the write; nothing was stored.
        """
        ...

    def transaction(self, connection: object | None) -> AbstractContextManager[Any]:
        """A unit of work: events published in it are stored with it, and only if it commits.

        ``connection`` is the application's database connection (or ``None``: the
        events are stored together when the block ends); the context commits it
        at the end of the block and rolls it back on an exception. It yields the
        handle :meth:`publish_in` takes.
        """
        ...

    def join(self, connection: object) -> Any:
        """A handle to publish into the application's open transaction, which the application commits.

        Raises:
            EventStoreError: the store cannot write into that connection's database.
        """
        ...

    def publish_in(self, handle: Any, envelopes: Sequence[Envelope]) -> None:
        """Store events in a unit of work (a handle from :meth:`transaction` or :meth:`join`)."""
        ...

    def claim(self, listeners: Mapping[str, Policy], limit: int, worker: str) -> list[Claimed]:
        """Take up to ``limit`` due deliveries for ``listeners``, each held for its listener's lease.

        A delivery whose worker died on its last allowed attempt becomes a dead letter instead.
        """
        ...

    def complete(self, claimed: Sequence[Claimed]) -> None:
        """Mark deliveries done."""
        ...

    def fail(self, claimed: Claimed, error: str, retry_at: float | None) -> None:
        """A delivery failed: try again at ``retry_at``, or make it a dead letter (``None``)."""
        ...

    def release(self, claimed: Sequence[Claimed]) -> None:
        """Give back deliveries a stopping worker holds but did not start (they are due at once)."""
        ...

    def next_due(self, listeners: Sequence[str]) -> float | None:
        """When the next delivery for ``listeners`` is due (a time), or None when there is none."""
        ...

    def due_now(self, listeners: Sequence[str]) -> int:
        """Make the retries of ``listeners`` due at once (tests drain without waiting out backoff)."""
        ...

    def status(self) -> list[ListenerStatus]:
        """Every subscribed listener's counts."""
        ...

    def events(self, name: str | None = None, limit: int = 1000) -> list[Envelope]:
        """Stored events (of one name, or all), oldest first."""
        ...

    def deliveries(self, event_id: str) -> list[DeliveryRecord]:
        """What happened to one event at each listener."""
        ...

    def dead(self, listener: str | None = None, limit: int = 100) -> list[DeadLetter]:
        """Dead letters, oldest first (of one listener, or all)."""
        ...

    def retry(self, listener: str | None = None, event_id: str | None = None) -> int:
        """Make dead letters pending again, with their attempts counted anew; return how many."""
        ...

    def forget(self, listener: str) -> int:
        """End a listener's subscriptions and drop its deliveries; return how many were undelivered."""
        ...

    def prune(self, older_than: float) -> int:
        """Forget delivered events published before ``older_than`` (a time); return how many deliveries."""
        ...

    def relay(self) -> int:
        """Move events waiting in an outbox to the store (a broker's); how many. Stores without one: 0."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def abandoned(attempts: int, policy: Policy) -> str:
    """The last error of a delivery whose worker stopped during its last allowed attempt."""
    return (
        f"attempt {attempts} of {policy.attempts} never finished: the worker holding it stopped (it died, or ran "
        f"past the listener's timeout of {policy.lease:g} s)"
    )


def open_store(url: str, *, outbox: str | None = None) -> Store:
    """The store a URL names: ``sqlite:///path`` (``?synchronous=full``), ``memory://``, ``redis://host:port/db``.

    ``outbox`` (a ``sqlite:///`` URL, the application's database) is where a broker's
    events published in the application's transactions wait to be relayed.

    Raises:
        EventStoreError: an unknown scheme, or a store that cannot be opened.
    """
    from hookwise.exceptions import EventStoreError

    scheme, sep, _rest = url.partition("://")
    if not sep:
        msg = f"event store URL {url!r} has no scheme; use sqlite:///path/events.db, memory:// or redis://host:6379/0"
        raise EventStoreError(msg)
    if scheme in ("redis", "rediss"):
        from hookwise.events._redis import RedisStore

        return RedisStore(url, outbox)
    if outbox is not None:
        msg = f"outbox={outbox!r} is for a broker (redis://); a {scheme}:// store keeps its events itself"
        raise EventStoreError(msg)
    if scheme in ("sqlite", "memory"):
        from hookwise.events._sqlite import SQLiteStore

        return SQLiteStore(url)
    msg = f"event store URL {url!r}: unknown scheme {scheme!r}; use sqlite:///path/events.db, memory:// or redis://"
    raise EventStoreError(msg)
