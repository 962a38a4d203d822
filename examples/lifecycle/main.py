"""Run the lifecycle examples (Hatchling's build-hook documentation), each in a copy of its project.

python examples/lifecycle/main.py
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hookwise import LifecycleRunner
from hookwise.lifecycle import Field

HERE = Path(__file__).resolve().parent


def show(title: str, runner: LifecycleRunner, target: str, **options: Any) -> None:
    print(f"\n== {title}")
    result = runner.run(target, **options)
    for hook, stage, version in result.calls:
        print(f"   {stage:<10} {hook} ({version})")
    for version, data in result.as_dict()["data"].items():
        print(f"   data of {version}: {json.dumps(data)}")


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        projects = Path(scratch)
        for project in ("order", "switches", "generate_compile", "multistage", "build_data"):
            shutil.copytree(HERE / project, projects / project)

        order = LifecycleRunner("hookwise", projects / "order", environ={})
        show("global hooks first, then the target's, in definition order (wheel)", order, "wheel")
        show("the same project's sdist target", order, "sdist")
        show("hooks-only (initialize, no build, no finalize)", order, "wheel", hooks_only=True)
        show("no hooks at all", order, "wheel", no_hooks=True)

        switches = projects / "switches"
        show("hook-a is off by default", LifecycleRunner("hookwise", switches, environ={}), "wheel")
        enabled = LifecycleRunner("hookwise", switches, environ={"HOOKWISE_HOOK_ENABLE_HOOK_A": "true"})
        show("HOOKWISE_HOOK_ENABLE_HOOK_A=true", enabled, "wheel")

        show(
            "generate, then compile",
            LifecycleRunner("hookwise", projects / "generate_compile", environ={}),
            "wheel",
        )
        show(
            "prebuild, build, postbuild",
            LifecycleRunner("hookwise", projects / "multistage", environ={}),
            "wheel",
        )

        declared = {"wheel": {"pure_python": Field(bool, True, "whether the wheel is pure Python")}}
        data = LifecycleRunner("hookwise", projects / "build_data", environ={}, fields=declared)
        show(
            "Hatchling's build data: reserved fields, a declared field, two versions",
            data,
            "wheel",
            versions=["standard", "editable"],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
