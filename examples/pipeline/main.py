"""Run my_project's pipeline on pipeline_app, printing every hook as it runs (Kedro's hook points).

python examples/pipeline/main.py
pip install examples/pipeline/audit_plugin     # a plugin found by its entry point
python examples/pipeline/main.py               # now the plugin's hooks run first
DISABLE_HOOKS_FOR_PLUGINS=pipeline-audit python examples/pipeline/main.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from my_project import settings
from pipeline_app import Pipeline, Session, node


def double(x: int) -> int:
    return x * 2


def scale(doubled: int, factor: int) -> int:
    return doubled * factor


def divide(scaled: int, zero: int) -> float:
    return scaled / zero


def main() -> int:
    session = Session(settings)
    print(f"hooks registered, in run order: {session.registered}")
    print(session.hooks.explain("before_node_run"))

    print("\n== a pipeline run")
    catalog = session.create_catalog({"x": 2, "factor": None})
    result = session.run(
        Pipeline([node(double, "x", "doubled"), node(scale, ["doubled", "factor"], "scaled")]), catalog
    )
    print(f"result: {result}")

    print("\n== a failing node")
    catalog = session.create_catalog({"scaled": 40, "zero": 0})
    try:
        session.run(Pipeline([node(divide, ["scaled", "zero"], "ratio")]), catalog)
    except ZeroDivisionError as error:
        print(f"the pipeline failed: {error!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
