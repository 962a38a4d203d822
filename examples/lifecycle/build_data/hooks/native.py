"""Adds a compiled library: an artifact pattern, and a forced inclusion at the root (Hatchling's build data)."""

from typing import Any

from hookwise import LifecycleHook


class NativeHook(LifecycleHook):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        library = self.config["library"]
        build_data["artifacts"].append("*.so")
        # src/lib.so would never match a package under src/foo: force it to the root instead.
        build_data["force_include"][f"src/{library}"] = library
        if "pure_python" in build_data:  # a field the host declares for some targets only
            build_data["pure_python"] = False
        build_data["my_state"] = {"version": version, "initialized": True}

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        # Retrieve information from initialize (data persists across hook methods)
        my_state = build_data.get("my_state", {})
        if my_state.get("initialized"):
            build_data["finalized_artifact"] = artifact_path
