"""What operators ask of the Redis store: where listeners stand, one event's story, dead letters,
requeueing, ending a subscription, trimming the streams. Each function runs on the store's client."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from hookwise.events._redis import after, envelope_of, group, letter, order, retried, stamp
from hookwise.events._store import DeadLetter, DeliveryRecord, Envelope, ListenerStatus
from hookwise.exceptions import EventStoreError

if TYPE_CHECKING:
    from hookwise.events._redis import RedisStore


def status(store: RedisStore, r: Any) -> list[ListenerStatus]:
    """Per listener: its group's lag (pending), its pending entries (in flight), retries, dead letters,
    the done and redelivered counters, and the age of its oldest unfinished entry."""
    now = time.time()
    statuses: list[ListenerStatus] = []
    for listener, event_name in store.subscriptions(r).items():
        stream = store.key("stream", event_name)
        found = group(r, stream, listener) or {}
        oldest: list[float] = []
        following = r.xrange(stream, f"({found.get('last-delivered-id', '0-0')}", "+", count=1)
        oldest += [stamp(entry) for entry, _ in following]
        held: list[dict[str, Any]] = r.xpending_range(stream, listener, "-", "+", 1) if found.get("pending") else []
        oldest += [stamp(e["message_id"]) for e in held]
        retrying = r.zrange(store.key("retry", listener), 0, -1)
        oldest += [min(stamp(entry) for entry in retrying)] if retrying else []
        statuses.append(
            ListenerStatus(
                listener,
                int(found.get("lag") or 0),
                int(found.get("pending") or 0),
                len(retrying),
                int(r.xlen(store.key("dead", listener))),
                int(r.get(store.key("done", listener)) or 0),
                max(0.0, now - min(oldest)) if oldest else None,
                int(r.get(store.key("redelivered", listener)) or 0),
            )
        )
    return statuses


def events(store: RedisStore, r: Any, name: str | None, limit: int) -> list[Envelope]:
    """Stored events (of one name, or of every subscribed name), oldest first."""
    names = [name] if name is not None else sorted(set(store.subscriptions(r).values()))
    found = [(entry, fields) for n in names for entry, fields in r.xrange(store.key("stream", n), count=limit)]
    found.sort(key=lambda item: order(item[0]))
    return [envelope_of(fields) for _, fields in found[:limit]]


def deliveries(store: RedisStore, r: Any, event_id: str) -> list[DeliveryRecord]:
    """What happened to one event at each listener of its stream (the streams are searched for it)."""
    subscriptions = store.subscriptions(r)
    for event_name in sorted(set(subscriptions.values())):
        stream = store.key("stream", event_name)
        for entry, fields in r.xrange(stream):
            if envelope_of(fields).id == event_id:
                listeners = [listener for listener, name in subscriptions.items() if name == event_name]
                return [_story(store, r, stream, listener, entry) for listener in listeners]
    return []


def _story(store: RedisStore, r: Any, stream: str, listener: str, entry: str) -> DeliveryRecord:
    for _, fields in r.xrange(store.key("dead", listener)):
        if fields.get("entry") == entry:
            first, last = float(fields["first"]), float(fields["last"])
            return DeliveryRecord(listener, "dead", int(fields["attempts"]), fields["error"], first, last, None, 0)
    meta = retried(r.hget(store.key("meta", listener), entry))
    if r.zscore(store.key("retry", listener), entry) is not None:
        state = "running" if meta.get("r") else "pending"
        attempts = int(meta.get("a", 0))
        return DeliveryRecord(listener, state, attempts, meta.get("e"), meta.get("f"), meta.get("l"), None, 0)
    if r.xpending_range(stream, listener, entry, entry, 1):
        return DeliveryRecord(listener, "running", 1, None, None, None, None, 0)
    if after(entry, (group(r, stream, listener) or {}).get("last-delivered-id", "0-0")):
        return DeliveryRecord(listener, "pending", 0, None, None, None, None, 0)
    return DeliveryRecord(listener, "done", int(meta.get("a", 1)) or 1, None, None, None, None, 0)


def dead(store: RedisStore, r: Any, listener: str | None, limit: int) -> list[DeadLetter]:
    """Dead letters (of one listener, or all), oldest event first."""
    names = [listener] if listener is not None else list(store.subscriptions(r))
    letters = [letter(name, fields) for name in names for _, fields in r.xrange(store.key("dead", name), count=limit)]
    return sorted(letters, key=lambda one: one.published_at)[:limit]


def retry(store: RedisStore, r: Any, listener: str | None, event_id: str | None) -> int:
    """Dead letters back among the retries, due now, with fresh attempts; how many."""
    count = 0
    for name in [listener] if listener is not None else list(store.subscriptions(r)):
        for letter_id, fields in r.xrange(store.key("dead", name)):
            if event_id is not None and ("m" not in fields or envelope_of(fields).id != event_id):
                continue
            pipe = r.pipeline(transaction=True)
            pipe.zadd(store.key("retry", name), {fields["entry"]: time.time()})
            pipe.hset(store.key("meta", name), fields["entry"], json.dumps({"a": 0}))
            pipe.xdel(store.key("dead", name), letter_id)
            pipe.execute()
            count += 1
    return count


def forget(store: RedisStore, r: Any, listener: str) -> int:
    """Destroy a listener's group and its keys; how many of its deliveries were unfinished.

    Raises:
        EventStoreError: no such listener is subscribed (the message lists those that are).
    """
    subscriptions = store.subscriptions(r)
    if listener not in subscriptions:
        msg = (
            f"no listener {listener!r} is subscribed in {store.where}; subscribed: {', '.join(subscriptions) or 'none'}"
        )
        raise EventStoreError(msg)
    stream = store.key("stream", subscriptions[listener])
    found = group(r, stream, listener) or {}
    undelivered = int(found.get("lag") or 0) + int(found.get("pending") or 0)
    undelivered += int(r.zcard(store.key("retry", listener))) + int(r.xlen(store.key("dead", listener)))
    r.xgroup_destroy(stream, listener)
    r.delete(*(store.key(kind, listener) for kind in ("retry", "meta", "dead", "done", "redelivered")))
    r.hdel(store.key("subscriptions", "all"), listener)
    return undelivered


def prune(store: RedisStore, r: Any, older_than: float) -> int:
    """Trim each stream to what some listener still needs (its lag, its pending entries, its retries) and to
    entries newer than ``older_than``; how many entries were trimmed."""
    trimmed = 0
    by_stream: dict[str, list[str]] = {}
    for listener, event_name in store.subscriptions(r).items():
        by_stream.setdefault(store.key("stream", event_name), []).append(listener)
    for stream, listeners in by_stream.items():
        keep = [f"{int(older_than * 1000)}-0"]
        for listener in listeners:
            found = group(r, stream, listener) or {}
            keep += [entry for entry, _ in r.xrange(stream, f"({found.get('last-delivered-id', '0-0')}", "+", count=1)]
            keep += [e["message_id"] for e in r.xpending_range(stream, listener, "-", "+", 1)]
            keep += r.zrange(store.key("retry", listener), 0, -1)
        trimmed += int(r.xtrim(stream, minid=min(keep, key=order), approximate=False))
    return trimmed
