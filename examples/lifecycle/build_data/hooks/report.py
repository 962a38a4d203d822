"""Reads what the other hooks left: Hatchling's "Conditional Logic Based on Hook Presence"."""

from typing import Any

from hookwise import LifecycleHook


class ReportHook(LifecycleHook):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        hooks = build_data["build_hooks"]
        build_data["report"] = {
            "hooks": list(hooks),
            "native_ran_first": hooks.index("native") < hooks.index(self.name),
            "artifacts_seen": list(build_data["artifacts"]),
        }
