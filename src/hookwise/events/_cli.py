"""``hookwise events``: run workers and operate an event store from the command line.

- ``hookwise events worker --app myapp.events:bus [--broker redis://...]`` delivers until
  SIGTERM or Ctrl+C, then finishes the deliveries in flight (up to ``--shutdown-timeout``)
  and exits.
- ``status``, ``dead``, ``retry``, ``show EVENT_ID``, ``prune``, ``forget LISTENER``
  work on the bus of ``--app``, or on a store by ``--url`` (no application code imported).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from hookwise.exceptions import CommandError


def add_commands(commands: Any) -> None:
    """Add ``hookwise events ...`` to the ``hookwise`` parser's subcommands."""
    events = commands.add_parser("events", help="run event workers; see and operate event deliveries")
    actions = events.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str, run: Any, *, app_only: bool = False) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--app", metavar="MODULE:BUS", help="module:attribute naming an EventBus (or a function)")
        if not app_only:
            where.add_argument("--url", help="an event store URL (sqlite:///app.db, redis://...), no app imported")
        parser.set_defaults(run=run, command="events " + name)
        return parser

    worker = action("worker", "deliver events until SIGTERM or Ctrl+C", _worker, app_only=True)
    worker.add_argument("--broker", metavar="URL", help="deliver from this store instead of the bus's (redis://...)")
    worker.add_argument("--outbox", metavar="URL", help="with --broker: the application's database to relay from")
    worker.add_argument("--listener", action="append", metavar="NAME", help="serve only this listener (repeat)")
    worker.add_argument("--threads", type=int, default=1, help="threads running deliveries while none is slow")
    worker.add_argument("--slow-after", type=float, default=0.05, metavar="S", help="seconds until a delivery is slow")
    worker.add_argument("--batch", type=int, default=16, help="deliveries a listener's lane takes at a time")
    worker.add_argument("--shutdown-timeout", type=float, default=30.0, metavar="S", help="seconds to finish in flight")
    worker.add_argument("--log-level", default="INFO", help="logging level of hookwise.events (default INFO)")
    status = action("status", "per listener: pending, in flight, retrying, dead, done, oldest age", _status)
    dead = action("dead", "dead letters, oldest first, with their last error", _dead)
    dead.add_argument("--listener", metavar="NAME", help="only this listener's")
    dead.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    retry = action("retry", "requeue dead letters with fresh attempts", _retry)
    retry.add_argument("--listener", metavar="NAME", help="only this listener's")
    retry.add_argument("--event", metavar="ID", help="only this event's")
    show = action("show", "what happened to one event at each listener", _show)
    show.add_argument("event_id", metavar="EVENT_ID")
    prune = action("prune", "forget delivered events older than an age", _prune)
    prune.add_argument("--older-than", required=True, metavar="AGE", help="seconds, or with a unit: 90s, 30m, 12h, 7d")
    forget = action("forget", "end a listener's subscription and drop its undelivered events", _forget)
    forget.add_argument("listener", metavar="LISTENER")
    for parser in (status, dead, show):
        parser.add_argument("--json", action="store_true", help="print JSON")


def _bus(args: argparse.Namespace) -> Any:
    from hookwise._inspect import call_target, import_target
    from hookwise.events._bus import EventBus

    if getattr(args, "url", None):
        return EventBus(args.url)
    found = import_target(args.app)
    if not isinstance(found, EventBus) and callable(found):
        found = call_target(args.app, found)
    if not isinstance(found, EventBus):
        msg = f"--app {args.app!r} is {type(found).__name__}, not an EventBus or a function returning one"
        raise CommandError(msg)
    return found


def _worker(args: argparse.Namespace) -> int:
    bus = _bus(args)
    if not bus.listeners:
        msg = f"--app {args.app!r}: the bus has no listeners registered; register them where the bus is made"
        raise CommandError(msg)
    if args.broker:
        bus.use_store(args.broker, outbox=args.outbox)
    logger = logging.getLogger("hookwise.events")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(args.log_level.upper())
    try:
        worker = bus.start(
            listeners=args.listener,
            threads=args.threads,
            slow_after=args.slow_after,
            batch=args.batch,
            shutdown_timeout=args.shutdown_timeout,
        )
    except (KeyError, TypeError) as error:  # an unknown listener, an option out of range
        raise CommandError(str(error).strip("\"'")) from error
    stopping = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("worker %s serving %s from %s", worker.name, ", ".join(sorted(worker.listeners)), bus.url)
    while not stopping.wait(1.0):
        pass
    stopped = worker.stop(args.shutdown_timeout)
    logger.info(
        "worker %s stopped: %d delivered, %d failed attempts, %d dead letters",
        worker.name,
        worker.delivered,
        worker.failed,
        worker.dead,
    )
    bus.close()
    return 0 if stopped else 1


def _as_json(records: Sequence[Any]) -> int:
    """Print records (named tuples) as a JSON list of objects."""
    print(json.dumps([record._asdict() for record in records], indent=2))
    return 0


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.1f}s"


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).isoformat(timespec="seconds")


def _status(args: argparse.Namespace) -> int:
    statuses = _bus(args).status()
    if args.json:
        return _as_json(statuses)
    if not statuses:
        print("no listeners are subscribed")
        return 0
    width = max(len("listener"), *(len(status.listener) for status in statuses))
    header = f"{'pending':>8} {'in flight':>9} {'retrying':>8} {'dead':>6} {'done':>8} {'oldest':>7}"
    print(f"{'listener':<{width}} {header}")
    for status in statuses:
        print(
            f"{status.listener:<{width}} {status.pending:>8} {status.in_flight:>9} {status.retrying:>8} "
            f"{status.dead:>6} {status.done:>8} {_age(status.oldest_age):>7}"
        )
    return 0


def _dead(args: argparse.Namespace) -> int:
    letters = _bus(args).dead(args.listener, limit=args.limit)
    if args.json:
        return _as_json(letters)
    if not letters:
        print("no dead letters")
    for letter in letters:
        key = f" key={letter.key}" if letter.key is not None else ""
        print(
            f"{letter.listener}: {letter.event_name} {letter.event_id}{key}, {letter.attempts} attempts, "
            f"last at {_when(letter.last_attempt_at)}: {letter.last_error}"
        )
    return 0


def _retry(args: argparse.Namespace) -> int:
    count = _bus(args).retry(args.listener, event_id=args.event)
    print(f"requeued {count} dead letter{'s' if count != 1 else ''}")
    return 0


def _show(args: argparse.Namespace) -> int:
    records = _bus(args).deliveries(args.event_id)
    if not records:
        msg = f"no event {args.event_id!r} in the store (never published, or pruned)"
        raise CommandError(msg)
    if args.json:
        return _as_json(records)
    for record in records:
        when = f", done at {_when(record.done_at)}" if record.done_at is not None else ""
        error = f": {record.last_error}" if record.last_error else ""
        print(f"{record.listener}: {record.state} after {record.attempts} attempt(s){when}{error}")
    return 0


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(text: str) -> float:
    number, unit = (text[:-1], text[-1]) if text and text[-1] in _UNITS else (text, "s")
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        value = -1.0
    if not value >= 0:
        msg = f"--older-than {text!r}: give seconds, or a number with a unit s, m, h or d (7d)"
        raise CommandError(msg)
    return value


def _prune(args: argparse.Namespace) -> int:
    older_than = _seconds(args.older_than)
    count = _bus(args).prune(older_than)
    print(f"pruned {count} delivered deliveries older than {_age(older_than)} (as of {_when(time.time())})")
    return 0


def _forget(args: argparse.Namespace) -> int:
    count = _bus(args).forget(args.listener)
    print(f"listener {args.listener!r} unsubscribed; {count} undelivered deliveries dropped")
    return 0
