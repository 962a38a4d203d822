"""A hook that records when it runs (Hatchling's order examples)."""

from typing import Any

from hookwise import LifecycleHook


class AnnounceHook(LifecycleHook):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        build_data.setdefault("initialized", []).append(self.name)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        build_data.setdefault("finalized", []).append(self.name)
