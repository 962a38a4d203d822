"""hookwise.compat.pluggy behaves as pluggy 1.6 does: every test runs against both, with the same assertions."""

from __future__ import annotations

import gc
import re
import types
import warnings
from collections.abc import Generator
from typing import Any

import pluggy as real_pluggy
import pytest

from hookwise.compat import pluggy as compat_pluggy
from hookwise.compat.pluggy._callers import COMPILE_AFTER
from tests.conftest import MakeDistribution


@pytest.fixture(params=["pluggy", "hookwise"])
def pluggy(request: pytest.FixtureRequest) -> Any:
    """The pluggy API: pluggy itself, or hookwise's compatibility layer."""
    return real_pluggy if request.param == "pluggy" else compat_pluggy


def markers(pluggy: Any) -> tuple[Any, Any]:
    return pluggy.HookspecMarker("example"), pluggy.HookimplMarker("example")


def manager(pluggy: Any, *plugins: object) -> Any:
    hookspec, _ = markers(pluggy)

    class Specs:
        @hookspec
        def collect(self, arg: int) -> int:  # type: ignore[empty-body]
            ...

        @hookspec(firstresult=True)
        def first(self, arg: int) -> int:  # type: ignore[empty-body]
            ...

        @hookspec(historic=True)
        def configure(self, config: str) -> None: ...

    pm = pluggy.PluginManager("example")
    pm.add_hookspecs(Specs)
    for plugin in plugins:
        pm.register(plugin)
    return pm


def impl(pluggy: Any, hook: str, result: object = None, **options: Any) -> object:
    """A plugin module whose implementation of ``hook`` returns ``result``."""
    _, hookimpl = markers(pluggy)

    def function(arg: int) -> object:
        return result

    function.__name__ = hook
    return types.SimpleNamespace(**{hook: hookimpl(**options)(function)})


# -- markers ---------------------------------------------------------------------------


def test_markers_set_the_same_attributes(pluggy: Any) -> None:
    hookspec, hookimpl = markers(pluggy)

    @hookspec(firstresult=True)
    def spec(arg: int) -> None: ...

    @hookimpl(tryfirst=True, specname="spec")
    def implementation() -> None: ...

    assert spec.example_spec == {
        "firstresult": True,
        "historic": False,
        "warn_on_impl": None,
        "warn_on_impl_args": None,
    }
    assert implementation.example_impl == {
        "wrapper": False,
        "hookwrapper": False,
        "optionalhook": False,
        "tryfirst": True,
        "trylast": False,
        "specname": "spec",
    }


def test_a_historic_firstresult_spec_is_an_error(pluggy: Any) -> None:
    hookspec, _ = markers(pluggy)
    with pytest.raises(ValueError, match="^cannot have a historic firstresult hook$"):
        hookspec(firstresult=True, historic=True)(lambda: None)


def test_plugins_marked_with_real_pluggy_work_on_the_compat_layer() -> None:
    """A plugin that still imports pluggy registers on a host that moved to hookwise: the marks are the same."""
    real_spec, real_impl = markers(real_pluggy)

    class Specs:
        @real_spec
        def collect(self, arg: int) -> None: ...

    class Plugin:
        @real_impl
        def collect(self, arg: int) -> int:
            return arg + 1

    pm = compat_pluggy.PluginManager("example")
    pm.add_hookspecs(Specs)
    pm.register(Plugin())
    assert pm.hook.collect(arg=1) == [2]


# -- registration ---------------------------------------------------------------------------


def test_register_returns_the_canonical_name(pluggy: Any) -> None:
    pm = manager(pluggy)
    module = types.ModuleType("my_plugin")
    assert pm.register(module) == "my_plugin"
    plugin = object()
    assert pm.register(plugin) == str(id(plugin))
    assert pm.register(object(), name="named") == "named"


def test_a_name_registered_twice_is_an_error_with_pluggys_message(pluggy: Any) -> None:
    pm = manager(pluggy)
    pm.register(impl(pluggy, "collect"), name="a")
    with pytest.raises(
        ValueError, match=r"^Plugin name already registered: a=namespace\(collect=.*\)\n\{'a': namespace"
    ):
        pm.register(impl(pluggy, "collect"), name="a")


def test_a_plugin_registered_twice_is_an_error_with_pluggys_message(pluggy: Any) -> None:
    pm = manager(pluggy)
    plugin = impl(pluggy, "collect")
    pm.register(plugin, name="a")
    with pytest.raises(ValueError, match=r"^Plugin already registered under a different name: b=namespace"):
        pm.register(plugin, name="b")


def test_blocking(pluggy: Any) -> None:
    pm = manager(pluggy)
    plugin = impl(pluggy, "collect", 1)
    pm.register(plugin, name="a")
    pm.set_blocked("a")
    assert pm.is_blocked("a")
    assert pm.hook.collect(arg=0) == []
    assert pm.register(plugin, name="a") is None
    assert ("a", None) in pm.list_name_plugin()
    assert pm.unblock("a")
    assert not pm.unblock("a")
    assert pm.register(plugin, name="a") == "a"


def test_unregister_by_plugin_or_name(pluggy: Any) -> None:
    pm = manager(pluggy)
    plugin = impl(pluggy, "collect", 1)
    pm.register(plugin, name="a")
    assert pm.get_hookcallers(plugin) == [pm.hook.collect]
    assert pm.unregister(plugin) is plugin
    assert pm.hook.collect(arg=0) == []
    assert pm.get_hookcallers(plugin) is None
    pm.register(plugin, name="a")
    assert pm.unregister(name="a") is plugin
    assert pm.unregister(name="ghost") is None


def test_lookups(pluggy: Any) -> None:
    pm = manager(pluggy)
    plugin = types.ModuleType("plugin_module")  # hashable, as get_plugins() needs
    pm.register(plugin, name="a")
    assert pm.get_plugins() == {plugin}
    assert pm.is_registered(plugin)
    assert pm.get_plugin("a") is plugin
    assert pm.has_plugin("a")
    assert not pm.has_plugin("b")
    assert pm.get_name(plugin) == "a"
    assert pm.get_name(object()) is None
    assert pm.list_name_plugin() == [("a", plugin)]


def test_add_hookspecs_without_specs_is_an_error(pluggy: Any) -> None:
    class Nothing:
        pass

    with pytest.raises(ValueError, match=r"^did not find any 'example' hooks in <class '.*Nothing'>$"):
        pluggy.PluginManager("example").add_hookspecs(Nothing)


def test_a_spec_set_twice_is_an_error(pluggy: Any) -> None:
    hookspec, _ = markers(pluggy)

    class Again:
        @hookspec
        def collect(self, arg: int) -> None: ...

    pm = manager(pluggy)
    with pytest.raises(ValueError, match=r"^Hook 'collect' is already registered within namespace <class '.*Specs'>$"):
        pm.add_hookspecs(Again)


# -- validation ------------------------------------------------------------------------------------


def test_an_argument_not_in_the_spec_is_an_error_with_pluggys_message(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class Bad:
        @hookimpl
        def collect(self, arg: int, other: int) -> None: ...

    with pytest.raises(pluggy.PluginValidationError) as info:
        manager(pluggy, Bad())
    message = str(info.value)
    assert re.fullmatch(
        r"Plugin '\d+' for hook 'collect'\nhookimpl definition: collect\(arg: 'int', other: 'int'\) -> 'None'\n"
        r"Argument\(s\) \{'other'\} are declared in the hookimpl but can not be found in the hookspec",
        message,
    )
    assert isinstance(info.value.plugin, Bad)


def test_a_wrapper_that_is_not_a_generator_is_an_error(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class Bad:
        @hookimpl(wrapper=True)
        def collect(self) -> None: ...

    with pytest.raises(
        pluggy.PluginValidationError,
        match="Declared as wrapper=True or hookwrapper=True but function is not a generator function$",
    ):
        manager(pluggy, Bad())


def test_wrapper_and_hookwrapper_are_exclusive(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class Bad:
        @hookimpl(wrapper=True, hookwrapper=True)
        def collect(self) -> Generator[None, None, None]:
            yield

    with pytest.raises(
        pluggy.PluginValidationError, match="The wrapper=True and hookwrapper=True options are mutually exclusive$"
    ):
        manager(pluggy, Bad())


def test_a_wrapper_on_a_historic_hook_is_an_error(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class Bad:
        @hookimpl(wrapper=True)
        def configure(self) -> Generator[None, None, None]:
            yield

    with pytest.raises(
        pluggy.PluginValidationError,
        match=r"^Plugin '\d+'\nhook 'configure'\nhistoric incompatible with yield/wrapper/hookwrapper$",
    ):
        manager(pluggy, Bad())


def test_check_pending_reports_unknown_hooks_unless_optional(pluggy: Any) -> None:
    pm = manager(pluggy)
    pm.register(impl(pluggy, "unknown_hook", optionalhook=True), name="optional")
    pm.check_pending()
    unknown = impl(pluggy, "another_hook")
    pm.register(unknown, name="unknown")
    with pytest.raises(
        pluggy.PluginValidationError, match=r"^unknown hook 'another_hook' in plugin namespace\(another_hook="
    ) as info:
        pm.check_pending()
    assert info.value.plugin is unknown


def test_implementations_registered_before_their_spec_are_verified_when_it_is_added(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)
    hookspec, _ = markers(pluggy)

    class Early:
        @hookimpl
        def late(self, wrong: int) -> None: ...

    class Specs:
        @hookspec
        def late(self, right: int) -> None: ...

    pm = pluggy.PluginManager("example")
    pm.register(Early())
    with pytest.raises(pluggy.PluginValidationError, match=r"Argument\(s\) \{'wrong'\} are declared in the hookimpl"):
        pm.add_hookspecs(Specs)


def test_warn_on_impl_and_warn_on_impl_args(pluggy: Any) -> None:
    hookspec, hookimpl = markers(pluggy)

    class Specs:
        @hookspec(warn_on_impl=DeprecationWarning("old hook"))
        def old(self) -> None: ...

        @hookspec(warn_on_impl_args={"legacy": DeprecationWarning("legacy arg")})
        def partly(self, legacy: int, fresh: int) -> None: ...

    class Plugin:
        @hookimpl
        def old(self) -> None: ...

        @hookimpl
        def partly(self, legacy: int) -> None: ...

    pm = pluggy.PluginManager("example")
    pm.add_hookspecs(Specs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pm.register(Plugin())
    assert sorted(str(w.message) for w in caught) == ["legacy arg", "old hook"]


# -- calls and order --------------------------------------------------------------------------------


def test_last_registered_runs_first_with_tryfirst_and_trylast_bands(pluggy: Any) -> None:
    pm = manager(pluggy)
    for name, options in [
        ("last1", {"trylast": True}),
        ("normal1", {}),
        ("first1", {"tryfirst": True}),
        ("last2", {"trylast": True}),
        ("normal2", {}),
        ("first2", {"tryfirst": True}),
    ]:
        pm.register(impl(pluggy, "collect", name, **options), name=name)
    assert pm.hook.collect(arg=0) == ["first2", "first1", "normal2", "normal1", "last1", "last2"]
    assert [i.plugin_name for i in pm.hook.collect.get_hookimpls()] == [
        "last2",
        "last1",
        "normal1",
        "normal2",
        "first1",
        "first2",
    ]


def test_firstresult_returns_the_first_non_none(pluggy: Any) -> None:
    pm = manager(pluggy, impl(pluggy, "first", "early"), impl(pluggy, "first", None))
    assert pm.hook.first(arg=0) == "early"
    assert manager(pluggy).hook.first(arg=0) is None


def test_calls_take_keyword_arguments_and_ignore_extra_ones(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class Echo:
        @hookimpl
        def collect(self, arg: int) -> int:
            return arg

    pm = manager(pluggy, Echo())
    assert pm.hook.collect(arg=5, extra="ignored") == [5]


def test_a_missing_argument_is_a_hook_call_error_after_a_warning(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class Echo:
        @hookimpl
        def collect(self, arg: int) -> int:
            return arg

    pm = manager(pluggy, Echo())
    with (
        pytest.warns(
            UserWarning,
            match="^Argument\\(s\\) 'arg' which are declared in the hookspec cannot be found in this hook call$",
        ),
        pytest.raises(pluggy.HookCallError, match="^hook call must provide argument 'arg'$"),
    ):
        pm.hook.collect()


def test_a_hot_hook_keeps_pluggys_rules_for_calls_registrations_and_monitoring(pluggy: Any) -> None:
    """hookwise calls a hook's compiled caller directly once it is hot: the rules stay pluggy's."""
    hookspec, hookimpl = markers(pluggy)

    class Specs:
        @hookspec
        def pair(self, arg: int, other: int) -> int:  # type: ignore[empty-body]
            ...

    class TakesArg:
        @hookimpl
        def pair(self, arg: int) -> int:
            return arg

    pm = pluggy.PluginManager("example")
    pm.add_hookspecs(Specs)
    pm.register(TakesArg())
    for number in range(30):  # hot
        assert pm.hook.pair(arg=number, other=0, unknown="ignored") == [number]
    spec_only = "^Argument\\(s\\) 'other' which are declared in the hookspec cannot be found in this hook call$"
    with pytest.warns(UserWarning, match=spec_only) as caught:
        assert pm.hook.pair(arg=1) == [1]
    # pluggy points at its own HookCaller.__call__; hookwise at the line that called the hook
    assert caught.list[0].filename == (__file__ if pluggy is compat_pluggy else real_pluggy._hooks.__file__)
    missing = pytest.raises(pluggy.HookCallError, match="^hook call must provide argument 'arg'$")
    with pytest.warns(UserWarning, match="'arg' which are declared"), missing:
        pm.hook.pair(other=1)
    with pytest.raises(TypeError):
        pm.hook.pair(1, 2)
    later = impl(pluggy, "pair", "later")
    pm.register(later)
    assert pm.hook.pair(arg=5, other=0) == ["later", 5]
    seen: list[str] = []
    undo = pm.add_hookcall_monitoring(lambda name, impls, kwargs: seen.append(name), lambda *a: None)
    for _ in range(30):
        pm.hook.pair(arg=5, other=0)
    undo()
    assert seen == ["pair"] * 30
    for _ in range(30):
        assert pm.hook.pair(arg=6, other=0) == ["later", 6]
    assert seen == ["pair"] * 30
    pm.unregister(later)
    assert pm.hook.pair(arg=7, other=0) == [7]


def test_a_missing_argument_no_implementation_takes_only_warns(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class NoArgs:
        @hookimpl
        def collect(self) -> int:
            return 2

    pm = manager(pluggy, NoArgs())
    with pytest.warns(UserWarning, match="cannot be found in this hook call"):
        assert pm.hook.collect() == [2]


def test_new_style_wrappers_see_and_replace_results_and_exceptions(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class Wrap:
        @hookimpl(wrapper=True)
        def collect(self) -> Generator[None, list[int], list[int]]:
            try:
                result = yield
            except ValueError:
                return [-1]
            return [*result, 100]

    class Fail:
        @hookimpl
        def collect(self, arg: int) -> int:
            if arg < 0:
                raise ValueError(arg)
            return arg

    pm = manager(pluggy, Fail(), Wrap())
    assert pm.hook.collect(arg=1) == [1, 100]
    assert pm.hook.collect(arg=-1) == [-1]


def test_old_style_hookwrappers_get_a_result_they_can_force(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)
    seen: list[Any] = []

    class Old:
        @hookimpl(hookwrapper=True)
        def collect(self) -> Generator[None, Any, None]:
            outcome = yield
            seen.append(outcome.excinfo)
            if outcome.exception is not None:
                outcome.force_result(["rescued"])
            else:
                outcome.force_result([*outcome.get_result(), "more"])

    class Fail:
        @hookimpl
        def collect(self, arg: int) -> int:
            if arg < 0:
                raise KeyError(arg)
            return arg

    pm = manager(pluggy, Fail(), Old())
    assert pm.hook.collect(arg=2) == [2, "more"]
    assert pm.hook.collect(arg=-1) == ["rescued"]
    assert seen[0] is None
    assert seen[1][0] is KeyError


def test_an_exception_in_an_old_style_teardown_warns(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class Old:
        @hookimpl(hookwrapper=True)
        def collect(self) -> Generator[None, Any, None]:
            yield
            raise RuntimeError("teardown broke")

    pm = manager(pluggy, Old())
    teardown = "A plugin raised an exception during an old-style hookwrapper teardown.\nPlugin: \\d+, Hook: collect\nRuntimeError: teardown broke"
    warns = pytest.warns(pluggy.PluggyTeardownRaisedWarning, match=teardown)
    with warns as caught, pytest.raises(RuntimeError, match="^teardown broke$"):
        pm.hook.collect(arg=0)
    assert caught.list[0].filename == __file__  # the line that called the hook, as pluggy attributes it


@pytest.mark.parametrize("style", ["wrapper", "hookwrapper"])
def test_stop_iteration_from_an_implementation_passes_through_wrappers(pluggy: Any, style: str) -> None:
    _, hookimpl = markers(pluggy)

    class Stopping:
        @hookimpl
        def collect(self, arg: int) -> int:
            raise StopIteration(arg)

    class Around:
        @hookimpl(**{style: True})
        def collect(self, arg: int) -> Generator[None, Any, Any]:
            return (yield)

    pm = manager(pluggy, Stopping(), Around())
    with pytest.raises(StopIteration) as raised:
        pm.hook.collect(arg=3)
    assert raised.value.args == (3,)  # the implementation's own, not "generator raised StopIteration"


@pytest.mark.parametrize(("body", "message"), [("none", "did not yield"), ("twice", "has second yield")])
def test_misbehaving_wrappers_raise_pluggys_runtime_error(pluggy: Any, body: str, message: str) -> None:
    _, hookimpl = markers(pluggy)

    class Twice:
        @hookimpl(wrapper=True)
        def collect(self) -> Generator[None, list[int], list[int]]:
            yield
            yield
            return []

    class Never:
        @hookimpl(wrapper=True)
        def collect(self) -> Generator[None, list[int], list[int]]:
            if False:
                yield
            return []

    pm = manager(pluggy, Twice() if body == "twice" else Never())
    with pytest.raises(RuntimeError, match=rf"^wrap_controller at 'collect' .*test_compat_pluggy.py:\d+ {message}$"):
        pm.hook.collect(arg=0)


def test_exceptions_propagate_unchanged(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    class Fail:
        @hookimpl
        def collect(self) -> int:
            raise ValueError("boom")

    with pytest.raises(ValueError, match="^boom$") as info:
        manager(pluggy, Fail()).hook.collect(arg=0)
    assert not getattr(info.value, "__notes__", None)  # no notes: people's match= patterns keep working


def test_historic_calls_are_replayed_with_their_callback(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)
    results: list[object] = []

    class Early:
        @hookimpl
        def configure(self, config: str) -> str:
            return f"early {config}"

    class Late:
        @hookimpl
        def configure(self, config: str) -> str:
            return f"late {config}"

    pm = manager(pluggy, Early())
    pm.hook.configure.call_historic(result_callback=results.append, kwargs={"config": "x"})
    pm.register(Late())
    assert results == ["early x", "late x"]
    with pytest.raises(AssertionError, match="^Cannot directly call a historic hook - use call_historic instead.$"):
        pm.hook.configure(config="y")


def test_replays_and_call_extra_leave_no_cyclic_garbage(pluggy: Any) -> None:
    """pytest registers plugins into historic hooks and calls call_extra by the thousand: refcounting frees it all."""
    _, hookimpl = markers(pluggy)
    pm = manager(pluggy, impl(pluggy, "collect", "registered"))
    for number in range(3):
        pm.hook.configure.call_historic(kwargs={"config": str(number)})
    seen: list[str] = []

    class Late:
        @hookimpl
        def configure(self, config: str) -> None:
            seen.append(config)

    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            pm.register(Late())  # three replays each
            pm.hook.collect.call_extra([lambda arg: arg], {"arg": 1})  # a new function each time: a new caller
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert seen == ["0", "1", "2"] * 20


def _tracked_objects_of_a_manager(pluggy: Any, *, monitored: bool, hooks: int = 30) -> int:
    """GC-tracked objects a manager of ``hooks`` hooks (two plugins each) holds after two calls of each hook.

    Counted for a second manager made alike: the first fills what every manager shares (specs, code).
    """
    hookspec, hookimpl = markers(pluggy)
    names = [f"hook{n}" for n in range(hooks)]
    spec = type("Spec", (), {name: hookspec(lambda arg: None) for name in names})
    plugin_classes = [type(f"P{k}", (), {name: hookimpl(lambda self, arg: arg) for name in names}) for k in range(2)]

    def made() -> Any:
        pm = pluggy.PluginManager("example")
        pm.add_hookspecs(spec)
        if monitored:
            pm.add_hookcall_monitoring(lambda *_: None, lambda *_: None)
        for plugin_class in plugin_classes:
            pm.register(plugin_class())
        for name in names:
            for _ in range(2):
                assert getattr(pm.hook, name)(arg=1) == [1, 1]
        return pm

    made()
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        kept = made()
        count = len(gc.get_objects()) - before
        del kept
        return count
    finally:
        gc.enable()


def test_hookcall_monitoring_makes_no_objects_per_hook_to_speak_of(pluggy: Any) -> None:
    """pytest monitors each in-process run it makes (thousands per suite); each object a monitored manager holds is
    walked by the garbage collector until the run's cycle is collected: no class, function or cells per hook."""
    plain = _tracked_objects_of_a_manager(pluggy, monitored=False)
    monitored = _tracked_objects_of_a_manager(pluggy, monitored=True)
    assert monitored - plain <= 2 * 30, (plain, monitored)


@pytest.mark.parametrize("monitored", [False, True], ids=["plain", "monitored"])
def test_a_compat_manager_holds_few_more_objects_than_pluggys(monitored: bool) -> None:
    """What each called hook costs the garbage collector beyond pluggy's own: its engine and interpreted caller,
    not a second object per implementation (pytest's suite makes a manager per in-process run)."""
    on_pluggy = _tracked_objects_of_a_manager(real_pluggy, monitored=monitored)
    on_compat = _tracked_objects_of_a_manager(compat_pluggy, monitored=monitored)
    compiled = 10 if COMPILE_AFTER == 0 else 0  # HOOKWISE_COMPILE_AFTER=0: each hook's compiled code and globals too
    assert on_compat - on_pluggy <= (8 + compiled) * 30, (on_pluggy, on_compat)


def test_call_extra_runs_temporary_implementations_first(pluggy: Any) -> None:
    pm = manager(pluggy, impl(pluggy, "collect", "registered"), impl(pluggy, "collect", "first", tryfirst=True))

    def extra1(arg: int) -> str:
        return "extra1"

    def extra2(arg: int) -> str:
        return "extra2"

    assert pm.hook.collect.call_extra([extra1, extra2], {"arg": 0}) == ["first", "extra2", "extra1", "registered"]
    assert pm.hook.collect(arg=0) == ["first", "registered"]


def test_call_extra_again_follows_registrations_and_monitors(pluggy: Any) -> None:
    pm = manager(pluggy, impl(pluggy, "collect", "registered"))

    def extra(arg: int) -> str:
        return f"extra{arg}"

    for arg in range(20):  # the same extra functions, again and again (hookwise keeps their caller)
        assert pm.hook.collect.call_extra([extra], {"arg": arg}) == [f"extra{arg}", "registered"]
    pm.register(impl(pluggy, "collect", "later"))
    assert pm.hook.collect.call_extra([extra], {"arg": 1}) == ["extra1", "later", "registered"]
    seen: list[str] = []
    undo = pm.add_hookcall_monitoring(lambda name, impls, kwargs: seen.append(f"{name} {len(impls)}"), lambda *a: None)
    assert pm.hook.collect.call_extra([extra], {"arg": 2}) == ["extra2", "later", "registered"]
    assert pm.hook.collect.call_extra([], {"arg": 2}) == ["later", "registered"]
    undo()
    assert seen == ["collect 3", "collect 2"]

    class Unhashable:
        __hash__ = None  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

        def __call__(self, arg: int) -> str:
            return "unhashable"

    assert pm.hook.collect.call_extra([Unhashable()], {"arg": 0}) == ["unhashable", "later", "registered"]
    warnings.simplefilter("ignore")  # the spec's argument is missing: a warning first (pytest restores filters)
    with pytest.raises(pluggy.HookCallError, match="hook call must provide argument 'arg'"):
        pm.hook.collect.call_extra([extra], {})


def test_subset_hook_caller_leaves_plugins_out(pluggy: Any) -> None:
    _, hookimpl = markers(pluggy)

    def plugin(result: str) -> object:
        module = types.ModuleType(f"plugin_{result}")  # hashable, as pluggy's subset needs
        module.collect = hookimpl(lambda arg: result)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
        return module

    keep, drop = plugin("keep"), plugin("drop")
    pm = manager(pluggy, keep, drop)
    subset = pm.subset_hook_caller("collect", [drop, object()])
    assert subset(arg=0) == ["keep"]
    pm.register(plugin("later"), name="later")
    assert subset(arg=0) == ["later", "keep"]
    assert [i.plugin_name for i in subset.get_hookimpls()] == [pm.get_name(keep), "later"]
    assert pm.subset_hook_caller("collect", [object()]) is pm.hook.collect


# -- monitoring and tracing ------------------------------------------------------------------------


def test_hookcall_monitoring_sees_every_call_and_can_be_undone(pluggy: Any) -> None:
    pm = manager(pluggy, impl(pluggy, "collect", 7))
    events: list[tuple[Any, ...]] = []
    undo = pm.add_hookcall_monitoring(
        lambda name, impls, kwargs: events.append(("before", name, len(impls), dict(kwargs))),
        lambda outcome, name, impls, kwargs: events.append(("after", name, outcome.get_result())),
    )
    pm.hook.collect(arg=1)
    undo()
    pm.hook.collect(arg=2)
    assert events == [("before", "collect", 1, {"arg": 1}), ("after", "collect", [7])]


def test_a_monitor_sees_every_call_of_a_hot_hook_as_it_changes(pluggy: Any) -> None:
    """What ``before`` and ``after`` get, and what the caller gets back, stays pluggy's on every call."""
    _, hookimpl = markers(pluggy)
    pm = manager(pluggy)
    pm.register(impl(pluggy, "collect", "first"), name="first")
    seen: list[tuple[Any, ...]] = []

    def before(name: str, impls: list[Any], kwargs: dict[str, object]) -> None:
        seen.append(("before", name, [i.plugin_name for i in impls], dict(kwargs)))

    def after(outcome: Any, name: str, impls: list[Any], kwargs: dict[str, object]) -> None:
        seen.append(("after", name, outcome.exception is None and outcome.get_result()))
        if kwargs.get("force"):
            outcome.force_result("forced")

    undo = pm.add_hookcall_monitoring(before, after)
    first = "first"
    for arg in range(100):  # interpreted, compiled, hot
        assert pm.hook.collect(arg=arg, unknown=1) == ["first"]
        assert seen[-2:] == [
            ("before", "collect", [first], {"arg": arg, "unknown": 1}),
            ("after", "collect", ["first"]),
        ]
    pm.register(impl(pluggy, "collect", "later"), name="later")
    assert pm.hook.collect(arg=0) == ["later", "first"]
    assert seen[-2:] == [("before", "collect", [first, "later"], {"arg": 0}), ("after", "collect", ["later", "first"])]
    assert pm.hook.collect(arg=0, force=True) == "forced"

    class Failing:
        @hookimpl
        def collect(self, arg: int) -> None:
            raise KeyError(arg)

    pm.register(Failing(), name="failing")
    for _ in range(70):
        with pytest.raises(KeyError) as caught:
            pm.hook.collect(arg=3)
        assert seen[-1] == ("after", "collect", False)
        assert caught.traceback[-1].name == "collect"  # raised where the implementation raised it
    pm.unregister(name="failing")
    seen.clear()
    inner: list[str] = []
    undo_inner = pm.add_hookcall_monitoring(lambda *a: inner.append("before"), lambda *a: inner.append("after"))
    assert pm.hook.collect(arg=1) == ["later", "first"]
    assert [entry[0] for entry in seen] == ["before", "after"]
    assert inner == ["before", "after"]
    undo_inner()
    undo()
    for _ in range(70):
        assert pm.hook.collect(arg=1) == ["later", "first"]
    assert len(seen) == 2
    assert inner == ["before", "after"]


def test_a_cached_exception_raised_again_through_a_monitored_hook_gets_no_longer(pluggy: Any) -> None:
    """pytest re-raises a cached setup error for each item, and compares the tracebacks of consecutive ones."""
    _, hookimpl = markers(pluggy)
    cached: list[tuple[BaseException, Any]] = []

    class Setup:
        @hookimpl
        def collect(self, arg: int) -> None:
            if not cached:
                try:
                    _ = arg / 0
                except ZeroDivisionError as error:
                    cached.append((error, error.__traceback__))
            problem, traceback = cached[0]
            raise problem.with_traceback(traceback)

    pm = manager(pluggy, Setup())
    pm.add_hookcall_monitoring(lambda *a: None, lambda *a: None)
    lengths: list[int] = []
    for _ in range(COMPILE_AFTER + 40):  # interpreted, then compiled
        with pytest.raises(ZeroDivisionError) as caught:
            pm.hook.collect(arg=1)
        lengths.append(len(caught.traceback))
    assert lengths[1] == lengths[2]
    assert len(set(lengths[COMPILE_AFTER + 2 :])) == 1


def test_tracing_with_nothing_listening_keeps_the_indent(pluggy: Any) -> None:
    pm = manager(pluggy, impl(pluggy, "first", "A"))
    undo = pm.enable_tracing()
    depths: list[int] = []
    pm.trace.root.setprocessor("other", lambda tags, args: depths.append(-1))  # another tag: not called
    _, hookimpl = markers(pluggy)

    class Nested:
        @hookimpl
        def collect(self, arg: int) -> None:
            depths.append(pm.trace.root.indent)

    pm.register(Nested())
    for _ in range(70):
        pm.hook.collect(arg=1)
    assert depths == [1] * 70
    assert pm.trace.root.indent == 0
    lines: list[str] = []
    pm.trace.root.setwriter(lines.append)
    pm.hook.first(arg=2)
    undo()
    assert lines == ["  first [hook]\n      arg: 2\n", "  finish first --> A [hook]\n"]


def test_enable_tracing_writes_pluggys_trace(pluggy: Any) -> None:
    pm = manager(pluggy, impl(pluggy, "first", "A"))
    lines: list[str] = []
    pm.trace.root.setwriter(lines.append)
    undo = pm.enable_tracing()
    pm.hook.first(arg=2)
    undo()
    assert lines == ["  first [hook]\n      arg: 2\n", "  finish first --> A [hook]\n"]


# -- entry points --------------------------------------------------------------------------------------


def test_load_setuptools_entrypoints(pluggy: Any, make_distribution: MakeDistribution) -> None:
    module = "real_ep_plugin" if pluggy is real_pluggy else "compat_ep_plugin"
    imports = "import pluggy" if pluggy is real_pluggy else "from hookwise.compat import pluggy"
    source = f"{imports}\nhookimpl = pluggy.HookimplMarker('example')\n@hookimpl\ndef collect(arg):\n    return 'from entry point'\n"
    make_distribution(
        f"{module}-dist", "3.1", modules={module: source}, entry_points={"example.plugins": {"epplugin": module}}
    )
    pm = manager(pluggy)
    assert pm.load_setuptools_entrypoints("example.plugins", name="other") == 0
    assert pm.load_setuptools_entrypoints("example.plugins") == 1
    assert pm.load_setuptools_entrypoints("example.plugins") == 0  # already registered
    assert pm.hook.collect(arg=0) == ["from entry point"]
    ((plugin, distinfo),) = pm.list_plugin_distinfo()
    assert plugin is pm.get_plugin("epplugin")
    assert (distinfo.project_name, distinfo.version) == (f"{module}-dist", "3.1")


def test_a_subclass_can_customize_how_implementations_are_found(pluggy: Any) -> None:
    class PytestLike(pluggy.PluginManager):  # type: ignore[misc]
        def parse_hookimpl_opts(self, plugin: object, name: str) -> Any:
            if name.startswith("example_"):
                return {"specname": name.removeprefix("example_")}
            return super().parse_hookimpl_opts(plugin, name)

    hookspec, _ = markers(pluggy)

    class Specs:
        @hookspec
        def collect(self, arg: int) -> None: ...

    class Unmarked:
        def example_collect(self, arg: int) -> str:
            return "by prefix"

    pm = PytestLike("example")
    pm.add_hookspecs(Specs)
    pm.register(Unmarked())
    assert pm.hook.collect(arg=0) == ["by prefix"]


def test_reprs(pluggy: Any) -> None:
    pm = manager(pluggy)
    plugin = impl(pluggy, "collect", 1)
    pm.register(plugin, name="a")
    assert repr(pm.hook.collect) == "<HookCaller 'collect'>"
    assert repr(pm.hook.collect.get_hookimpls()[0]) == f"<HookImpl plugin_name='a', plugin={plugin!r}>"
    assert pluggy.__version__.startswith("1.6")
