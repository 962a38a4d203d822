"""pluggy 1.6.0's own test suite passes with ``import pluggy`` answered by hookwise.compat.pluggy.

The suite comes from pluggy's sdist on PyPI; the stand-in ``pluggy`` package is the
one ``benchmarks/hosts.py`` uses for pytest's and Kedro's suites.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def stand_in(directory: Path) -> Path:
    """A directory holding the ``pluggy`` package that is hookwise.compat.pluggy."""
    shim = runpy.run_path(str(ROOT / "benchmarks" / "hosts.py"))["SHIM"]
    package = directory / "shim" / "pluggy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(shim)
    return package.parent


@pytest.fixture(scope="module")
def pluggy_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("pluggy-sdist")
    download = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*download, "pluggy==1.6.0", "-d", str(where)], check=True, timeout=300)
    with tarfile.open(where / "pluggy-1.6.0.tar.gz") as archive:
        archive.extractall(where, filter="data")
    return where / "pluggy-1.6.0"


def test_pluggys_own_tests_pass_on_hookwise(pluggy_source: Path, tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(stand_in(tmp_path))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "testing"],
        cwd=pluggy_source,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pluggy, hookwise.compat.pluggy as c; print(pluggy.PluginManager is c.PluginManager)",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip() == "True"  # the suite ran against hookwise, not an installed pluggy
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
    assert "failed" not in done.stdout
