"""The command line, run for real in a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hookwise", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_demo_runs_the_todo_app_and_explains_the_order(tmp_path: Path) -> None:
    page = tmp_path / "trace.html"
    result = run("demo", "--html", str(page))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1. ValidationModule.validation_hook: normal band; priority 10; registered 3rd of 3" in out
    assert "auto-tag: patch tags += ['work']" in out
    assert "created with tags ['urgent', 'work']" in out
    assert "OperationVetoed: Only the task's owner can complete it (vetoed by plugin" not in out
    assert "OperationVetoed: Only the task's owner can complete it" in out
    assert "OperationVetoed: Cannot complete: over budget this week" in out
    assert "vetoed=True by 'QuotaModule.quota_hook': plugin 'QuotaModule.quota_hook' raised KeyError" in out
    assert "notification (after): task" in out
    assert "BudgetWarning: plugin 'ReportingModule.report_hook': ReportingModule.report_hook took" in out
    assert "in hook 'todos.before_complete_task', over its budget of 100 ms" in out
    assert "     - ReportingModule.report_hook " in out  # the trace
    assert f"timeline written to {page}" in out
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    # events: the request returns at once, the 200 ms email follows, the failing CRM sync is dead-lettered
    returned = re.search(r"the request returned in ([\d.]+) ms", out)
    later = re.search(r"is done (\d+) ms after the request returned", out)
    assert returned is not None
    assert later is not None
    assert float(returned.group(1)) < 100
    assert int(later.group(1)) >= 190
    assert "crm-sync failed on attempts [1, 2, 3], then became a dead letter" in out
    assert "     email-owner       done=1 retrying=0 dead=0" in out
    assert "dead letter: crm-sync after 3 attempts: ConnectionError: CRM unreachable (attempt 3) (at " in out


def test_demo_is_found_from_any_directory_in_an_editable_install(tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hookwise demo" in result.stdout
    assert (tmp_path / "hookwise-trace.html").is_file()  # the default: in the current directory


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("hookwise ")


def test_no_command_is_a_usage_error() -> None:
    result = run()
    assert result.returncode == 2
    assert "the following arguments are required: COMMAND" in result.stderr


def test_demo_without_its_files_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An install that lost its demo files: a clear message, exit 2."""
    import hookwise
    from hookwise import cli

    fake_install = tmp_path / "site-packages" / "hookwise" / "__init__.py"
    monkeypatch.setattr(hookwise, "__file__", str(fake_install))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo"]) == 2
    assert "hookwise demo: cannot find the demo (hookwise/_demo in a wheel" in capsys.readouterr().err
