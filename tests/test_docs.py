"""Every Python block of README.md and docs/ runs as written, and prints what it says it prints.

A block runs on its own in a fresh module, in a temporary working directory
(blocks that write files write them there), unless the line before its fence
is ``<!-- continues -->``: then it runs in the namespace of the block before
it, as a reader who typed both would. A line ``print(...)  # text`` promises
that the block prints ``text`` there; a block's printed lines must be exactly
the ones it promises, in order (a block that promises nothing may print
anything). Blocks fenced as anything else (``text``, ``toml``, ``console``) are
not run.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CONTINUES = "<!-- continues -->"


class Block:
    def __init__(self, page: Path, number: int, source: str, *, continues: bool) -> None:
        self.page = page
        self.number = number
        self.source = source
        self.continues = continues

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)} block {self.number}"

    @property
    def promised(self) -> list[str]:
        """``print(x)  # text`` promises ``text``; ``print(x)  # ...:`` promises the comment lines below it."""
        promised: list[str] = []
        lines = self.source.splitlines()
        for index, line in enumerate(lines):
            if not line.lstrip().startswith("print(") or "  # " not in line:
                continue
            comment = line.split("  # ", 1)[1]
            if not comment.endswith(":"):
                promised.append(comment)
                continue
            indent = line[: len(line) - len(line.lstrip())]
            for below in lines[index + 1 :]:
                if not below.startswith(indent + "# "):
                    break
                promised.append(below[len(indent) + 2 :])
        return promised


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for number, match in enumerate(re.finditer(r"(?m)^```python\n(.*?)^```", text, flags=re.DOTALL), start=1):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        found.append(Block(page, number, match.group(1), continues=before.strip() == CONTINUES))
    return found


# The blocks of a page that run together: each block with the blocks it continues.
RUNS = [
    page_blocks[start : index + 1]
    for page_blocks in (blocks(page) for page in PAGES)
    for index in range(len(page_blocks))
    for start in [max((i for i in range(index + 1) if not page_blocks[i].continues), default=0)]
]


@pytest.mark.parametrize("run", RUNS, ids=[run[-1].where for run in RUNS])
def test_the_block_runs_as_written(
    run: list[Block], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    name = re.sub(r"\W", "_", run[-1].where)
    module = types.ModuleType(name)  # dataclasses and pickles want their module importable
    monkeypatch.setitem(sys.modules, name, module)
    printed = ""
    for block in run:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block.source, block.where, "exec"), module.__dict__)  # the docs' own code
        printed = out.getvalue()
    block = run[-1]
    if block.promised:
        assert printed.splitlines() == block.promised, f"{block.where} printed other lines than its comments say"
    capsys.readouterr()


def test_every_page_with_python_has_its_blocks_collected() -> None:
    counted = {page.name: len(blocks(page)) for page in PAGES}
    assert counted["README.md"] == 2
    assert counted["guide.md"] >= 7
    assert counted["events.md"] == 2
    assert all(block.promised for block in blocks(ROOT / "docs" / "events.md"))
    assert sum(counted.values()) == len(RUNS)


def test_the_site_lists_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    in_nav = set(re.findall(r"^  - [^:]+: (\S+\.md)$", config, flags=re.MULTILINE))
    assert in_nav == {page.name for page in (ROOT / "docs").glob("*.md")}
