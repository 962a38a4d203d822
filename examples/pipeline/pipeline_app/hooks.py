"""The framework's hook specifications: Kedro's execution points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hookwise import hookspec

if TYPE_CHECKING:
    from pipeline_app.runner import DataCatalog, Node, Pipeline
    from pipeline_app.session import Context


class PipelineHooks:
    @hookspec(kind="observe")
    def after_context_created(self, context: Context) -> None:
        """After the project's context is created."""

    @hookspec(kind="observe")
    def after_catalog_created(
        self,
        catalog: DataCatalog,
        conf_catalog: dict[str, Any],
        conf_creds: dict[str, Any],
        save_version: str,
        load_versions: dict[str, str],
    ) -> None:
        """After the data catalog is created."""

    @hookspec(kind="observe")
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog) -> None:
        """Before the pipeline runs."""

    @hookspec(kind="observe")
    def before_dataset_loaded(self, dataset_name: str, node: Node) -> None:
        """Before a dataset is loaded for a node."""

    @hookspec(kind="observe")
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Node) -> None:
        """After a dataset was loaded for a node."""

    @hookspec
    def before_node_run(
        self, node: Node, catalog: DataCatalog, inputs: dict[str, Any], is_async: bool, session_id: str
    ) -> dict[str, Any] | None:
        """Before a node runs; may return a dict of inputs to replace."""

    @hookspec(kind="observe")
    def after_node_run(
        self,
        node: Node,
        catalog: DataCatalog,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        is_async: bool,
        session_id: str,
    ) -> None:
        """After a node ran."""

    @hookspec(kind="observe")
    def before_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        """Before a node's output is saved."""

    @hookspec(kind="observe")
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        """After a node's output was saved."""

    @hookspec(kind="observe")
    def after_pipeline_run(
        self, run_params: dict[str, Any], run_result: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """After the pipeline ran."""

    @hookspec(kind="observe")
    def on_node_error(
        self,
        error: Exception,
        node: Node,
        catalog: DataCatalog,
        inputs: dict[str, Any],
        is_async: bool,
        session_id: str,
    ) -> None:
        """When a node raised."""

    @hookspec(kind="observe")
    def on_pipeline_error(
        self, error: Exception, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """When the pipeline failed."""
