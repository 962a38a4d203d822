# build_steps/build.py (Hatchling's example)
# pyright: basic
# (Hatchling's documented code as written: its `build_data['artifacts'] = []` pattern is untyped)
from typing import Any

from hookwise import LifecycleHook


class BuildHook(LifecycleHook):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Execute build steps"""
        # Get directories from prebuild hook
        build_dirs = build_data.get("build_dirs", {})

        if not build_dirs:
            raise RuntimeError("Prebuild hook must run first")

        # Build in generated directory
        gen_dir = build_dirs["generated"]
        self.run_build(gen_dir, version)

        # Update status
        status = build_data.get("build_status", {})
        status["build"] = True
        build_data["build_status"] = status

        # Add generated files to artifacts
        if "artifacts" not in build_data:
            build_data["artifacts"] = []
        build_data["artifacts"].append("generated/**/*")

    def run_build(self, output_dir: str, version: str) -> None:
        """Hypothetical build process"""
