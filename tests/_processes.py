"""Worker processes for the fault tests, run as operators run them: ``hookwise events worker``."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def worker(environment: dict[str, str], cwd: Path, app: str, *extra: str) -> subprocess.Popen[bytes]:
    """A worker process serving ``app``; its log goes to worker.log in ``cwd``."""
    with (cwd / "worker.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "hookwise", "events", "worker", "--app", app, *extra],
            env=environment,
            cwd=cwd,
            stderr=log,
        )


def stopped(process: subprocess.Popen[bytes], cwd: Path) -> None:
    """SIGTERM: the worker finishes what is in flight and exits 0."""
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0, (cwd / "worker.log").read_text()


def logged_numbers(path: Path) -> list[tuple[int, ...]]:
    """The lines of whole numbers a test listener appended to ``path``."""
    if not path.exists():
        return []
    return [tuple(int(field) for field in line.split()) for line in path.read_text().splitlines() if line]


def wait_for(condition: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s")


def replaced_after_kill(
    start: Callable[[], subprocess.Popen[bytes]], progress: Callable[[], object]
) -> subprocess.Popen[bytes]:
    """Start a worker, SIGKILL it once ``progress()`` holds (mid-delivery), and start another in its place."""
    first = start()
    wait_for(progress)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    return start()


def duplicates(handled: list[int], total: int) -> int:
    """How many deliveries of ``range(total)`` were repeats, once every number was handled at least once."""
    assert set(handled) == set(range(total)), f"missing: {sorted(set(range(total)) - set(handled))[:20]}"
    return len(handled) - total
