"""The benchmark script runs and prints rows in the documented shape (figures are never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def test_benchmark_json_rows_cover_every_workload_and_system() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json"], capture_output=True, text=True, timeout=300, check=True
    )
    rows = json.loads(result.stdout)
    assert {tuple(sorted(row)) for row in rows} == {
        ("impls", "ns_per_call", "ratio_vs_loop", "system", "workload", "wrappers")
    }
    seen = {(r["workload"], r["system"], r["impls"], r["wrappers"]) for r in rows}
    for impls in (1, 10, 100):
        for wrappers in (0, 1, 5):
            assert ("collect", "hookwise", impls, wrappers) in seen
            assert ("collect", "pluggy", impls, wrappers) in seen
        assert ("collect", "blinker", impls, 0) in seen
        assert ("first", "pluggy", impls, 0) in seen
        assert ("intercept", "hookwise", impls, 0) in seen
    assert all(r["ratio_vs_loop"] == 1.0 for r in rows if r["system"] == "loop")
    assert all(r["ns_per_call"] > 0 for r in rows)
