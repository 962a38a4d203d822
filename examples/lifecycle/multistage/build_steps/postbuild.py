# build_steps/postbuild.py (Hatchling's example)
# pyright: basic
# (Hatchling's documented code as written: its `build_data['artifacts'] = []` pattern is untyped)
from typing import Any

from hookwise import LifecycleHook


class PostBuildHook(LifecycleHook):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Finalize build artifacts"""
        # Verify previous hooks ran
        status = build_data.get("build_status", {})

        if not status.get("prebuild") or not status.get("build"):
            raise RuntimeError("Previous build hooks must complete first")

        # Copy final artifacts
        build_dirs = build_data["build_dirs"]
        built_dir = build_dirs["built"]
        artifacts_dir = build_dirs["artifacts"]

        self.copy_artifacts(built_dir, artifacts_dir)

        # Include final artifacts
        if "artifacts" not in build_data:
            build_data["artifacts"] = []
        build_data["artifacts"].append("artifacts/**/*")

        print(f"✓ Build complete for version {version}")

    def copy_artifacts(self, src: str, dst: str) -> None:
        """Copy build artifacts to final location"""
