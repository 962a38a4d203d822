"""minitest: a tiny pytest-like test runner written against pluggy's API.

It runs on hookwise by its one pluggy import (the line marked below); the tests
run it on pluggy too, by changing only that line, and compare the output.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hookwise.compat import pluggy  # the one line a host changes to move from pluggy

hookspec = pluggy.HookspecMarker("minitest")
hookimpl = pluggy.HookimplMarker("minitest")


@dataclass
class Item:
    name: str
    function: Any
    outcome: str = "not run"
    error: str = ""


@dataclass
class Config:
    paths: list[str]
    options: dict[str, Any] = field(default_factory=dict[str, Any])


class Specs:
    """minitest's hooks."""

    @hookspec(historic=True)
    def minitest_configure(self, config: Config) -> None:
        """Called once, with the configuration; plugins registered later get it too."""

    @hookspec
    def minitest_collect_file(self, path: Path) -> list[Item]:
        """Return the test items found in a file."""
        raise NotImplementedError

    @hookspec(firstresult=True)
    def minitest_runtest(self, item: Item) -> str:
        """Run one test and return its outcome; the first answer wins."""
        raise NotImplementedError

    @hookspec
    def minitest_report(self, items: list[Item]) -> None:
        """Report the session's results."""


class PythonCollector:
    """Collects ``test_*`` functions from ``test_*.py`` files."""

    @hookimpl
    def minitest_collect_file(self, path: Path) -> list[Item] | None:
        if not path.name.startswith("test_"):
            return None
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return [Item(f"{path.name}::{name}", value) for name, value in vars(module).items() if name.startswith("test_")]


class Runner:
    """Runs a test: passed, or failed with the assertion's message."""

    @hookimpl(trylast=True)
    def minitest_runtest(self, item: Item) -> str:
        try:
            item.function()
        except AssertionError as error:
            item.error = str(error)
            return "failed"
        return "passed"


class SkipMarker:
    """Skips tests whose name says so, before the runner sees them."""

    @hookimpl(tryfirst=True)
    def minitest_runtest(self, item: Item) -> str | None:
        return "skipped" if "skip" in item.name else None


class Timing:
    """An old-style hookwrapper around every test run: counts and times them."""

    def __init__(self) -> None:
        self.runs = 0
        self.seconds = 0.0

    @hookimpl(hookwrapper=True)
    def minitest_runtest(self, item: Item) -> Generator[None, Any, None]:
        start = time.perf_counter()
        outcome = yield
        self.seconds += time.perf_counter() - start
        self.runs += 1
        item.outcome = outcome.get_result()


class Terminal:
    """Prints a line per test and a summary."""

    def __init__(self) -> None:
        self.verbose = False

    @hookimpl
    def minitest_configure(self, config: Config) -> None:
        self.verbose = bool(config.options.get("verbose"))

    @hookimpl
    def minitest_report(self, items: list[Item]) -> None:
        for item in items:
            detail = f" ({item.error})" if item.error and self.verbose else ""
            print(f"{item.name} {item.outcome.upper()}{detail}")
        counts: dict[str, int] = {}
        for item in items:
            counts[item.outcome] = counts.get(item.outcome, 0) + 1
        print("outcomes: " + " ".join(f"{outcome}={n}" for outcome, n in sorted(counts.items())))


def main(argv: list[str]) -> int:
    """Run the tests in the given files or directories; exit 1 if any failed."""
    verbose = "-v" in argv
    paths = [arg for arg in argv if arg != "-v"]
    pm = pluggy.PluginManager("minitest")
    pm.add_hookspecs(Specs)
    config = Config(paths, {"verbose": verbose})
    pm.hook.minitest_configure.call_historic(kwargs={"config": config})
    timing = Timing()
    for plugin in (PythonCollector(), Runner(), SkipMarker(), timing, Terminal()):  # Terminal gets the config late
        pm.register(plugin)
    pm.check_pending()
    files = sorted(p for path in paths for p in (Path(path).glob("*.py") if Path(path).is_dir() else [Path(path)]))
    items = [item for path in files for found in pm.hook.minitest_collect_file(path=path) for item in found]
    for item in items:
        pm.hook.minitest_runtest(item=item)
    pm.hook.minitest_report(items=items)
    print(f"{timing.runs} tests run")
    return 1 if any(item.outcome == "failed" for item in items) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
