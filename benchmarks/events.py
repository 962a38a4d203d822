"""hookwise events against the limit of their medium and against blinker, side by side in one run.

    python benchmarks/events.py            a table
    python benchmarks/events.py --json     the rows as JSON
    python benchmarks/events.py --quick    fewer events (a smoke run)

Every system handles the same events (one small event of two fields) with 1
and 10 listeners that do nothing, so what is measured is the machinery:

- ``hookwise-sqlite``: ``EventBus("sqlite:///...")`` in WAL mode. The events are
  published from the main thread while a worker in the same process delivers
  them (one thread per listener); the clock runs from the first publish to the
  last delivery recorded done. ``publish_p50_us`` and ``publish_p99_us`` are the
  latencies of those ``publish`` calls, made while the worker runs.
- ``sqlite3-loop``: the same durable work written by hand with ``sqlite3`` in one
  thread: per event, one transaction inserts the event and a pending row per
  listener; then, per listener, the handler runs and one transaction updates
  its row to done (hookwise also records each delivery the moment its listener
  returns). The limit of the medium; its publish latency is the insert's.
- ``blinker``: ``signal.send(event)`` to the same receivers: synchronous, in the
  publisher's thread, nothing stored, no retry. Its publish latency includes
  running every receiver.

Rows are the median of the rounds (interleaved, so noise on this shared machine
hits every system alike); ratios compare with ``sqlite3-loop``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import blinker

from hookwise.events import Event, EventBus, listener

Row = dict[str, Any]


class Measured(Event, name="bench.measured", version=1):
    """The benchmark's event: two small fields."""

    sensor: str
    value: int


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _bus(url: str, listeners: int, on_delivery: Any) -> EventBus:
    bus = EventBus(url, poll=0.01)

    def make(index: int) -> Any:
        @listener(Measured, name=f"listener-{index}")
        def handle(event: Measured) -> None:
            on_delivery()

        return handle

    for index in range(listeners):
        bus.register(make(index), name=f"plugin-{index}")
    return bus


def serve(url: str, listeners: int, expected: int, ready: Any, finished: Any, stop: Any) -> None:
    """A worker process: deliver until ``expected`` deliveries are done, then say so; stop when told."""
    lock = threading.Lock()
    count = [0]

    def delivered() -> None:
        with lock:
            count[0] += 1
            if count[0] == expected:
                finished.set()

    bus = _bus(url, listeners, delivered)
    worker = bus.start()
    ready.set()
    stop.wait()
    worker.stop()
    bus.close()


def run_hookwise(directory: Path, events: int, listeners: int, *, threads: bool = False) -> tuple[float, list[float]]:
    """Events per second end to end, and each publish's latency in seconds.

    The worker is a separate process (as ``hookwise events worker`` runs it), or
    with ``threads`` a worker in the publishing process.
    """
    url = f"sqlite:///{directory}/hookwise-{listeners}-{time.monotonic_ns()}.db"
    context = multiprocessing.get_context("spawn")
    ready, finished, stop = context.Event(), context.Event(), context.Event()
    arguments = (url, listeners, events * listeners, ready, finished, stop)
    runner: threading.Thread | BaseProcess = (
        threading.Thread(target=serve, args=arguments) if threads else context.Process(target=serve, args=arguments)
    )
    runner.start()
    ready.wait()
    bus = EventBus(url)
    latencies: list[float] = []
    clock = time.perf_counter
    start = clock()
    for index in range(events):
        before = clock()
        bus.publish(Measured(sensor="s1", value=index))
        latencies.append(clock() - before)
    finished.wait()
    elapsed = clock() - start
    stop.set()
    runner.join()
    bus.close()
    return events / elapsed, latencies


def run_sqlite_loop(directory: Path, events: int, listeners: int) -> tuple[float, list[float]]:
    """The same durable work by hand: insert the event and its pending rows, then mark each row done."""
    connection = sqlite3.connect(directory / f"loop-{listeners}-{time.monotonic_ns()}.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    connection.execute(
        "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, event INTEGER NOT NULL, listener INTEGER NOT NULL, "
        "state TEXT NOT NULL)"
    )

    def handler(payload: object) -> None:
        return None

    handlers = [handler] * listeners
    latencies: list[float] = []
    clock = time.perf_counter
    start = clock()
    for index in range(events):
        before = clock()
        connection.execute("BEGIN IMMEDIATE")
        event = connection.execute(
            "INSERT INTO events (payload) VALUES (?)", (json.dumps({"sensor": "s1", "value": index}),)
        ).lastrowid
        rows = [
            connection.execute(
                "INSERT INTO deliveries (event, listener, state) VALUES (?, ?, 'pending')", (event, number)
            ).lastrowid
            for number in range(listeners)
        ]
        connection.execute("COMMIT")
        latencies.append(clock() - before)
        payload = connection.execute("SELECT payload FROM events WHERE id = ?", (event,)).fetchone()[0]
        for row, handler in zip(rows, handlers, strict=True):
            handler(json.loads(payload))
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("UPDATE deliveries SET state = 'done' WHERE id = ?", (row,))
            connection.execute("COMMIT")
    elapsed = clock() - start
    connection.close()
    return events / elapsed, latencies


def run_blinker(events: int, listeners: int) -> tuple[float, list[float]]:
    signal = blinker.Signal()
    receivers = []
    for _ in range(listeners):

        def receive(sender: object, **kwargs: object) -> None:
            return None

        receivers.append(receive)  # blinker holds weak references: keep them alive
        signal.connect(receive)
    latencies: list[float] = []
    clock = time.perf_counter
    start = clock()
    for index in range(events):
        before = clock()
        signal.send(None, event=Measured(sensor="s1", value=index))
        latencies.append(clock() - before)
    elapsed = clock() - start
    return events / elapsed, latencies


def measure(events: int, rounds: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="hookwise-bench-") as name:
        directory = Path(name)
        for listeners in (1, 10):
            count = events if listeners == 1 else max(1, events // 4)
            systems = ("hookwise-sqlite", "sqlite3-loop", "blinker")
            samples: dict[str, list[tuple[float, list[float]]]] = {system: [] for system in systems}
            for _ in range(rounds):
                samples["sqlite3-loop"].append(run_sqlite_loop(directory, count, listeners))
                samples["hookwise-sqlite"].append(run_hookwise(directory, count, listeners))
                samples["blinker"].append(run_blinker(count, listeners))
            for system, runs in samples.items():
                latencies = [latency for _, run in runs for latency in run]
                rows.append(
                    {
                        "system": system,
                        "listeners": listeners,
                        "workers": 0 if system == "blinker" else 1,
                        "events_per_s": round(statistics.median(rate for rate, _ in runs), 1),
                        "publish_p50_us": round(percentile(latencies, 0.50) * 1e6, 1),
                        "publish_p99_us": round(percentile(latencies, 0.99) * 1e6, 1),
                    }
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer events and rounds (a smoke run)")
    args = parser.parse_args(argv)
    events, rounds = (300, 1) if args.quick else (4000, 5)
    rows = measure(events, rounds)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {events} events, {rounds} rounds")
    print(f"{'system':<16} {'listeners':>9} {'events/s':>10} {'vs loop':>8} {'publish p50':>12} {'p99':>9}")
    for row in rows:
        loop = next(r for r in rows if r["system"] == "sqlite3-loop" and r["listeners"] == row["listeners"])
        print(
            f"{row['system']:<16} {row['listeners']:>9} {row['events_per_s']:>10,.0f} "
            f"{row['events_per_s'] / loop['events_per_s']:>7.2f}x {row['publish_p50_us']:>10.1f}us "
            f"{row['publish_p99_us']:>7.1f}us"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
