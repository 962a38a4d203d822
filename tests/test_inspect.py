"""`hookwise inspect` and `hookwise explain`, run for real in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import write_distribution

HOST = '''
from hookwise import HookManager, hookimpl, hookspec


class PipelineHooks:
    @hookspec
    def before_node_run(self, node: str, inputs: dict) -> None:
        """Before a node runs."""

    @hookspec(kind="intercept")
    def validate(self, node: str) -> None: ...


class Timing:
    @hookimpl(tryfirst=True)
    def before_node_run(self, node):
        return None


class Audit:
    @hookimpl(priority=5, before="Timing")
    def before_node_run(self):
        return None


manager = HookManager(PipelineHooks)
manager.register(Timing())
manager.register(Audit())
manager.block("legacy")


def make_manager():
    return manager


not_a_manager = 42
'''


def run(tmp_path: Path, *args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "host.py").write_text(HOST, encoding="utf-8")
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-m", "hookwise", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_inspect_lists_hooks_and_implementations_in_effective_order(tmp_path: Path) -> None:
    result = run(tmp_path, "inspect", "host:manager")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("2 hooks, 2 plugins (FIFO order)")
    assert "before_node_run(node, inputs)  [collect, policy raise]\n    Before a node runs." in out
    assert "  1. Audit (Audit.before_node_run): priority 5, before=Timing\n       from code" in out
    assert "  2. Timing (Timing.before_node_run): priority 0, tryfirst" in out
    assert "validate(node)  [intercept, policy veto]\n    (no implementations)" in out
    assert "blocked: legacy" in out
    assert "hook 'validate': name hooks <before|after>_<noun>_<past participle>" in out


def test_inspect_json(tmp_path: Path) -> None:
    result = run(tmp_path, "inspect", "host:make_manager", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [h["name"] for h in data["hooks"]] == ["before_node_run", "validate"]
    first = data["hooks"][0]["implementations"][0]
    assert first == {
        "position": 1,
        "plugin": "Audit",
        "function": "Audit.before_node_run",
        "source": "code",
        "priority": 5,
        "tryfirst": False,
        "trylast": False,
        "wrapper": False,
        "before": ["Timing"],
        "after": [],
    }
    assert data["blocked"] == ["legacy"]
    assert data["plugins"] == [
        {"name": "Timing", "source": "code", "hooks": ["before_node_run"]},
        {"name": "Audit", "source": "code", "hooks": ["before_node_run"]},
    ]


def test_explain_prints_one_hooks_order_with_reasons(tmp_path: Path) -> None:
    result = run(tmp_path, "explain", "host:manager", "before_node_run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == (
        "  1. Audit (Audit.before_node_run): normal band; priority 5; registered 2nd of 2; "
        "declares before='Timing' (applies); moved from position 2 by before/after constraints"
    )
    data = json.loads(run(tmp_path, "explain", "host:manager", "before_node_run", "--json").stdout)
    assert [e["plugin"] for e in data["entries"]] == ["Audit", "Timing"]


def test_inspect_a_spec_class_with_the_plugins_of_an_entry_point_group(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    plugin = "from hookwise import hookimpl\nclass H:\n    @hookimpl\n    def before_node_run(self, node):\n        return None\nhooks = H()\n"
    write_distribution(
        site,
        "node-timer",
        "0.3",
        modules={"node_timer": plugin},
        entry_points={"pipe.hooks": {"timer": "node_timer:hooks"}},
    )
    result = run(tmp_path, "inspect", "host:PipelineHooks", "--entry-points", "pipe.hooks", pythonpath=site)
    assert result.returncode == 0, result.stderr
    assert (
        "  1. timer (H.before_node_run): priority 0\n       from entry point timer = node_timer:hooks [pipe.hooks] from node-timer 0.3"
        in result.stdout
    )


def test_bad_targets_are_clear_errors(tmp_path: Path) -> None:
    cases = {
        "host": "hookwise inspect: target 'host' must be module:attribute, such as myapp.hooks:manager",
        "nohost:manager": "hookwise inspect: target 'nohost:manager': cannot import module 'nohost': ModuleNotFoundError: No module named 'nohost'",
        "host:missing": "hookwise inspect: target 'host:missing': 'host' has no attribute 'missing'",
        "host:not_a_manager": "hookwise inspect: target 'host:not_a_manager' is 42 (type int), not a HookManager, a function returning one, or a spec class",
    }
    for target, message in cases.items():
        result = run(tmp_path, "inspect", target)
        assert (result.returncode, result.stderr.strip()) == (2, message)


def test_explain_of_an_unknown_hook_suggests_one(tmp_path: Path) -> None:
    result = run(tmp_path, "explain", "host:manager", "before_node_rn")
    assert result.returncode == 2
    assert "no hook named 'before_node_rn' is declared; did you mean 'before_node_run'?" in result.stderr
