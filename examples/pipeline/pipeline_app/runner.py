"""Nodes, pipelines and a catalog of in-memory datasets, run with hooks at every step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hookwise import HookManager
    from pipeline_app.hooks import PipelineHooks


@dataclass(frozen=True)
class Node:
    func: Callable[..., Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    name: str

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        result = self.func(*(inputs[name] for name in self.inputs))
        values = result if len(self.outputs) > 1 else (result,)
        return dict(zip(self.outputs, values, strict=True))


def node(func: Callable[..., Any], inputs: str | list[str], outputs: str | list[str], name: str | None = None) -> Node:
    """A node: ``func`` applied to the named inputs, producing the named outputs."""
    ins = (inputs,) if isinstance(inputs, str) else tuple(inputs)
    outs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
    return Node(func, ins, outs, name or func.__name__)


@dataclass
class Pipeline:
    nodes: list[Node]


@dataclass
class DataCatalog:
    datasets: dict[str, Any] = field(default_factory=dict[str, Any])

    def load(self, name: str) -> Any:
        if name not in self.datasets:
            msg = f"dataset {name!r} is not in the catalog (it has {sorted(self.datasets)})"
            raise KeyError(msg)
        return self.datasets[name]

    def save(self, name: str, data: Any) -> None:
        self.datasets[name] = data

    def list(self) -> list[str]:
        return sorted(self.datasets)


def run_pipeline(
    hooks: HookManager[PipelineHooks],
    pipeline: Pipeline,
    catalog: DataCatalog,
    run_params: dict[str, Any],
    session_id: str,
) -> dict[str, Any]:
    """Run the nodes in order; call the hooks around every load, node and save."""
    call = hooks.call
    call.before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)
    outputs: dict[str, Any] = {}
    try:
        for step in pipeline.nodes:
            inputs: dict[str, Any] = {}
            for name in step.inputs:
                call.before_dataset_loaded(dataset_name=name, node=step)
                inputs[name] = catalog.load(name)
                call.after_dataset_loaded(dataset_name=name, data=inputs[name], node=step)
            for replaced in call.before_node_run(
                node=step, catalog=catalog, inputs=inputs, is_async=False, session_id=session_id
            ):
                inputs.update(replaced)
            try:
                outputs = step.run(inputs)
            except Exception as error:
                call.on_node_error(
                    error=error, node=step, catalog=catalog, inputs=inputs, is_async=False, session_id=session_id
                )
                raise
            call.after_node_run(
                node=step, catalog=catalog, inputs=inputs, outputs=outputs, is_async=False, session_id=session_id
            )
            for name, data in outputs.items():
                call.before_dataset_saved(dataset_name=name, data=data, node=step)
                catalog.save(name, data)
                call.after_dataset_saved(dataset_name=name, data=data, node=step)
    except Exception as error:
        call.on_pipeline_error(error=error, run_params=run_params, pipeline=pipeline, catalog=catalog)
        raise
    call.after_pipeline_run(run_params=run_params, run_result=outputs, pipeline=pipeline, catalog=catalog)
    return outputs
