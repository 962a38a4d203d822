"""The benchmark script runs and prints rows in the documented shape (figures are never asserted)."""

from __future__ import annotations

import importlib.util
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


def test_events_benchmark_json_rows_have_the_documented_schema() -> None:
    script = SCRIPT.parent / "events.py"
    result = subprocess.run(
        [sys.executable, str(script), "--quick", "--json"], capture_output=True, text=True, timeout=300, check=True
    )
    rows = json.loads(result.stdout)
    assert {tuple(sorted(row)) for row in rows} == {
        ("events_per_s", "listeners", "publish_p50_us", "publish_p99_us", "system", "workers")
    }
    assert {(r["system"], r["listeners"]) for r in rows} == {
        (system, listeners) for system in ("hookwise-sqlite", "sqlite3-loop", "blinker") for listeners in (1, 10)
    }
    assert all(r["events_per_s"] > 0 and r["publish_p50_us"] <= r["publish_p99_us"] for r in rows)
    assert {r["workers"] for r in rows if r["system"] == "hookwise-sqlite"} == {1}


def test_the_call_shapes_benchmark_measures_every_shape_on_both_sides() -> None:
    """``benchmarks/run.py``'s pluggy call shapes: rows for pluggy and compat, each shape beside the plain call."""
    spec = importlib.util.spec_from_file_location("benchmark_run", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.shape_times((1, 5), rounds=1, number=50)
    assert [(row["system"], row["impls"]) for row in rows] == [
        ("pluggy", 1),
        ("compat", 1),
        ("pluggy", 5),
        ("compat", 5),
    ]
    for row in rows:
        assert set(row) == {"impls", "system"} | {f"{shape}_ns" for shape in module.SHAPES} | {
            f"{shape}_x" for shape in module.SHAPES[1:]
        }
        assert all(row[f"{shape}_ns"] > 0 for shape in module.SHAPES)
