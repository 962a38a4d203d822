"""``hookwise events``: the real command line in a subprocess, against a real store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hookwise.events import Event, EventBus

APP = textwrap.dedent(
    """
    import os
    from hookwise.events import Event, EventBus, listener

    class Ping(Event, name="cli.ping"):
        number: int

    bus = EventBus(os.environ["CLI_URL"], poll=0.02)

    @listener(Ping, name="fails", attempts=2, backoff=0.01)
    def fails(event: Ping) -> None:
        raise ConnectionError(f"mail server down for {event.number}")

    @listener(Ping, name="works")
    def works(event: Ping) -> None:
        pass

    bus.register(fails)
    bus.register(works)

    def make_bus():
        return bus

    not_a_bus = 42
    """
)


class Ping(Event, name="cli.ping"):
    number: int


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cliapp.py").write_text(APP, encoding="utf-8")
    return tmp_path


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CLI_URL": f"sqlite:///{project / 'app.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "hookwise", "events", *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def published(project: Path, count: int) -> list[str]:
    bus = EventBus(f"sqlite:///{project / 'app.db'}")
    for name in ("fails", "works"):
        bus.store.subscribe(name, "cli.ping")
    ids = [bus.publish(Ping(number=number)) for number in range(count)]
    bus.close()
    return ids


def test_status_dead_retry_and_show_tell_an_operator_what_happened(project: Path) -> None:
    ids = published(project, 3)
    status = run(project, "status", "--app", "cliapp:bus")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].split() == ["listener", "pending", "in", "flight", "retrying", "dead", "done", "oldest"]
    assert lines[1].split()[:6] == ["fails", "3", "0", "0", "0", "0"]

    worker = subprocess.Popen(
        [sys.executable, "-m", "hookwise", "events", "worker", "--app", "cliapp:make_bus"],
        cwd=project,
        env={**os.environ, "CLI_URL": f"sqlite:///{project / 'app.db'}"},
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        rows: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            rows = json.loads(run(project, "status", "--url", f"sqlite:///{project / 'app.db'}", "--json").stdout)
            if [(row["listener"], row["dead"], row["done"]) for row in rows] == [("fails", 3, 0), ("works", 0, 3)]:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the worker did not finish: {rows}")
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0

    dead = run(project, "dead", "--app", "cliapp:bus")
    assert dead.returncode == 0
    assert dead.stdout.count("fails: cli.ping ") == 3
    assert "2 attempts, last at 20" in dead.stdout
    assert "ConnectionError: mail server down for 0 (at " in dead.stdout
    letters = json.loads(run(project, "dead", "--app", "cliapp:bus", "--json", "--limit", "1").stdout)
    assert [(letter["listener"], letter["event_id"], letter["attempts"]) for letter in letters] == [
        ("fails", ids[0], 2)
    ]

    show = run(project, "show", "--app", "cliapp:bus", ids[1])
    assert show.stdout.splitlines()[0].startswith("fails: dead after 2 attempt(s): ConnectionError: mail server")
    assert show.stdout.splitlines()[1].startswith("works: done after 1 attempt(s), done at 20")

    retried = run(project, "retry", "--app", "cliapp:bus", "--listener", "fails", "--event", ids[2])
    assert retried.stdout == "requeued 1 dead letter\n"
    assert json.loads(run(project, "status", "--app", "cliapp:bus", "--json").stdout)[0]["pending"] == 1

    pruned = run(project, "prune", "--app", "cliapp:bus", "--older-than", "0s")
    assert pruned.stdout.startswith("pruned 3 delivered deliveries older than 0.0s")
    forgot = run(project, "forget", "--url", f"sqlite:///{project / 'app.db'}", "fails")
    assert forgot.stdout == "listener 'fails' unsubscribed; 3 undelivered deliveries dropped\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("status", "--app", "nowhere:bus"), "target 'nowhere:bus': cannot import module 'nowhere'"),
        (("status", "--app", "cliapp:not_a_bus"), "--app 'cliapp:not_a_bus' is int, not an EventBus"),
        (("worker", "--app", "cliapp:bus", "--listener", "nobody"), "no listener named 'nobody' is registered"),
        (("worker", "--app", "cliapp:bus", "--threads", "0"), "Worker(): threads must be an int of at least 1"),
        (("show", "--url", "memory://", "0123"), "no event '0123' in the store (never published, or pruned)"),
        (("prune", "--url", "memory://", "--older-than", "soon"), "--older-than 'soon': give seconds"),
        (("forget", "--url", "memory://", "ghost"), "no listener 'ghost' is subscribed in memory://"),
        (("status", "--url", "ftp://x"), "unknown scheme 'ftp'"),
        (("forget", "--app", "cliapp:bus", "works"), "listener 'works' is registered on this bus, which would go on"),
    ],
)
def test_every_failure_is_one_line_and_exit_2(project: Path, args: tuple[str, ...], message: str) -> None:
    result = run(project, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"hookwise events {args[0]}: ")
    assert message in result.stderr
