"""Plugins: registration, validation against specs, unregistering, blocking, listing."""

from __future__ import annotations

import re
import types
from collections.abc import Generator, Mapping
from typing import Any

import pytest

from hookwise import (
    HandlerOptions,
    HookManager,
    ImplementationOptions,
    ImplOptions,
    PluginValidationError,
    RegistrationError,
    Veto,
    hookimpl,
    hookspec,
)


class Specs:
    @hookspec
    def before_complete_task(self, task_id: str, owner_id: str, actor_id: str) -> str:
        raise NotImplementedError

    @hookspec
    def other(self, x: int) -> int:
        raise NotImplementedError


class Plugin:
    @hookimpl
    def before_complete_task(self, task_id: str) -> str:
        return f"plugin saw {task_id}"


def test_an_implementation_may_take_any_subset_of_the_spec_parameters() -> None:
    class Reordered:
        @hookimpl
        def before_complete_task(self, actor_id: str, task_id: str) -> str:
            return f"{actor_id}:{task_id}"

    class NoArgs:
        @hookimpl
        def before_complete_task(self) -> str:
            return "none"

    manager = HookManager(Specs)
    manager.register(Reordered())
    manager.register(NoArgs())
    assert manager.call.before_complete_task(task_id="t", owner_id="o", actor_id="a") == ["a:t", "none"]


def test_an_unknown_parameter_names_the_plugin_hook_parameters_and_spec() -> None:
    class Budget:
        @hookimpl
        def before_complete_task(self, task, cost):  # type: ignore[no-untyped-def]
            return None

    manager = HookManager(Specs)
    with pytest.raises(PluginValidationError) as info:
        manager.register(Budget(), name="budget")
    assert str(info.value) == (
        "plugin 'budget': Budget.before_complete_task for hook 'before_complete_task' takes {'task', 'cost'} which is not in the spec;"
        " the spec is before_complete_task(task_id, owner_id, actor_id)"
    )
    assert (info.value.plugin, info.value.hook) == ("budget", "before_complete_task")
    assert not manager.is_registered("budget")


def test_an_extra_parameter_with_a_default_is_allowed_and_keeps_its_default() -> None:
    class WithDefault:
        @hookimpl
        def other(self, x: int, scale: int = 10) -> int:
            return x * scale

    manager = HookManager(Specs)
    manager.register(WithDefault())
    assert manager.call.other(x=2) == [20]


def test_star_args_in_an_implementation_is_an_error() -> None:
    class Star:
        @hookimpl
        def other(self, **kwargs: Any) -> None:
            return None

    with pytest.raises(PluginValidationError, match=r"takes \*\*kwargs; name the parameters it needs instead"):
        HookManager(Specs).register(Star())


def test_an_implementation_for_a_hook_without_spec_is_an_error_with_a_hint() -> None:
    class Typo:
        @hookimpl
        def before_complete_tsk(self) -> None:
            return None

    with pytest.raises(
        PluginValidationError,
        match=r"implements hook 'before_complete_tsk', which has no spec; did you mean 'before_complete_task'\? \(known hooks: before_complete_task, other\); mark it @hookimpl\(optional=True\) if the hook may not exist$",
    ):
        HookManager(Specs).register(Typo())


def test_an_optional_implementation_waits_for_its_spec() -> None:
    class Later:
        @hookimpl(optional=True)
        def later(self, x: int) -> int:
            return x + 1

    manager = HookManager(Specs)
    manager.register(Later())
    assert "later" not in manager.hook_names
    manager.add_spec("later", ["x"])
    assert manager.hook("later")(x=1) == [2]


def test_a_pending_implementation_that_does_not_fit_the_late_spec_fails_the_spec() -> None:
    class Later:
        @hookimpl(optional=True)
        def later(self, y: int) -> None:
            return None

    manager = HookManager(Specs)
    manager.register(Later())
    with pytest.raises(PluginValidationError, match=r"takes \{'y'\} which is not in the spec; the spec is later\(x\)"):
        manager.add_spec("later", ["x"])
    assert "later" not in manager.hook_names


def test_unregistering_removes_pending_implementations() -> None:
    class Later:
        @hookimpl(optional=True)
        def later(self) -> int:
            return 1

    manager = HookManager(Specs)
    manager.register(Later(), name="later")
    manager.unregister("later")
    manager.add_spec("later", [])
    assert manager.hook("later")() == []


def test_specname_implements_a_hook_under_another_function_name() -> None:
    class Renamed:
        @hookimpl(specname="other")
        def double(self, x: int) -> int:
            return x * 2

    manager = HookManager(Specs)
    manager.register(Renamed())
    assert manager.call.other(x=4) == [8]


def test_a_wrapper_that_is_not_a_generator_is_an_error() -> None:
    class NotGen:
        @hookimpl(wrapper=True)
        def other(self, x: int) -> int:
            return x

    with pytest.raises(
        PluginValidationError,
        match="is marked wrapper=True but is not a generator function; a wrapper yields once; the spec is other\\(x\\)",
    ):
        HookManager(Specs).register(NotGen())


def test_tryfirst_with_trylast_is_an_error() -> None:
    class Both:
        @hookimpl(tryfirst=True, trylast=True)
        def other(self) -> None:
            return None

    with pytest.raises(PluginValidationError, match="is marked both tryfirst and trylast; choose one"):
        HookManager(Specs).register(Both())


def test_naming_its_own_plugin_in_before_is_an_error() -> None:
    class Selfish:
        @hookimpl(before="selfish")
        def other(self) -> None:
            return None

    with pytest.raises(PluginValidationError, match="names its own plugin in before=/after="):
        HookManager(Specs).register(Selfish(), name="selfish")


def test_a_class_with_instance_method_implementations_must_be_instantiated() -> None:
    with pytest.raises(
        PluginValidationError,
        match=r"plugin 'Plugin' is a class, and its hook implementation 'before_complete_task' is an instance method; register an instance, Plugin\(\), or make it a staticmethod",
    ):
        HookManager(Specs).register(Plugin)


def test_a_class_with_static_and_class_methods_is_a_plugin() -> None:
    class Static:
        @hookimpl
        @staticmethod
        def other(x: int) -> int:
            return x + 1

        @classmethod
        @hookimpl
        def before_complete_task(cls, task_id: str) -> str:
            return cls.__name__

    manager = HookManager(Specs)
    assert manager.register(Static) == "Static"
    assert manager.call.other(x=1) == [2]
    assert manager.call.before_complete_task(task_id="t", owner_id="o", actor_id="a") == ["Static"]


def test_a_module_is_a_plugin_named_after_it() -> None:
    module = types.ModuleType("my_plugin")

    @hookimpl
    def other(x: int) -> int:
        return -x

    module.other = other  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    manager = HookManager(Specs)
    assert manager.register(module) == "my_plugin"
    assert manager.call.other(x=3) == [-3]


def test_plugin_names_must_be_unique() -> None:
    manager = HookManager(Specs)
    manager.register(Plugin())
    with pytest.raises(
        RegistrationError, match="^a plugin named 'Plugin' is already registered; pass name= to register another$"
    ):
        manager.register(Plugin())
    assert manager.register(Plugin(), name="second") == "second"


def test_one_object_cannot_be_registered_twice() -> None:
    manager = HookManager(Specs)
    plugin = Plugin()
    manager.register(plugin, name="a")
    with pytest.raises(RegistrationError, match="^plugin 'b' is already registered, as 'a'$"):
        manager.register(plugin, name="b")


def test_unregister_by_name_or_object_removes_its_implementations() -> None:
    manager = HookManager(Specs)
    plugin = Plugin()
    manager.register(plugin)
    assert manager.unregister(plugin) is plugin
    assert manager.call.before_complete_task(task_id="t", owner_id="o", actor_id="a") == []
    manager.register(plugin)
    manager.unregister("Plugin")
    assert not manager.is_registered(plugin)


def test_unregister_of_an_unknown_plugin_is_an_error() -> None:
    with pytest.raises(
        RegistrationError, match="^cannot unregister 'ghost': no plugin of that name or identity is registered$"
    ):
        HookManager(Specs).unregister("ghost")


def test_block_unregisters_and_ignores_later_registrations() -> None:
    manager = HookManager(Specs)
    manager.register(Plugin())
    manager.block("Plugin")
    assert manager.is_blocked("Plugin")
    assert not manager.is_registered("Plugin")
    assert manager.register(Plugin()) is None
    assert manager.call.before_complete_task(task_id="t", owner_id="o", actor_id="a") == []
    assert manager.unblock("Plugin")
    assert not manager.unblock("Plugin")
    assert manager.register(Plugin()) == "Plugin"


def test_listing_plugins_and_a_plugins_hooks() -> None:
    class Two:
        @hookimpl
        def other(self) -> int:
            return 1

        @hookimpl
        def before_complete_task(self) -> str:
            return ""

    manager = HookManager(Specs)
    one = Plugin()
    manager.register(one)
    manager.register(Two(), name="two")
    assert list(manager.plugins) == ["Plugin", "two"]
    assert manager.plugins["Plugin"] is one
    assert manager.plugin_hooks("two") == ["before_complete_task", "other"]
    assert manager.plugin_info("two").source == "code"
    with pytest.raises(RegistrationError, match=r"^no plugin named 'three' is registered \(registered: Plugin, two\)$"):
        manager.plugin_hooks("three")


def test_a_handler_registered_by_hook_name_receives_the_context_mapping() -> None:
    seen: list[dict[str, Any]] = []

    def handler(context: Any) -> str:
        seen.append(dict(context))
        return "ok"

    manager = HookManager(Specs)
    assert manager.register("other", handler, priority=5) == "handler"
    assert manager.hook("other")(x=7) == ["ok"]
    assert seen == [{"x": 7}]


def test_a_handler_context_is_read_only() -> None:
    def handler(context: Any) -> None:
        context["x"] = 1

    manager = HookManager(Specs)
    manager.register("other", handler)
    with pytest.raises(TypeError, match="does not support item assignment"):
        manager.call.other(x=7)


def test_a_handler_that_does_not_take_one_argument_is_an_error() -> None:
    def handler(a: int, b: int) -> None:
        return None

    with pytest.raises(
        PluginValidationError,
        match=r"takes \(a, b\); a handler registered by hook name takes one argument, the context mapping",
    ):
        HookManager(Specs).register("other", handler, name="h")


def test_register_with_a_hook_name_needs_a_handler() -> None:
    with pytest.raises(TypeError, match=r"register\('other'\) needs a handler"):
        HookManager(Specs).register("other")


def test_register_with_a_handler_needs_a_hook_name_first() -> None:
    with pytest.raises(TypeError, match="the first argument must be a hook name"):
        HookManager(Specs).register(Plugin(), lambda context: None)  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]


def test_manager_order_must_be_fifo_or_lifo() -> None:
    with pytest.raises(ValueError, match="^order must be 'fifo' or 'lifo', not 'random'$"):
        HookManager(Specs, order="random")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]


def test_wrapper_generators_are_accepted() -> None:
    class Wrap:
        @hookimpl(wrapper=True)
        def other(self) -> Generator[None, list[int], list[int]]:
            result = yield
            return result

    manager = HookManager(Specs)
    manager.register(Wrap())
    assert manager.hook("other").plugins == ["Wrap"]


def test_unknown_hook_lookup_suggests_a_close_name() -> None:
    from hookwise import HookCallError

    with pytest.raises(
        HookCallError,
        match=r"^no hook named 'othr' is declared; did you mean 'other'\? \(declared: before_complete_task, other\)$",
    ):
        HookManager(Specs).hook("othr")


# -- implementation options ---------------------------------------------------------------------


def test_the_keyword_options_are_the_declared_implementation_options() -> None:
    """``hookimpl(**options)`` and ``register(hook, handler, **options)`` take exactly what ImplOptions declares."""
    assert tuple(ImplementationOptions.__annotations__) == ImplOptions._fields
    assert tuple(HandlerOptions.__annotations__) == ("priority", "tryfirst", "trylast", "before", "after")


def test_an_unknown_option_is_a_type_error_with_a_suggestion() -> None:
    with pytest.raises(
        TypeError,
        match=r"^hookimpl\(\) got an unknown option 'priorty'; did you mean 'priority'\? \(options: priority, tryfirst, "
        r"trylast, before, after, wrapper, specname, optional\)$",
    ):
        hookimpl(priorty=1)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]


def test_an_option_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^hookimpl\(\): option priority='10' must be an int$"):
        hookimpl(priority="10")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    with pytest.raises(
        TypeError, match=r"^hookimpl\(\): option before=3 must be a plugin name or a sequence of plugin names$"
    ):
        hookimpl(before=3)  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]


def test_a_handler_registered_by_name_takes_only_ordering_options() -> None:
    manager = HookManager()
    manager.add_spec("h", ["x"])
    with pytest.raises(
        TypeError,
        match=r"^register\(\) got an unknown option 'wrapper' \(options: priority, tryfirst, trylast, before, after\)$",
    ):
        manager.register("h", lambda context: None, wrapper=True)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    with pytest.raises(
        TypeError, match=r"^register\(plugin\) takes no ordering options \(priority\); give them to @hookimpl"
    ):
        manager.register(object(), priority=1)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]


# -- registration that would do nothing is an error, or does what was meant ---------------------------


class TodoModule:
    """A module of the todo application: it registers a bound method as a handler."""

    def budget_check_hook(self, context: Any) -> None:
        return None


def test_a_bound_method_is_matched_by_its_object_and_function() -> None:
    """``module.budget_check_hook`` makes a new bound method object each time; it is still the same handler."""
    module = TodoModule()
    manager = HookManager()
    manager.add_spec("todos.before_complete_task", ["task_id"], kind="intercept")
    manager.register("todos.before_complete_task", module.budget_check_hook)
    assert manager.is_registered(module.budget_check_hook)
    assert not manager.is_registered(TodoModule().budget_check_hook)
    assert manager.unregister(module.budget_check_hook) == module.budget_check_hook
    assert not manager.is_registered(module.budget_check_hook)


def test_a_monitor_given_as_a_bound_method_can_be_removed() -> None:
    seen: list[str] = []

    class Audit:
        def watch(self, event: Any) -> None:
            seen.append(event.phase)

    audit = Audit()
    manager = HookManager(Specs)
    manager.register(Plugin())
    manager.add_monitor(audit.watch)
    manager.remove_monitor(audit.watch)
    manager.call.before_complete_task(task_id="t", owner_id="o", actor_id="a")
    assert seen == []


@hookimpl
def other(x: int) -> int:
    return x * 10


def test_a_marked_function_registered_as_a_plugin_implements_its_hook() -> None:
    manager = HookManager(Specs)
    assert manager.register(other) == "other"
    assert manager.call.other(x=2) == [20]


def unmarked(x: int) -> int:
    return x


class Forgetful:
    def other(self, x: int) -> int:  # not marked with @hookimpl
        return x


@pytest.mark.parametrize(
    ("plugin", "name", "message"),
    [
        (5, "int", "plugin 'int' (5 of type int) has no hook implementations: mark the methods or functions"),
        (None, "NoneType", "plugin 'NoneType' (None of type NoneType) has no hook implementations"),
        (
            unmarked,
            "unmarked",
            (
                "plugin 'unmarked' (the function unmarked) has no hook implementations: mark it with @hookimpl to "
                "implement the hook 'unmarked', or register it for a hook by name: register('hook.name', unmarked)"
            ),
        ),
        (Forgetful(), "Forgetful", "has no hook implementations: mark its 'other' with @hookimpl"),
    ],
)
def test_a_plugin_with_no_implementation_is_an_error(plugin: object, name: str, message: str) -> None:
    manager = HookManager(Specs)
    with pytest.raises(PluginValidationError, match=re.escape(message)) as caught:
        manager.register(plugin)
    assert caught.value.plugin == name
    assert manager.plugins == {}


def test_a_handler_whose_parameter_is_a_hook_parameter_is_refused_at_registration() -> None:
    def hello(name: str) -> str:
        return name.upper()

    manager = HookManager()
    manager.add_spec("greet", ["name"])
    with pytest.raises(
        PluginValidationError,
        match=re.escape(
            "plugin 'hello': hello for hook 'greet' takes 'name', a parameter of the hook, but a handler registered "
            "by hook name receives one argument, the context mapping (def hello(context): ... context['name']); to "
            "take the hook's parameters by name, mark the function with @hookimpl and register it as a plugin"
        ),
    ):
        manager.register("greet", hello)


def test_a_handler_annotated_as_a_scalar_is_refused_at_registration() -> None:
    def shout(text: str) -> str:
        return text.upper()

    manager = HookManager()
    manager.add_spec("greet", ["name"])
    with pytest.raises(PluginValidationError, match="takes 'text' annotated 'str', but a handler"):
        manager.register("greet", shout)


def test_pending_implementations_are_listed_and_forgotten_when_unregistered() -> None:
    manager = HookManager()
    for index in range(100):

        class Later:
            @hookimpl(optional=True, specname=f"not_yet_{index}")
            def impl(self) -> None: ...

        manager.register(Later(), name=f"later{index}")
    assert len(manager.pending) == 100
    assert manager.pending["not_yet_7"] == ["later7"]
    for index in range(100):
        manager.unregister(f"later{index}")
    assert dict(manager.pending) == {}


def test_on_registers_the_decorated_function_as_a_handler_and_returns_it() -> None:
    hooks: HookManager[Any] = HookManager()
    hooks.add_spec("todos.before_complete_task", ["task_id", "actor_id"], kind="intercept")
    order: list[str] = []

    @hooks.on("todos.before_complete_task", priority=-10)  # lower runs first
    def first(context: Mapping[str, Any]) -> None:
        order.append(f"first {context['actor_id']}")

    @hooks.on("todos.before_complete_task", name="the veto")
    def second(context: Mapping[str, Any]) -> Veto:
        order.append("second")
        return Veto("no")

    assert first.__name__ == "first"  # the function itself, unchanged
    result = hooks.dispatch("todos.before_complete_task", {"task_id": "t1", "actor_id": "ann"})
    assert (result.vetoed_by, order) == ("the veto", ["first ann", "second"])
    hooks.unregister(first)
    assert hooks.dispatch("todos.before_complete_task", {"task_id": "t1", "actor_id": "ann"}).vetoed
    assert order == ["first ann", "second", "second"]
    with pytest.raises(TypeError, match="prority"):
        hooks.on("todos.before_complete_task", prority=1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
