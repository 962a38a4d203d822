"""The Redis Streams store: ``redis://host:6379/0`` (``pip install hookwise[redis]``).

Each event name is a stream (``hookwise:stream:<name>``); each listener is a consumer
group on its event's stream, so every listener sees every event and many worker
processes, on many machines, share one listener's work. A delivery's life:

- fresh: in the stream, past the group's last-delivered entry (``XREADGROUP >`` takes it);
- held: in the group's pending entries list (PEL) while a worker runs it; ``XACK`` after
  the listener returns. An entry held longer than the listener's ``timeout`` (its worker
  died) is taken by another worker (``XAUTOCLAIM``);
- retrying: after a failure the entry is acknowledged and scheduled in a sorted set
  (``hookwise:retry:<listener>``, scored by its due time; a worker that takes it moves
  the score to the end of its lease, so a retry whose worker died is due again);
- dead: after the last attempt, a copy goes to the listener's dead-letter stream
  (``hookwise:dead:<listener>``) with its last error, attempts and times.

What each retried entry has been through (attempts, last error, times) is a hash
(``hookwise:meta:<listener>``); counters keep the done and redelivered totals.

Order: one worker handles a listener's entries in stream order, so events of a key keep
their order when one worker process serves the listener. With several, entries of one
key may run at the same time on different workers; and a retry does not hold back the
later events of its key (the SQLite store does both).

Publishing inside the application's SQL transaction needs an outbox in that database:
``EventBus("redis://...", outbox="sqlite:///app.db")`` (see ``_relay.py``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast, final
from urllib.parse import parse_qs, urlsplit, urlunsplit

from hookwise._text import told

if TYPE_CHECKING:
    from hookwise.events._relay import Outbox
from hookwise.events._store import Claimed, DeadLetter, DeliveryRecord, Envelope, ListenerStatus, Policy, abandoned
from hookwise.events._units import Unit, buffered, unit_of_work
from hookwise.exceptions import EventStoreError, PublishError

T = TypeVar("T")

_log: Final = logging.getLogger("hookwise.events")

_CLAIM_RETRIES: Final = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], member) end
return {due, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')}
"""
"""Take up to ARGV[3] retries due by ARGV[1], holding each until ARGV[2] (its lease); and the next one."""

_COMPLETE: Final = """
local released
if ARGV[1] == 'p' then released = redis.call('XACK', KEYS[1], ARGV[2], ARGV[3])
else released = redis.call('ZREM', KEYS[1], ARGV[3]) end
redis.call('HDEL', KEYS[2], ARGV[3])
if released == 1 then redis.call('INCR', KEYS[3]) end
return released
"""
"""Acknowledge a held entry (ARGV[1] 'p': in the PEL; 'r': a retry) and count it done, once."""


def stamp(entry: str) -> float:
    """When a stream entry was added, from its id (milliseconds, then a sequence number)."""
    return int(entry.partition("-")[0]) / 1000


@final
class RedisStore:
    """An event store on Redis Streams (see the module docstring)."""

    def __init__(self, url: str, outbox: str | None = None) -> None:
        try:
            import redis
        except ImportError as error:
            msg = f"event store URL {url!r} needs redis-py: pip install 'hookwise[redis]'"
            raise EventStoreError(msg) from error
        parts = urlsplit(url)
        options = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        self.prefix = options.pop("prefix", "hookwise")
        self.url = url
        self.where = f"redis at {parts.hostname or 'localhost'}:{parts.port or 6379}"
        plain = urlunsplit(parts._replace(query="&".join(f"{k}={v}" for k, v in options.items())))
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._unreachable: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError)
        self._response: type[BaseException] = redis.ResponseError
        self._unsubscribed: list[tuple[str, str]] = []
        client: Any = redis.Redis
        self.redis: Any = client.from_url(
            plain, decode_responses=True, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30
        )
        self._claim_retries: Any = self.redis.register_script(_CLAIM_RETRIES)
        self._complete: Any = self.redis.register_script(_COMPLETE)
        self._streams: dict[str, str] = {}
        """Listener -> its event's stream."""
        self._looked: dict[str, float] = {}
        """Listener -> when this process last looked for its abandoned entries."""
        self._retry_due: dict[str, float] = {}
        """Listener -> when a retry may be due next (this process looks no earlier)."""
        self.outbox: Outbox | None = None
        if outbox is not None:
            from hookwise.events._relay import Outbox

            self.outbox = Outbox(outbox, self)

    # -- keys and errors ---------------------------------------------------------------------
    def key(self, kind: str, name: str) -> str:
        """The Redis key of a kind of thing (``stream``, ``retry``, ...) for a name."""
        return f"{self.prefix}:{kind}:{name}"

    def _stream_of(self, listener: str) -> str:
        stream = self._streams.get(listener)
        if stream is None:
            event_name = self.call("read", lambda r: r.hget(self.key("subscriptions", "all"), listener))
            if event_name is None:
                msg = f"no listener {listener!r} is subscribed in {self.where}"
                raise EventStoreError(msg)
            stream = self._streams[listener] = self.key("stream", event_name)
        return stream

    def call(self, what: str, work: Callable[[Any], T]) -> T:
        """``work(redis)``, a Redis failure told as an :class:`EventStoreError` saying what could not be done.

        Subscriptions Redis could not take when they were made are made first.
        """
        try:
            while self._unsubscribed:
                self._subscribe(self.redis, *self._unsubscribed[0])
                self._unsubscribed.pop(0)
            return work(self.redis)
        except self._errors as error:
            msg = f"event store {self.where}: cannot {what}: {type(error).__name__}: {told(error)}"
            raise EventStoreError(msg) from error

    def relay(self) -> int:
        """Move the events waiting in the outbox to Redis; how many (0 without an outbox)."""
        return 0 if self.outbox is None else self.outbox.relay()

    def close(self) -> None:
        """Close the connections; the outbox's too."""
        self.redis.close()
        if self.outbox is not None:
            self.outbox.close()

    # -- publishing ----------------------------------------------------------------------------
    def subscribe(self, listener: str, event_name: str) -> None:
        """Create the listener's consumer group (from the stream's end). When Redis cannot be reached (an
        application starting while Redis restarts), the group is made before anything else reaches Redis,
        so no event is added before it exists."""
        self._streams[listener] = self.key("stream", event_name)
        try:
            self.call("subscribe a listener", lambda r: self._subscribe(r, listener, event_name))
        except EventStoreError as error:
            if not isinstance(error.__cause__, (OSError, *self._unreachable)):
                raise
            _log.warning("%s; the listener %r is subscribed once Redis answers", error, listener)
            self._unsubscribed.append((listener, event_name))

    def _subscribe(self, r: Any, listener: str, event_name: str) -> None:
        try:
            r.xgroup_create(self.key("stream", event_name), listener, id="$", mkstream=True)
        except self._response as error:
            if "BUSYGROUP" not in str(error):
                raise
        r.hset(self.key("subscriptions", "all"), listener, event_name)

    def fields(self, envelope: Envelope) -> dict[str, Any]:
        """An event as a stream entry's two fields: ``m``, its identity as JSON (id, name, version, key,
        headers, publication time), and ``p``, its payload (two fields: each costs redis-py an encoding)."""
        identity = [envelope.id, envelope.name, envelope.version, envelope.key, envelope.headers, envelope.published_at]
        return {"m": json.dumps(identity, separators=(",", ":")), "p": envelope.payload}

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        def publish(r: Any) -> None:
            if len(envelopes) == 1:  # one command: no pipeline to build
                r.xadd(self.key("stream", envelopes[0].name), self.fields(envelopes[0]))
                return
            pipe = r.pipeline(transaction=True)
            for envelope in envelopes:
                pipe.xadd(self.key("stream", envelope.name), self.fields(envelope))
            pipe.execute()

        try:
            self.call("store the event", publish)
        except EventStoreError as error:
            names = ", ".join(sorted({envelope.name for envelope in envelopes}))
            if "connecting to" in str(error) or not isinstance(error.__cause__, self._unreachable):
                outcome = f"nothing was published ({names})"
            else:  # the command went out and its reply was lost: Redis may have stored the events
                outcome = (
                    f"the connection broke after the events were sent ({names}): Redis may have stored them; "
                    f"publish in a transaction with an outbox to know"
                )
            message = f"{error}; {outcome}"
            raise PublishError(message, event=envelopes[0].name if envelopes else "") from error.__cause__

    def transaction(self, connection: object | None) -> AbstractContextManager[Any]:
        if connection is None:
            return buffered(None, self.publish)
        return self._outbox(connection).transaction(connection)

    def join(self, connection: object) -> Unit:
        return self._outbox(connection).join(connection)

    def publish_in(self, handle: Any, envelopes: Sequence[Envelope]) -> None:
        if isinstance(handle, list):
            cast("list[Envelope]", handle).extend(envelopes)
            return
        if self.outbox is None:  # pragma: no cover - a unit comes from the outbox
            raise EventStoreError(self.where)
        self.outbox.publish_in(handle, envelopes)

    def _outbox(self, connection: object) -> Outbox:
        if self.outbox is None:
            unit_of_work(connection)  # an unknown kind of connection is told as such first
            msg = (
                f"events published in a transaction go to Redis through an outbox in the same database: "
                f"EventBus({self.url!r}, outbox='sqlite:///path/to/app.db')"
            )
            raise EventStoreError(msg)
        return self.outbox

    # -- delivering -------------------------------------------------------------------------------------
    def claim(self, listeners: Mapping[str, Policy], limit: int, worker: str) -> list[Claimed]:
        def claim(r: Any) -> list[Claimed]:
            return [one for name, policy in listeners.items() for one in self._claim(r, name, policy, limit, worker)]

        return self.call("claim deliveries", claim)

    def _claim(self, r: Any, listener: str, policy: Policy, limit: int, worker: str) -> list[Claimed]:
        """Abandoned entries (looked for every half lease, at most every 5 s), due retries (when one may be
        due), then fresh entries: usually one round trip."""
        stream = self._stream_of(listener)
        now = time.time()
        claimed: list[Claimed] = []
        if now - self._looked.get(listener, 0.0) >= min(policy.lease / 2, 5.0):
            self._looked[listener] = now
            claimed += self._abandoned(r, stream, listener, policy, limit, worker)
        if len(claimed) < limit and now >= self._retry_due.get(listener, 0.0):
            claimed += self._retries(r, listener, policy, limit - len(claimed), stream)
        if len(claimed) < limit:
            read: list[tuple[str, list[tuple[str, dict[str, str]]]]] = (
                r.xreadgroup(listener, worker, {stream: ">"}, count=limit - len(claimed)) or []
            )
            for _, entries in read:
                claimed += [Claimed(("p", entry), listener, envelope_of(fields), 1) for entry, fields in entries]
        return claimed

    def _abandoned(self, r: Any, stream: str, listener: str, policy: Policy, limit: int, worker: str) -> list[Claimed]:
        """Entries held past the listener's lease (their worker died): this worker takes them."""
        claimed: list[Claimed] = []
        _, taken, _ = r.xautoclaim(stream, listener, worker, int(policy.lease * 1000), "0-0", count=limit)
        if taken:
            pending = r.xpending_range(stream, listener, taken[0][0], taken[-1][0], len(taken) * 2 + 10, worker)
            counts = {e["message_id"]: e["times_delivered"] for e in pending}
            for entry, fields in taken:
                delivered = counts.get(entry, 2)
                if fields is None:
                    continue
                if delivered - 1 >= policy.attempts:
                    self._bury(r, listener, entry, fields, delivered - 1, abandoned(delivered - 1, policy), stream)
                    continue
                r.incr(self.key("redelivered", listener))
                claimed.append(Claimed(("p", entry), listener, envelope_of(fields), delivered))
        return claimed

    def _retries(self, r: Any, listener: str, policy: Policy, limit: int, stream: str) -> list[Claimed]:
        now = time.time()
        args = [now, now + policy.lease, limit]
        due, following = self._claim_retries(keys=[self.key("retry", listener)], args=args)
        # look again when the next retry is due, and at least every second (other processes schedule retries)
        self._retry_due[listener] = min(float(following[1]) if following else now + 1.0, now + 1.0)
        if not due:
            return []
        metas = r.hmget(self.key("meta", listener), due)
        claimed: list[Claimed] = []
        for entry, raw in zip(due, metas, strict=True):
            meta = retried(raw) or {"a": 0}
            found = r.xrange(stream, entry, entry)
            if not found:
                self._finish(r, listener, entry, "the event is no longer in the stream (pruned)", dead=True)
                continue
            fields = found[0][1]
            if meta.get("r") and meta["a"] >= policy.attempts:
                self._bury(r, listener, entry, fields, meta["a"], abandoned(meta["a"], policy), None, meta)
                continue
            if meta.get("r"):
                r.incr(self.key("redelivered", listener))
            meta.update(a=meta["a"] + 1, r=1, l=now, f=meta.get("f") or now)
            r.hset(self.key("meta", listener), entry, json.dumps(meta))
            claimed.append(Claimed(("r", entry), listener, envelope_of(fields), meta["a"]))
        return claimed

    def complete(self, claimed: Sequence[Claimed]) -> None:
        """Acknowledge deliveries; each is counted done once, even when a lost reply makes a worker ask twice."""

        def complete(r: Any) -> None:
            pipe = r.pipeline(transaction=False) if len(claimed) > 1 else r
            for one in claimed:
                kind, entry = one.token
                held = self._stream_of(one.listener) if kind == "p" else self.key("retry", one.listener)
                keys = [held, self.key("meta", one.listener), self.key("done", one.listener)]
                self._complete(keys=keys, args=[kind, one.listener, entry], client=pipe)
            if pipe is not r:
                pipe.execute()

        if claimed:
            self.call("record deliveries", complete)

    def fail(self, claimed: Claimed, error: str, retry_at: float | None) -> None:
        kind, entry = claimed.token
        listener = claimed.listener

        def fail(r: Any) -> None:
            meta = retried(r.hget(self.key("meta", listener), entry))
            now = time.time()
            meta.update(a=claimed.attempt, e=error, l=now, r=0, f=meta.get("f") or now)
            if retry_at is None:
                acked_from = None if kind == "r" else self._stream_of(listener)
                self._bury(r, listener, entry, self.fields(claimed.envelope), claimed.attempt, error, acked_from, meta)
                return
            self._retry_due[listener] = min(self._retry_due.get(listener, retry_at), retry_at)
            pipe = r.pipeline(transaction=True)
            if kind == "p":
                pipe.xack(self._stream_of(listener), listener, entry)
            pipe.zadd(self.key("retry", listener), {entry: retry_at})
            pipe.hset(self.key("meta", listener), entry, json.dumps(meta))
            pipe.execute()

        self.call("record a failed delivery", fail)

    def _bury(
        self,
        r: Any,
        listener: str,
        entry: str,
        fields: Mapping[str, str],
        attempts: int,
        error: str,
        acked_from: str | None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        """Make a delivery a dead letter: a copy in the listener's dead stream, out of the PEL and the retries."""
        meta = meta or {}
        now = time.time()
        letter = {
            **fields,
            "entry": entry,
            "attempts": attempts,
            "error": error,
            "first": meta.get("f") or now,
            "last": meta.get("l") or now,
        }
        pipe = r.pipeline(transaction=True)
        if acked_from is not None:
            pipe.xack(acked_from, listener, entry)
        pipe.zrem(self.key("retry", listener), entry)
        pipe.hdel(self.key("meta", listener), entry)
        pipe.xadd(self.key("dead", listener), letter)
        pipe.execute()

    def _finish(self, r: Any, listener: str, entry: str, error: str, *, dead: bool) -> None:
        pipe = r.pipeline(transaction=True)
        pipe.zrem(self.key("retry", listener), entry)
        pipe.hdel(self.key("meta", listener), entry)
        if dead:
            pipe.xadd(self.key("dead", listener), {"entry": entry, "attempts": 0, "error": error})
        pipe.execute()

    def release(self, claimed: Sequence[Claimed]) -> None:
        def release(r: Any) -> None:
            now = time.time()
            for one in claimed:
                self._retry_due[one.listener] = 0.0
                kind, entry = one.token
                meta = retried(r.hget(self.key("meta", one.listener), entry))
                meta.update(a=one.attempt - 1, r=0)
                pipe = r.pipeline(transaction=True)
                if kind == "p":
                    pipe.xack(self._stream_of(one.listener), one.listener, entry)
                pipe.zadd(self.key("retry", one.listener), {entry: now})
                pipe.hset(self.key("meta", one.listener), entry, json.dumps(meta))
                pipe.execute()

        if claimed:
            self.call("give deliveries back", release)

    def next_due(self, listeners: Sequence[str]) -> float | None:
        def next_due(r: Any) -> float | None:
            due: list[float] = []
            for listener in listeners:
                found = group(r, self._stream_of(listener), listener)
                if found is None or found.get("lag") is None or found["lag"] > 0:
                    return time.time()
                first = r.zrange(self.key("retry", listener), 0, 0, withscores=True)
                due += [score for _, score in first]
            return min(due, default=None)

        return self.call("read", next_due)

    def due_now(self, listeners: Sequence[str]) -> int:
        def due_now(r: Any) -> int:
            now, count = time.time(), 0
            for listener in listeners:
                self._retry_due[listener] = 0.0
                key = self.key("retry", listener)
                later = r.zrangebyscore(key, f"({now}", "+inf")
                if later:
                    r.zadd(key, dict.fromkeys(later, now))
                count += len(later)
            return count

        return self.call("make retries due", due_now)

    # -- operating ---------------------------------------------------------------------------------------
    def subscriptions(self, r: Any) -> dict[str, str]:
        """Every subscribed listener and its event's name, by listener."""
        subscriptions: dict[str, str] = r.hgetall(self.key("subscriptions", "all"))
        return dict(sorted(subscriptions.items()))

    # -- operating (the queries are in _redis_operating.py) -----------------------------------------------
    def status(self) -> list[ListenerStatus]:
        from hookwise.events import _redis_operating as operating

        return self.call("read", lambda r: operating.status(self, r))

    def events(self, name: str | None = None, limit: int = 1000) -> list[Envelope]:
        from hookwise.events import _redis_operating as operating

        return self.call("read", lambda r: operating.events(self, r, name, limit))

    def deliveries(self, event_id: str) -> list[DeliveryRecord]:
        from hookwise.events import _redis_operating as operating

        return self.call("read", lambda r: operating.deliveries(self, r, event_id))

    def dead(self, listener: str | None = None, limit: int = 100) -> list[DeadLetter]:
        from hookwise.events import _redis_operating as operating

        return self.call("read", lambda r: operating.dead(self, r, listener, limit))

    def retry(self, listener: str | None = None, event_id: str | None = None) -> int:
        from hookwise.events import _redis_operating as operating

        for name in [listener] if listener is not None else list(self._streams):
            self._retry_due[name] = 0.0
        return self.call("requeue dead letters", lambda r: operating.retry(self, r, listener, event_id))

    def forget(self, listener: str) -> int:
        from hookwise.events import _redis_operating as operating

        self._streams.pop(listener, None)
        return self.call("forget a listener", lambda r: operating.forget(self, r, listener))

    def prune(self, older_than: float) -> int:
        from hookwise.events import _redis_operating as operating

        return self.call("prune delivered events", lambda r: operating.prune(self, r, older_than))


def order(entry: str) -> tuple[int, int]:
    """A stream entry id as a sortable pair."""
    milliseconds, _, sequence = entry.partition("-")
    return int(milliseconds), int(sequence or 0)


def after(entry: str, last: str) -> bool:
    """Whether stream entry ``entry`` comes after ``last``."""
    return order(entry) > order(last)


def group(r: Any, stream: str, listener: str) -> dict[str, Any] | None:
    """A listener's consumer group on a stream, as ``XINFO GROUPS`` describes it; None if it has none."""
    try:
        groups: list[dict[str, Any]] = r.xinfo_groups(stream)
    except Exception:  # noqa: BLE001 - no stream yet: no group
        return None
    return next((group for group in groups if group.get("name") == listener), None)


def retried(raw: str | None) -> dict[str, Any]:
    """A retried delivery's record: attempts ``a``, last error ``e``, first and last attempt times, running."""
    loaded: dict[str, Any] = json.loads(raw) if raw else {}
    return loaded


def envelope_of(fields: Mapping[str, str]) -> Envelope:
    """A stream entry's fields back to the event as stored (see :meth:`RedisStore.fields`)."""
    event_id, name, version, key, headers, published_at = json.loads(fields["m"])
    return Envelope(event_id, name, version, key, fields["p"], headers, published_at)


def letter(listener: str, fields: Mapping[str, str]) -> DeadLetter:
    """A dead-letter stream entry: the event's fields and what happened to it."""
    envelope = envelope_of(fields) if "m" in fields else Envelope("", "", 0, None, "", "{}", 0.0)
    return DeadLetter(
        listener,
        envelope.id,
        envelope.name,
        envelope.key,
        int(fields.get("attempts", 0)),
        fields.get("error"),
        envelope.published_at,
        float(fields["first"]) if "first" in fields else None,
        float(fields["last"]) if "last" in fields else None,
    )
