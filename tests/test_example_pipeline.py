"""examples/pipeline: Kedro's hook points, settings HOOKS, and a plugin installed for real."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from hookwise import hookimpl

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pipeline"
sys.path.insert(0, str(EXAMPLE))

from pipeline_app import Pipeline, PipelineHooks, Session, node  # noqa: E402

ALL_HOOKS = [
    "after_context_created",
    "after_catalog_created",
    "before_pipeline_run",
    "before_dataset_loaded",
    "after_dataset_loaded",
    "before_node_run",
    "after_node_run",
    "before_dataset_saved",
    "after_dataset_saved",
    "after_pipeline_run",
    "on_node_error",
    "on_pipeline_error",
]


def test_the_framework_declares_kedros_hook_points() -> None:
    from hookwise import HookManager

    assert HookManager(PipelineHooks).hook_names == ALL_HOOKS


def recorder_plugin(calls: list[str]) -> object:
    namespace: dict[str, Any] = {}
    for hook in ALL_HOOKS:

        def record(hook: str = hook) -> None:
            calls.append(hook)

        record.__name__ = hook
        namespace[hook] = hookimpl(record)
    return types.SimpleNamespace(**namespace)


def settings_with(*hooks: object) -> types.ModuleType:
    settings = types.ModuleType("settings")
    settings.HOOKS = hooks  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    return settings


def double(x: int) -> int:
    return x * 2


def explode(x: int) -> int:
    raise ValueError(x)


def test_a_run_calls_every_point_in_kedros_sequence() -> None:
    calls: list[str] = []
    session = Session(settings_with(recorder_plugin(calls)))
    catalog = session.create_catalog({"x": 1})
    assert session.run(Pipeline([node(double, "x", "y")]), catalog) == {"y": 2}
    assert calls == [
        "after_context_created",
        "after_catalog_created",
        "before_pipeline_run",
        "before_dataset_loaded",
        "after_dataset_loaded",
        "before_node_run",
        "after_node_run",
        "before_dataset_saved",
        "after_dataset_saved",
        "after_pipeline_run",
    ]


def test_a_failing_node_calls_the_error_hooks() -> None:
    calls: list[str] = []
    session = Session(settings_with(recorder_plugin(calls)))
    catalog = session.create_catalog({"x": 1})
    with pytest.raises(ValueError, match="1"):
        session.run(Pipeline([node(explode, "x", "y")]), catalog)
    assert calls[-3:] == ["before_node_run", "on_node_error", "on_pipeline_error"]


def run_example(pythonpath: Path | None = None, **env: str) -> list[str]:
    environment = {**os.environ, **env}
    if pythonpath is not None:
        environment["PYTHONPATH"] = str(pythonpath)
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "main.py")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


def test_settings_hooks_run_last_first_as_kedro_documents() -> None:
    out = run_example()
    assert out[0] == "hooks registered, in run order: ['DataCatalogHooks', 'ProjectHooks']"
    assert out.index("DataCatalogHooks.before_node_run: double") + 1 == out.index(
        "ProjectHooks.before_node_run: double"
    )
    assert "ProjectHooks.after_pipeline_run: {'scaled': 40}" in out
    assert "ProjectHooks.on_node_error: divide raised ZeroDivisionError" in out


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The audit plugin, built from its pyproject.toml and installed into a fresh directory."""
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(EXAMPLE / "audit_plugin"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (target / "pipeline_audit-0.2.0.dist-info" / "entry_points.txt").is_file()
    return target


def test_an_installed_plugin_is_found_by_its_entry_point_and_runs_first(installed_plugin: Path) -> None:
    out = run_example(installed_plugin)
    assert out[0] == "hooks registered, in run order: ['audit', 'DataCatalogHooks', 'ProjectHooks']"
    first_node = out.index("audit.before_node_run: double")
    assert out[first_node + 1 : first_node + 3] == [
        "DataCatalogHooks.before_node_run: double",
        "ProjectHooks.before_node_run: double",
    ]
    assert "audit.after_dataset_saved: doubled=4" in out


def test_an_installed_plugin_can_be_disabled_by_distribution_name(installed_plugin: Path) -> None:
    out = run_example(installed_plugin, DISABLE_HOOKS_FOR_PLUGINS="Pipeline_Audit")
    assert out[0] == "hooks registered, in run order: ['DataCatalogHooks', 'ProjectHooks']"
    assert not [line for line in out if line.startswith("audit.")]


def test_inspect_shows_the_plugins_source(installed_plugin: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookwise",
            "inspect",
            "pipeline_app:PipelineHooks",
            "--entry-points",
            "pipeline_app.hooks",
        ],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(installed_plugin)},
        timeout=60,
        check=True,
    )
    assert (
        "from entry point audit = pipeline_audit:hooks [pipeline_app.hooks] from pipeline-audit 0.2.0" in result.stdout
    )
