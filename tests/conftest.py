"""Shared fixtures: real installed distributions for entry-point tests."""

from __future__ import annotations

import importlib
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]  # runs a real pytest session to test hookwise's pytest plugin

MakeDistribution = Callable[..., Path]


def write_distribution(
    root: Path, name: str, version: str, *, modules: dict[str, str], entry_points: dict[str, dict[str, str]]
) -> Path:
    """Write a real installed distribution (modules and a .dist-info) into ``root``, a sys.path entry."""
    for module, source in modules.items():
        (root / f"{module}.py").write_text(source, encoding="utf-8")
    dist_info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    groups = "".join(
        f"[{group}]\n" + "".join(f"{ep} = {value}\n" for ep, value in eps.items()) + "\n"
        for group, eps in entry_points.items()
    )
    (dist_info / "entry_points.txt").write_text(groups, encoding="utf-8")
    (dist_info / "RECORD").write_text("", encoding="utf-8")
    return dist_info


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh directory on sys.path, where tests install distributions; their modules are forgotten after."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)
    yield root
    for module in set(sys.modules) - before:
        if getattr(sys.modules[module], "__file__", "") and str(root) in str(sys.modules[module].__file__):
            del sys.modules[module]
    importlib.invalidate_caches()


@pytest.fixture
def make_distribution(site: Path) -> MakeDistribution:
    def make(
        name: str, version: str = "1.0", *, modules: dict[str, str], entry_points: dict[str, dict[str, str]]
    ) -> Path:
        return write_distribution(site, name, version, modules=modules, entry_points=entry_points)

    return make


# -- a real redis-server on a loopback port ---------------------------------------------------------------


class RedisServer:
    """A ``redis-server`` process of this test run: on a free loopback port, in a directory of its own,
    with every write appended to its log and synced (``appendfsync always``), so a restart keeps what
    it acknowledged."""

    def __init__(self, directory: Path) -> None:
        import shutil
        import socket

        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail(
                "redis-server is not installed: .ci/run installs Debian's redis-server package "
                "(apt-get install redis-server); the Redis tests need a real server"
            )
        self.executable = executable
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        import socket
        import time

        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "dir": str(self.directory),
            "appendonly": "yes",
            "appendfsync": "always",
            "save": "",
            "daemonize": "no",
        }
        arguments = [item for name, value in options.items() for item in (f"--{name}", value)]
        self.process = subprocess.Popen(
            [self.executable, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        pytest.fail(f"redis-server did not start on port {self.port} within 20 s")

    def stop(self, how: int = signal.SIGTERM) -> None:
        if self.process is not None:
            self.process.send_signal(how)
            self.process.wait(30)
            self.process = None

    def flush(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url)
        client.flushall()
        client.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The shared server's URL, emptied for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of this test's own, to stop, kill and restart."""
    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()


_CONNECTIONS: list[sqlite3.Connection] = []


def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    """``sqlite3.connect`` for a test's own connections (an application's): closed when the test ends.

    ``with connection:`` commits but never closes, and Python 3.13 warns about every
    connection that is collected open; hookwise's stores close their own.
    """
    connection: sqlite3.Connection = sqlite3.connect(*args, **kwargs)
    _CONNECTIONS.append(connection)
    return connection


@pytest.fixture(autouse=True)
def _close_test_connections() -> Iterator[None]:
    yield
    while _CONNECTIONS:
        _CONNECTIONS.pop().close()
