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


# -- every failure is one line and exit 2; nothing that did not complete reports success --------------


def project_with(tmp_path: Path, pyproject: str | bytes, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    target = root / "pyproject.toml"
    if isinstance(pyproject, bytes):
        target.write_bytes(pyproject)
    else:
        target.write_text(pyproject, encoding="utf-8")
    for path, source in (files or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(source, encoding="utf-8")
    return root


def failure(*args: str) -> str:
    result = hookwise(*args)
    assert (result.returncode, result.stdout) == (2, ""), result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # one line, no traceback
    return lines[0]


@pytest.mark.parametrize("command", ["run", "inspect"])
def test_a_project_that_is_not_a_directory_is_an_error(tmp_path: Path, command: str) -> None:
    extra = ["--target", "wheel"] if command == "run" else []
    missing = failure(command, "--project", str(tmp_path / "nowhere"), *extra)
    assert missing == (
        f"hookwise {command}: --project {tmp_path / 'nowhere'} does not exist; give the directory that holds "
        "the project's pyproject.toml"
    )
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    assert "is a file, not a directory" in failure(command, "--project", str(tmp_path / "a-file"), *extra)
    (tmp_path / "empty").mkdir()
    assert "there is no pyproject.toml in it" in failure(command, "--project", str(tmp_path / "empty"), *extra)


def test_an_unknown_target_is_an_error(order: Path) -> None:
    assert failure("run", "--project", str(order), "--target", "whel") == (
        "hookwise run: unknown target 'whel'; did you mean 'wheel'?: the project configures wheel, sdist "
        "([tool.hookwise.targets.<name>])"
    )


ANNOUNCE = "from hookwise import LifecycleHook\nclass Hook(LifecycleHook):\n    pass\n"


@pytest.mark.parametrize(
    ("pyproject", "files", "message"),
    [
        ("[tool]\nhookwise = 5\n", {}, "[tool.hookwise] must be a table, not 5"),
        ("tool = 'x'\n", {}, "[tool] must be a table, not 'x'"),
        (
            b"[tool.hookwise.hooks.h]\npath = '\xff'\n",
            {},
            "not UTF-8 text (byte 32: invalid start byte); TOML files are UTF-8",
        ),
        ('[tool.hookwise.hooks.h]\npath = "a\\u0000b"\n', {}, "hook 'h': path 'a\\x00b' contains a NUL character"),
        (f'[tool.hookwise.hooks.h]\npath = "{"a" * 5000}"\n', {}, "is 5000 characters long"),
        (
            '[tool.hookwise.hooks.h]\npath = "h.py"\n',
            {"h.py": "import sys\nsys.exit(0)\n"},
            "called sys.exit(0): SystemExit: 0",
        ),
        (
            '[tool.hookwise.hooks.h]\npath = "h.py"\n',
            {"h.py": ANNOUNCE + "def get_hook():\n    raise KeyError('nope')\n"},
            "hook 'h': get_hook() in",
        ),
        (
            '[tool.hookwise.hooks.h]\npath = "h.py"\n',
            {"h.py": ANNOUNCE + "    def __init__(self, *a, **k):\n        raise ValueError('no')\n"},
            "hook 'h': creating Hook raised ValueError: no",
        ),
        (
            '[tool.hookwise.hooks.h]\npath = "h.py"\n',
            {"h.py": ANNOUNCE + "    def initialize(self, version, data):\n        raise ValueError('broken')\n"},
            "hook 'h' raised in initialize (version standard): ValueError: broken",
        ),
        (
            '[tool.hookwise.hooks.h]\npath = "h.py"\n',
            {"h.py": ANNOUNCE + "    def initialize(self, version, data):\n        import sys\n        sys.exit(0)\n"},
            "hook 'h' called sys.exit() in initialize (version standard): SystemExit: 0",
        ),
        (
            '[tool.hookwise.hooks.h]\npath = "h.py"\n',
            {"h.py": ANNOUNCE + "    def initialize(self, version, data):\n        data[5] = 1\n"},
            "hook 'h' in initialize: build data field 5 is a int; build data field names are str",
        ),
        (
            '[tool.hookwise.hooks.h]\npath = "h.py"\n[tool.hookwise.hooks.later]\npath = "later.py"\n',
            {
                "h.py": ANNOUNCE + "    def initialize(self, version, data):\n        data['tags'] = {'a'}\n",
                "later.py": ANNOUNCE.replace("Hook(", "Later("),
            },
            "hook 'h' in initialize: build data field 'tags' holds {'a'} (set) at tags; fields hooks add hold JSON",
        ),
        (
            '[tool.hookwise.hooks.hook-a]\npath = "h.py"\n[tool.hookwise.hooks."hook.a"]\npath = "h.py"\n',
            {"h.py": ANNOUNCE},
            "hooks 'hook-a' and 'hook.a' would both be switched by HOOKWISE_HOOK_ENABLE_HOOK_A",
        ),
    ],
)
def test_bad_lifecycle_input_is_one_line_and_exit_2(
    tmp_path: Path, pyproject: str | bytes, files: dict[str, str], message: str
) -> None:
    root = project_with(tmp_path, pyproject, files)
    line = failure("run", "--project", str(root), "--target", "wheel", "--json")
    assert message in json.loads(line)["message"]
    assert failure("run", "--project", str(root), "--target", "wheel").startswith("hookwise run: ")


def test_a_hook_that_empties_an_earlier_versions_artifacts_is_caught(tmp_path: Path) -> None:
    keeper = (
        "from hookwise import LifecycleHook\n"
        "class Keeper(LifecycleHook):\n"
        "    saved = []\n"
        "    def initialize(self, version, data):\n"
        "        data['artifacts'].append(version + '/*')\n"
        "        Keeper.saved.append(data['artifacts'])\n"
        "        if len(Keeper.saved) == 2:\n"
        "            Keeper.saved[0].clear()\n"
    )
    root = project_with(tmp_path, '[tool.hookwise.hooks.keeper]\npath = "keeper.py"\n', {"keeper.py": keeper})
    line = failure("run", "--project", str(root), "--target", "wheel", "--version", "1", "--version", "2")
    assert line == (
        "hookwise run: hook 'keeper' in initialize: build data field 'artifacts' of version '1' changed after that "
        "version's run ended (from ['1/*'] to []); a finished version's data is final"
    )


def test_inspect_and_explain_errors_are_one_line_and_json_under_json(tmp_path: Path) -> None:
    assert failure("inspect", "json:dumps") == (
        "hookwise inspect: target 'json:dumps': calling json.dumps raised TypeError: dumps() missing 1 required "
        "positional argument: 'obj'"
    )
    report = json.loads(failure("explain", "json:dumps", "h", "--json"))
    assert report["command"] == "explain"
    assert report["error"] == "TargetError"
    assert report["message"].startswith("target 'json:dumps': calling json.dumps raised TypeError")


def test_demo_into_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "x.html"
    assert failure("demo", "--html", str(target)) == (
        f"hookwise demo: cannot write the timeline to {target}: {target.parent} is not a directory"
    )
