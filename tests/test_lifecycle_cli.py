"""`hookwise run` and `hookwise inspect --project`, run for real in a subprocess on Hatchling's order example."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "lifecycle"


def hookwise(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HOOKWISE_", "MYTOOL_"))}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "hookwise", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


@pytest.fixture
def order(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "order", tmp_path / "order")
    return tmp_path / "order"


def test_run_json_is_exactly_the_documented_shape(order: Path) -> None:
    result = hookwise("run", "--project", str(order), "--target", "wheel", "--json")
    assert result.returncode == 0, result.stderr
    hooks = ["hook3", "hook1", "hook2"]
    assert json.loads(result.stdout) == {
        "target": "wheel",
        "calls": [
            {"hook": h, "stage": stage, "version": "standard"} for stage in ("initialize", "finalize") for h in hooks
        ],
        "data": {
            "standard": {
                "artifacts": [],
                "force_include": {},
                "build_hooks": hooks,
                "initialized": hooks,
                "finalized": hooks,
            }
        },
    }


def test_run_prints_the_calls_and_the_data(order: Path) -> None:
    result = hookwise(
        "run", "--project", str(order), "--target", "sdist", "--version", "1.0", "--version", "2.0", "--hooks-only"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        "initialize hook3  (version 1.0)",
        "initialize hook1  (version 1.0)",
        "initialize sdist-hook  (version 1.0)",
        "initialize hook3  (version 2.0)",
        "initialize hook1  (version 2.0)",
        "initialize sdist-hook  (version 2.0)",
    ]
    assert '  build_hooks = ["hook3", "hook1", "sdist-hook"]' in lines


def test_run_with_clean_and_environment_switches(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "switches", tmp_path / "switches")
    off = json.loads(hookwise("run", "--project", str(tmp_path / "switches"), "--target", "wheel", "--json").stdout)
    assert off["data"]["standard"]["build_hooks"] == ["hook-b"]
    on = hookwise(
        "run",
        "--project",
        str(tmp_path / "switches"),
        "--target",
        "wheel",
        "--clean",
        "--json",
        env={"HOOKWISE_HOOK_ENABLE_HOOK_A": "true"},
    )
    data = json.loads(on.stdout)
    assert data["calls"][:2] == [
        {"hook": "hook-a", "stage": "clean", "version": "standard"},
        {"hook": "hook-b", "stage": "clean", "version": "standard"},
    ]
    assert data["data"]["standard"]["build_hooks"] == ["hook-a", "hook-b"]


def test_another_hosts_configuration_with_app_and_env_prefix(tmp_path: Path) -> None:
    root = tmp_path / "other"
    root.mkdir()
    shutil.copytree(EXAMPLES / "order" / "hooks", root / "hooks")
    (root / "pyproject.toml").write_text(
        '[tool.mytool.hooks.mine]\npath = "hooks/announce.py"\nenable-by-default = false\n', encoding="utf-8"
    )
    result = hookwise(
        "run",
        "--project",
        str(root),
        "--target",
        "x",
        "--app",
        "mytool",
        "--env-prefix",
        "MT",
        "--json",
        env={"MT_HOOK_ENABLE_MINE": "on"},
    )
    assert json.loads(result.stdout)["data"]["standard"]["build_hooks"] == ["mine"]


def test_errors_go_to_stderr_with_a_non_zero_exit(tmp_path: Path) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.hookwise.hooks.h]\npath = "h.py"\nenable-by-default = "yes"\n', encoding="utf-8"
    )
    result = hookwise("run", "--project", str(root), "--target", "wheel")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("hookwise run: ")
    assert (
        "enable-by-default must be true or false (a TOML boolean), not 'yes'; write enable-by-default = yes"
        in result.stderr
    )


def test_inspect_project_shows_each_targets_hooks_enabled_or_not_and_why(tmp_path: Path, order: Path) -> None:
    result = hookwise("inspect", "--project", str(order))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2:] == [
        "target wheel:",
        "  1. hook3 [global, hooks/announce.py] enabled : enable-by-default = true (default)",
        "  2. hook1 [global, hooks/announce.py] enabled : enable-by-default = true (default)",
        "  3. hook2 [target, hooks/announce.py] enabled : enable-by-default = true (default)",
        "",
        "target sdist:",
        "  1. hook3 [global, hooks/announce.py] enabled : enable-by-default = true (default)",
        "  2. hook1 [global, hooks/announce.py] enabled : enable-by-default = true (default)",
        "  3. sdist-hook [target, hooks/announce.py] enabled : enable-by-default = true (default)",
    ]
    shutil.copytree(EXAMPLES / "switches", tmp_path / "switches")
    switched = hookwise(
        "inspect",
        "--project",
        str(tmp_path / "switches"),
        "--lifecycle-target",
        "wheel",
        "--json",
        env={"HOOKWISE_HOOK_ENABLE_HOOK_A": "1"},
    )
    plans = json.loads(switched.stdout)["targets"]["wheel"]
    assert plans[0] == {
        "name": "hook-a",
        "scope": "global",
        "enabled": True,
        "reason": "HOOKWISE_HOOK_ENABLE_HOOK_A=1",
        "path": "hooks/announce.py",
    }


def test_inspect_needs_a_target_or_a_project() -> None:
    result = hookwise("inspect")
    assert result.returncode == 2
    assert "give a TARGET (module:attribute) or --project DIR" in result.stderr
