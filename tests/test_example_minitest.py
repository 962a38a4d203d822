"""examples/minitest: a pluggy-style host runs unchanged on hookwise.compat.pluggy, and the same on pluggy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "minitest"
HOOKWISE_IMPORT = "from hookwise.compat import pluggy  # the one line a host changes to move from pluggy"


def run_host(source: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    code = f"import sys; sys.path.insert(0, {str(source.parent)!r}); import {source.stem} as host; raise SystemExit(host.main([{str(EXAMPLE / 'sample_tests')!r}, '-v']))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_host_runs_on_hookwise(tmp_path: Path) -> None:
    result = run_host(EXAMPLE / "minitest.py", tmp_path)
    assert result.returncode == 1, result.stderr  # one sample test fails on purpose
    assert result.stdout.splitlines() == [
        "test_arithmetic.py::test_addition PASSED",
        "test_arithmetic.py::test_division_fails FAILED (7 // 2 is 3, not 3.5)",
        "test_arithmetic.py::test_skip_this_one SKIPPED",
        "outcomes: failed=1 passed=1 skipped=1",
        "3 tests run",
    ]


def test_the_same_host_on_pluggy_prints_the_same(tmp_path: Path) -> None:
    source = (EXAMPLE / "minitest.py").read_text(encoding="utf-8")
    assert source.count(HOOKWISE_IMPORT) == 1
    on_pluggy = tmp_path / "minitest_on_pluggy.py"
    on_pluggy.write_text(source.replace(HOOKWISE_IMPORT, "import pluggy"), encoding="utf-8")
    hookwise_run = run_host(EXAMPLE / "minitest.py", tmp_path)
    pluggy_run = run_host(on_pluggy, tmp_path)
    assert (pluggy_run.returncode, pluggy_run.stdout) == (hookwise_run.returncode, hookwise_run.stdout)
