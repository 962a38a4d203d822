"""docs/events.md stays true: each Python block runs on its own and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
import sys
import types
from pathlib import Path

import pytest

PAGE = (Path(__file__).resolve().parents[1] / "docs" / "events.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE, flags=re.DOTALL)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_each_block_runs_and_prints_what_it_promises(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    block = BLOCKS[index]
    promised = [line.split("  # ", 1)[1] for line in block.splitlines() if line.startswith("print(") and "  # " in line]
    module = types.ModuleType(f"events_doc_{index}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, f"docs/events.md block {index + 1}", "exec"), module.__dict__)
    assert out.getvalue().splitlines() == promised
    assert promised


def test_the_page_has_its_examples() -> None:
    assert len(BLOCKS) == 2
