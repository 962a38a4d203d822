"""pipeline-audit: a plugin for pipeline_app, registered by its ``pipeline_app.hooks`` entry point."""

from __future__ import annotations

from typing import Any

from hookwise import hookimpl


class AuditHooks:
    @hookimpl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        print(f"audit.before_pipeline_run: session {run_params['session_id']}")

    @hookimpl
    def before_node_run(self, node: Any) -> None:
        print(f"audit.before_node_run: {node.name}")

    @hookimpl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        print(f"audit.after_dataset_saved: {dataset_name}={data!r}")


hooks = AuditHooks()
