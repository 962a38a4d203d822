"""The package as users get it: a wheel built from the checkout, installed in a fresh environment."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(out)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("hookwise-*.whl")
    return built


def test_the_wheel_declares_its_license_classifiers_and_no_tool_in_what_users_install(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    classifiers = set(metadata.get_all("Classifier") or [])
    assert {"Typing :: Typed", "Framework :: Pytest", "Programming Language :: Python :: 3 :: Only"} <= classifiers
    assert "hookwise/py.typed" in names
    assert "hookwise/_demo/main.py" in names
    plain = [r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert plain == []  # no runtime dependency
    extras = set(metadata.get_all("Provides-Extra") or [])
    assert extras == {"otel", "redis", "dev"}  # test tools and the compared systems only under dev


def test_hookwise_demo_runs_from_an_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    environment = tmp_path / "env"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"  # not a checkout: nothing of the repository around
    elsewhere.mkdir()
    done = subprocess.run(
        [str(environment / "bin" / "hookwise"), "demo", "--html", "trace.html"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (elsewhere / "trace.html").read_text().lower().startswith("<!doctype html>")
    assert "hookwise" in done.stdout
