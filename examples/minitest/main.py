"""Run minitest, a pluggy-style host, on hookwise.compat.pluggy over the sample tests.

python examples/minitest/main.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import minitest  # noqa: E402 - after the path set-up above


def main() -> int:
    code = minitest.main([str(HERE / "sample_tests"), "-v"])
    print(f"exit code {code} (a test failed on purpose)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
