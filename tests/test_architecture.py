"""docs/architecture.md stays the map: its module table lists exactly the modules in src/hookwise."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_module_map_matches_the_tree() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([\w/]+\.py)` \|", text, flags=re.MULTILINE)
    package = ROOT / "src" / "hookwise"
    present = sorted(str(path.relative_to(package)) for path in package.rglob("*.py"))
    assert sorted(listed) == present
    assert len(listed) == len(set(listed))


def test_no_module_is_much_over_six_hundred_lines() -> None:
    package = ROOT / "src" / "hookwise"
    long = {
        str(p.relative_to(package)): n for p in package.rglob("*.py") if (n := len(p.read_text().splitlines())) > 600
    }
    assert long == {}
