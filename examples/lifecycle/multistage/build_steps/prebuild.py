# build_steps/prebuild.py (Hatchling's example)
# pyright: basic
# (Hatchling's documented code as written: its `build_data['artifacts'] = []` pattern is untyped)
import os
from typing import Any

from hookwise import LifecycleHook


class PreBuildHook(LifecycleHook):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Prepare build environment"""
        # Create build directories
        dirs = {
            "generated": os.path.join(self.root, "generated"),
            "built": os.path.join(self.root, "built"),
            "artifacts": os.path.join(self.root, "artifacts"),
        }

        for dir_path in dirs.values():
            os.makedirs(dir_path, exist_ok=True)

        # Share directory paths with other hooks
        build_data["build_dirs"] = dirs
        build_data["build_status"] = {"prebuild": True}
