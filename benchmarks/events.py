"""hookwise events against the limit of their medium and against blinker and Celery, side by side in one run.

    python benchmarks/events.py            a table (SQLite)
    python benchmarks/events.py --redis    and Redis: a redis-server of its own, on a free port
    python benchmarks/events.py --json     the rows as JSON
    python benchmarks/events.py --quick    fewer events (a smoke run)

Every system handles the same events (one small event of two fields) with 1
and 10 listeners that do nothing, so what is measured is the machinery:

- ``hookwise-sqlite``: ``EventBus("sqlite:///...")`` in WAL mode. The main process
  publishes while one worker process (as ``hookwise events worker`` runs) delivers;
  the clock runs from the first publish to the last delivery recorded done.
  ``publish_p50_us`` and ``publish_p99_us`` are the latencies of those ``publish``
  calls, made while the worker writes to the same file.
- ``sqlite3-loop``: the same durable work written by hand with ``sqlite3`` in one
  thread: per event, one transaction inserts the event and a pending row per
  listener; then, per listener, the handler runs and one transaction updates
  its row to done (hookwise also records each delivery the moment its listener
  returns). The limit of the medium; its publish latency is the insert's.
- ``blinker``: ``signal.send(event)`` to the same receivers: synchronous, in the
  publisher's thread, nothing stored, no retry. Its publish latency includes
  running every receiver.

With ``--redis``, one listener and 1, 2 and 4 worker processes, on one redis-server
(``appendonly yes``, ``appendfsync everysec``); each handler increments a Redis counter,
which the main process watches to stop the clock:

- ``hookwise-redis``: ``EventBus("redis://...")``: a stream, a consumer group,
  ``XACK`` after each delivery.
- ``redis-raw``: the same done by hand with redis-py: ``XADD`` to publish; per worker,
  ``XREADGROUP`` batches of 16 and an ``XACK`` after each handler (the limit of the broker).
- ``celery``: a Celery task on the same Redis as broker, ``apply_async`` to publish, a
  prefork worker of N processes, ``acks_late`` (acknowledged after the task, as the
  others are), no result backend.

Rows are the median of the rounds (interleaved, so noise on this shared machine
hits every system alike); ratios compare with ``sqlite3-loop`` or ``redis-raw``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
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


# -- Redis -------------------------------------------------------------------------------------------------

CELERY_APP = """
import os

import redis
from celery import Celery

app = Celery("bench", broker=os.environ["BENCH_REDIS"])
app.conf.update(task_acks_late=True, task_ignore_result=True, worker_prefetch_multiplier=16, broker_pool_limit=4)
counter = redis.Redis.from_url(os.environ["BENCH_REDIS"])


@app.task(name="bench.handle")
def handle(sensor, value):
    counter.incr("bench:done")
"""


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server on a free loopback port, appending to its log every second."""
    import redis  # here: the SQLite part runs without redis-py

    executable = shutil.which("redis-server")
    if executable is None:
        msg = "--redis needs redis-server (Debian: apt-get install redis-server)"
        raise SystemExit(msg)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", ""]
    options += ["--appendonly", "yes", "--appendfsync", "everysec"]
    process = subprocess.Popen([executable, *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(500):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    return process, url


def wait_done(client: Any, expected: int) -> None:
    while int(client.get("bench:done") or 0) < expected:
        time.sleep(0.002)


def serve_hookwise_redis(url: str, ready: Any, stop: Any) -> None:
    """A hookwise worker process on Redis: its listener increments the counter."""
    import redis  # here: the SQLite part runs without redis-py

    counter = redis.Redis.from_url(url)
    bus = EventBus(url, poll=0.01)

    @listener(Measured, name="counted")
    def counted(event: Measured) -> None:
        counter.incr("bench:done")

    bus.register(counted)
    worker = bus.start()
    ready.set()
    stop.wait()
    worker.stop()
    bus.close()


def serve_redis_raw(url: str, name: str, ready: Any, stop: Any) -> None:
    """The same by hand: XREADGROUP batches, the handler, an XACK per message."""
    import redis  # here: the SQLite part runs without redis-py

    client: Any = redis.Redis.from_url(url, decode_responses=True)
    ready.set()
    while not stop.is_set():
        for _, entries in client.xreadgroup("counted", name, {"bench:stream": ">"}, count=16, block=50) or []:
            for entry, fields in entries:
                json.loads(fields["payload"])
                client.incr("bench:done")
                client.xack("bench:stream", "counted", entry)


def run_redis(system: str, url: str, directory: Path, events: int, workers: int) -> tuple[float, list[float]]:
    """Events per second end to end through Redis with ``workers`` worker processes, and publish latencies."""
    import redis  # here: the SQLite part runs without redis-py

    client = redis.Redis.from_url(url)
    client.flushall()
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    processes: list[Any] = []
    celery: subprocess.Popen[bytes] | None = None
    if system == "celery":
        (directory / "bench_celery.py").write_text(CELERY_APP, encoding="utf-8")
        environment = {**os.environ, "BENCH_REDIS": url, "PYTHONPATH": str(directory)}
        command = [sys.executable, "-m", "celery", "-A", "bench_celery", "worker", "-c", str(workers)]
        command += ["--pool", "prefork", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
        celery = subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=directory, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        sys.path.insert(0, str(directory))
        os.environ["BENCH_REDIS"] = url
        task: Any = importlib.import_module("bench_celery").handle  # the module written just above
        task.apply_async(args=("s1", -1))  # warm up: the worker is ready once it ran
        wait_done(client, 1)
        client.set("bench:done", 0)

        def publish(index: int) -> None:
            task.apply_async(args=("s1", index))
    elif system == "redis-raw":
        client.xgroup_create("bench:stream", "counted", id="$", mkstream=True)
        for number in range(workers):
            ready = context.Event()
            processes.append(context.Process(target=serve_redis_raw, args=(url, f"worker-{number}", ready, stop)))
            processes[-1].start()
            ready.wait()

        def publish(index: int) -> None:
            client.xadd("bench:stream", {"payload": json.dumps({"sensor": "s1", "value": index})})
    else:
        bus = EventBus(url)
        for _ in range(workers):
            ready = context.Event()
            processes.append(context.Process(target=serve_hookwise_redis, args=(url, ready, stop)))
            processes[-1].start()
            ready.wait()

        def publish(index: int) -> None:
            bus.publish(Measured(sensor="s1", value=index))

    latencies: list[float] = []
    clock = time.perf_counter
    start = clock()
    for index in range(events):
        before = clock()
        publish(index)
        latencies.append(clock() - before)
    wait_done(client, events)
    elapsed = clock() - start
    stop.set()
    for process in processes:
        process.join()
    if celery is not None:
        celery.terminate()
        celery.wait(30)
    client.close()
    return events / elapsed, latencies


def measure_redis(events: int, rounds: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="hookwise-bench-redis-") as name:
        directory = Path(name)
        server, url = start_redis(directory)
        try:
            for workers in (1, 2, 4):
                systems = ("hookwise-redis", "redis-raw", "celery")
                samples: dict[str, list[tuple[float, list[float]]]] = {system: [] for system in systems}
                for _ in range(rounds):
                    for system in systems:
                        samples[system].append(run_redis(system, url, directory, events, workers))
                rows += summarize(samples, listeners=1, workers=workers)
        finally:
            server.terminate()
            server.wait(30)
    return rows


def summarize(samples: dict[str, list[tuple[float, list[float]]]], *, listeners: int, workers: int) -> list[Row]:
    """One row per system: the median rate of the rounds, and the publish latencies of all of them."""
    rows: list[Row] = []
    for system, runs in samples.items():
        latencies = [latency for _, run in runs for latency in run]
        rows.append(
            {
                "system": system,
                "listeners": listeners,
                "workers": 0 if system == "blinker" else workers,
                "events_per_s": round(statistics.median(rate for rate, _ in runs), 1),
                "publish_p50_us": round(percentile(latencies, 0.50) * 1e6, 1),
                "publish_p99_us": round(percentile(latencies, 0.99) * 1e6, 1),
            }
        )
    return rows


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
            rows += summarize(samples, listeners=listeners, workers=1)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer events and rounds (a smoke run)")
    parser.add_argument("--redis", action="store_true", help="also Redis: hookwise, raw redis-py and Celery")
    args = parser.parse_args(argv)
    events, rounds = (300, 1) if args.quick else (4000, 5)
    rows = measure(events, rounds)
    if args.redis:
        rows += measure_redis(200 if args.quick else 2000, 1 if args.quick else 3)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {events} events, {rounds} rounds")
    print(
        f"{'system':<16} {'listeners':>9} {'workers':>7} {'events/s':>10} {'vs base':>8} {'publish p50':>12} {'p99':>9}"
    )
    for row in rows:
        base = "redis-raw" if row["system"] in ("hookwise-redis", "redis-raw", "celery") else "sqlite3-loop"
        same = (row["listeners"], row["workers"] or 1)
        loop = next(r for r in rows if r["system"] == base and (r["listeners"], r["workers"]) == same)
        print(
            f"{row['system']:<16} {row['listeners']:>9} {row['workers']:>7} {row['events_per_s']:>10,.0f} "
            f"{row['events_per_s'] / loop['events_per_s']:>7.2f}x {row['publish_p50_us']:>10.1f}us "
            f"{row['publish_p99_us']:>7.1f}us"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
