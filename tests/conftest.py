"""Shared fixtures: real installed distributions for entry-point tests."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

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
