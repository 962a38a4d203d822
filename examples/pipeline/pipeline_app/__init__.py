"""A small Kedro-like pipeline framework on hookwise: nodes, datasets, a catalog, and Kedro's hook points."""

from pipeline_app.hooks import PipelineHooks
from pipeline_app.runner import DataCatalog, Node, Pipeline, node
from pipeline_app.session import ENTRY_POINT_GROUP, Session

__all__ = ["ENTRY_POINT_GROUP", "DataCatalog", "Node", "Pipeline", "PipelineHooks", "Session", "node"]
