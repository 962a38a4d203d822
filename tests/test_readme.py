"""The README stays true: its events example delivers after publish returns; CI runs its test command.

Every Python block of the README runs and prints what its comments say in tests/test_docs.py.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_readme_events_example_delivers_after_publish_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    _, example = python_blocks(README)
    before, drain = example.split("bus.drain()")
    module = types.ModuleType("readme_events")  # event classes are dataclasses: their module must be importable
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(before, "README.md", "exec"), namespace)
    assert out.getvalue() == ""  # publish returned; no listener ran
    with contextlib.redirect_stdout(out):
        exec(compile("bus.drain()" + drain, "README.md", "exec"), namespace)
    assert out.getvalue() == "emailing ann: t1 is done\n"
    assert drain.startswith("  # emailing ann: t1 is done")


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"^(python3 -m venv .*)$", README, flags=re.MULTILINE)
    assert len(commands) == 2, "the README has exactly two set-up commands"
    demo, tests = commands
    assert demo.endswith("hookwise demo")
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
