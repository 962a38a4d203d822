"""A session: the hook manager built from a project's settings, the context, the catalog, a run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from hookwise import HookManager, register_project_hooks
from pipeline_app.hooks import PipelineHooks
from pipeline_app.runner import DataCatalog, Pipeline, run_pipeline

ENTRY_POINT_GROUP = "pipeline_app.hooks"
"""Installed plugins advertise their hooks under this entry-point group."""


@dataclass
class Context:
    project_name: str
    params: dict[str, Any]


class Session:
    """Kedro's model: LIFO hooks; the plugins auto-discovered first, then the settings' HOOKS."""

    def __init__(self, settings: ModuleType) -> None:
        self.id = uuid.uuid4().hex[:8]
        self.hooks = HookManager(PipelineHooks, order="lifo")
        self.registered = register_project_hooks(
            self.hooks,
            getattr(settings, "HOOKS", ()),
            entry_point_group=ENTRY_POINT_GROUP,
            disable=getattr(settings, "DISABLE_HOOKS_FOR_PLUGINS", ()),
        )
        self.context = Context(getattr(settings, "PROJECT_NAME", "project"), getattr(settings, "PARAMS", {}))
        self.hooks.call.after_context_created(context=self.context)

    def create_catalog(self, conf_catalog: dict[str, Any]) -> DataCatalog:
        catalog = DataCatalog(dict(conf_catalog))
        self.hooks.call.after_catalog_created(
            catalog=catalog, conf_catalog=conf_catalog, conf_creds={}, save_version=self.id, load_versions={}
        )
        return catalog

    def run(self, pipeline: Pipeline, catalog: DataCatalog) -> dict[str, Any]:
        run_params = {"session_id": self.id, "project": self.context.project_name}
        return run_pipeline(self.hooks, pipeline, catalog, run_params, self.id)
