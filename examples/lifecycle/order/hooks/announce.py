"""A hook that records when it runs (seed 003's examples are about the order)."""

from typing import Any

from hookwise import LifecycleHook


class AnnounceHook(LifecycleHook):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        build_data.setdefault("initialized", []).append(self.name)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        build_data.setdefault("finalized", []).append(self.name)
