"""Discovery: entry points of real installed distributions, settings tuples, Kedro's order."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookwise import (
    DisabledPluginWarning,
    EntryPointError,
    EntryPointWarning,
    HookManager,
    PluginValidationError,
    RegistrationError,
    hookimpl,
    hookspec,
    load_entry_points,
    naming_advice,
    register_project_hooks,
    register_settings,
)
from hookwise._discovery import normalize
from hookwise._order import RegistrationOrder
from tests.conftest import MakeDistribution

GROUP = "pipeline.hooks"


class PipelineHooks:
    @hookspec
    def before_pipeline_run(self, run_params: dict[str, str]) -> str:
        raise NotImplementedError


def plugin_module(tag: str) -> str:
    return f"""
from hookwise import hookimpl

class Hooks:
    @hookimpl
    def before_pipeline_run(self, run_params):
        return {tag!r}

hooks = Hooks()
"""


def install(make_distribution: MakeDistribution, dist: str, module: str, ep: str | None = None) -> None:
    make_distribution(
        dist, modules={module: plugin_module(module)}, entry_points={GROUP: {ep or module: f"{module}:hooks"}}
    )


def test_entry_points_are_registered_alphabetically_and_say_where_they_came_from(
    make_distribution: MakeDistribution,
) -> None:
    install(make_distribution, "zeta-plugin", "zeta")
    install(make_distribution, "alpha-plugin", "alpha")
    manager = HookManager(PipelineHooks)
    loaded = load_entry_points(manager, GROUP)
    assert [info.name for info in loaded] == ["alpha", "zeta"]
    assert loaded[0].source == "entry point alpha = alpha:hooks [pipeline.hooks] from alpha-plugin 1.0"
    assert manager.call.before_pipeline_run(run_params={}) == ["alpha", "zeta"]


def test_a_group_without_entry_points_loads_nothing() -> None:
    assert load_entry_points(HookManager(PipelineHooks), "no.such.group") == []


def test_disabled_distributions_are_matched_by_normalized_name(make_distribution: MakeDistribution) -> None:
    install(make_distribution, "pipeline-audit", "audit")
    install(make_distribution, "other", "other")
    manager = HookManager(PipelineHooks)
    loaded = load_entry_points(manager, GROUP, disable=["Pipeline_Audit"])
    assert [info.name for info in loaded] == ["other"]
    assert normalize("Pipeline_Audit") == normalize("pipeline.audit") == "pipeline-audit"


def test_disabling_a_distribution_that_is_not_installed_warns_naming_it(make_distribution: MakeDistribution) -> None:
    install(make_distribution, "other", "other")
    with pytest.warns(
        DisabledPluginWarning, match="'pipeline-adit' is listed to disable but no installed distribution has that name"
    ):
        load_entry_points(HookManager(PipelineHooks), GROUP, disable=["pipeline-adit"])


def test_an_entry_point_that_fails_to_import_names_group_entry_point_distribution_and_version(
    make_distribution: MakeDistribution,
) -> None:
    make_distribution(
        "broken-plugin",
        "2.3",
        modules={"broken": "raise RuntimeError('no config')"},
        entry_points={GROUP: {"broken": "broken:hooks"}},
    )
    with pytest.raises(EntryPointError) as info:
        load_entry_points(HookManager(PipelineHooks), GROUP)
    error = info.value
    assert str(error) == (
        "cannot load entry point broken = broken:hooks [pipeline.hooks] from broken-plugin 2.3: RuntimeError: no config"
    )
    assert (error.group, error.entry_point, error.distribution, error.version) == (
        "pipeline.hooks",
        "broken",
        "broken-plugin",
        "2.3",
    )
    assert isinstance(error.__cause__, RuntimeError)


def test_failing_entry_points_can_be_skipped_with_a_warning(make_distribution: MakeDistribution) -> None:
    make_distribution("broken-plugin", modules={"broken": "x = 1"}, entry_points={GROUP: {"broken": "broken:missing"}})
    install(make_distribution, "good", "good")
    manager = HookManager(PipelineHooks)
    with pytest.warns(EntryPointWarning, match="cannot load entry point broken = broken:missing .* AttributeError"):
        loaded = load_entry_points(manager, GROUP, on_error="warn")
    assert [info.name for info in loaded] == ["good"]


def test_an_entry_point_naming_a_class_asks_for_an_instance(make_distribution: MakeDistribution) -> None:
    make_distribution(
        "classy", modules={"classy": plugin_module("classy")}, entry_points={GROUP: {"classy": "classy:Hooks"}}
    )
    with pytest.raises(
        EntryPointError,
        match=r"classy:Hooks is the class Hooks; an entry point of group 'pipeline.hooks' must name a plugin instance, such as `hooks = Hooks\(\)`",
    ):
        load_entry_points(HookManager(PipelineHooks), GROUP)


def test_an_entry_point_whose_plugin_does_not_fit_the_spec_is_an_entry_point_error(
    make_distribution: MakeDistribution,
) -> None:
    source = "from hookwise import hookimpl\nclass H:\n    @hookimpl\n    def before_pipeline_run(self, params): ...\nhooks = H()\n"
    make_distribution("misfit", modules={"misfit": source}, entry_points={GROUP: {"misfit": "misfit:hooks"}})
    with pytest.raises(
        EntryPointError, match=r"PluginValidationError: plugin 'misfit': H.before_pipeline_run .* takes \{'params'\}"
    ) as info:
        load_entry_points(HookManager(PipelineHooks), GROUP)
    assert isinstance(info.value.__cause__, PluginValidationError)


@pytest.mark.parametrize(
    ("source", "described"),
    [
        ("hooks = 5", "(5 of type int)"),
        ("hooks = None", "(None of type NoneType)"),
        ("def hooks(run_params):\n    return 1", "(the function hooks)"),
    ],
)
def test_an_entry_point_naming_something_that_is_not_a_plugin_is_an_entry_point_error(
    make_distribution: MakeDistribution, source: str, described: str
) -> None:
    """Never registered as a plugin that does nothing: an error naming the entry point and its distribution."""
    make_distribution("odd", "0.1", modules={"odd": source}, entry_points={GROUP: {"odd": "odd:hooks"}})
    manager = HookManager(PipelineHooks)
    with pytest.raises(EntryPointError) as info:
        load_entry_points(manager, GROUP)
    assert str(info.value).startswith(
        f"cannot load entry point odd = odd:hooks [pipeline.hooks] from odd 0.1: PluginValidationError: plugin 'odd' "
        f"{described} has no hook implementations"
    )
    assert dict(manager.plugins) == {}


def test_a_malformed_entry_point_value_names_the_entry_point(make_distribution: MakeDistribution) -> None:
    make_distribution("malformed", "0.2", modules={}, entry_points={GROUP: {"bad": "not a valid: : reference"}})
    with pytest.raises(
        EntryPointError,
        match=r"^cannot load entry point bad = not a valid: : reference \[pipeline.hooks\] from malformed 0.2: ",
    ):
        load_entry_points(HookManager(PipelineHooks), GROUP)


def test_a_blocked_entry_point_is_skipped(make_distribution: MakeDistribution) -> None:
    install(make_distribution, "audit", "audit")
    manager = HookManager(PipelineHooks)
    manager.block("audit")
    assert load_entry_points(manager, GROUP) == []


class Tagged:
    def __init__(self, tag: str) -> None:
        self.tag = tag

    @hookimpl
    def before_pipeline_run(self) -> str:
        return self.tag


def test_settings_hooks_are_registered_in_order_with_their_source() -> None:
    manager = HookManager(PipelineHooks)
    assert register_settings(manager, (Tagged("a"),)) == ["Tagged"]
    assert manager.plugin_info("Tagged").source == "settings HOOKS[0]"


def test_settings_may_hold_two_instances_of_one_class() -> None:
    """As Kedro on pluggy accepts ``HOOKS = (Tagged("a"), Tagged("b"))``: the second is named ``Tagged#2``."""
    manager = HookManager(PipelineHooks)
    assert register_settings(manager, (Tagged("a"), Tagged("b"), Tagged("c"))) == ["Tagged", "Tagged#2", "Tagged#3"]
    assert manager.call.before_pipeline_run(run_params={}) == ["a", "b", "c"]


def test_the_same_object_twice_in_settings_is_an_error() -> None:
    tagged = Tagged("a")
    with pytest.raises(
        RegistrationError,
        match=r"^settings HOOKS\[1\] is an object already registered \(as a plugin named 'Tagged'\); list each",
    ):
        register_settings(HookManager(PipelineHooks), (tagged, tagged))


def test_a_class_in_settings_asks_for_an_instance() -> None:
    with pytest.raises(
        PluginValidationError,
        match=r"^settings HOOKS\[1\] is the class Tagged; HOOKS holds plugin instances: write Tagged\(\)$",
    ):
        register_settings(HookManager(PipelineHooks), (Tagged("a"), Tagged))


@pytest.mark.parametrize("order", ["lifo", "fifo"])
def test_kedros_order_auto_discovered_first_then_settings_last_first(
    make_distribution: MakeDistribution, order: RegistrationOrder
) -> None:
    """As Kedro documents: plugin hooks run first; with HOOKS = (hook_a, hook_b), hook_b runs before hook_a."""
    install(make_distribution, "plugin-b", "plugin_b")
    install(make_distribution, "plugin-a", "plugin_a")

    class HookA(Tagged):
        pass

    class HookB(Tagged):
        pass

    manager = HookManager(PipelineHooks, order=order)
    order_run = register_project_hooks(manager, (HookA("hook_a"), HookB("hook_b")), entry_point_group=GROUP)
    expected = ["plugin_b", "plugin_a", "hook_b", "hook_a"]
    assert manager.call.before_pipeline_run(run_params={}) == expected
    assert order_run == ["plugin_b", "plugin_a", "HookB", "HookA"]


def test_project_hooks_without_a_group_are_only_the_settings() -> None:
    manager = HookManager(PipelineHooks)
    assert register_project_hooks(manager, (Tagged("a"),)) == ["Tagged"]


def test_naming_advice_follows_kedros_convention() -> None:
    good = [
        "before_node_run",
        "after_catalog_created",
        "on_node_error",
        "before_command_run",
        "kedro.after_context_created",
    ]
    assert naming_advice(good) == []
    assert naming_advice(["before_node", "validate", "todos.before_complete_task"]) == [
        "hook 'before_node': name hooks <before|after>_<noun>_<past participle> (before_node_run) or on_<noun>_error (on_node_error)",
        "hook 'validate': name hooks <before|after>_<noun>_<past participle> (before_node_run) or on_<noun>_error (on_node_error)",
        "hook 'todos.before_complete_task': end a before-hook's name with a past participle, before_<noun>_<past participle> (before_node_run, after_catalog_created)",
    ]


def test_site_fixture_distributions_are_real(make_distribution: MakeDistribution, site: Path) -> None:
    from importlib.metadata import version

    make_distribution("real-thing", "4.5", modules={"real_thing": ""}, entry_points={})
    assert version("real-thing") == "4.5"
    assert (site / "real_thing-4.5.dist-info" / "METADATA").is_file()
