"""The project's hook implementations (a Kedro project's ``src/<package_name>/hooks.py``)."""

from __future__ import annotations

import logging
from typing import Any

from hookwise import hookimpl
from pipeline_app import DataCatalog, Node


class ProjectHooks:
    @hookimpl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        print(f"ProjectHooks.before_pipeline_run: project {run_params['project']}")

    @hookimpl
    def before_node_run(self, node: Node, inputs: dict[str, Any]) -> dict[str, Any] | None:
        print(f"ProjectHooks.before_node_run: {node.name}")
        if node.name == "scale" and inputs.get("factor") is None:
            return {"factor": 10}  # replace a missing input
        return None

    @hookimpl
    def on_node_error(self, error: Exception, node: Node) -> None:
        print(f"ProjectHooks.on_node_error: {node.name} raised {type(error).__name__}")

    @hookimpl
    def after_pipeline_run(self, run_result: dict[str, Any]) -> None:
        print(f"ProjectHooks.after_pipeline_run: {run_result}")


class DataCatalogHooks:
    @property
    def _logger(self) -> logging.Logger:
        return logging.getLogger(self.__class__.__name__)

    @hookimpl
    def after_catalog_created(self, catalog: DataCatalog) -> None:
        self._logger.info(catalog.list())
        print(f"DataCatalogHooks.after_catalog_created: {catalog.list()}")

    @hookimpl
    def before_node_run(self, node: Node) -> None:
        print(f"DataCatalogHooks.before_node_run: {node.name}")
