"""Hook specs: declared on classes or by name, with kinds and options."""

from __future__ import annotations

import re

import pytest

from hookwise import HookManager, HookSpec, SpecError, hookspec


class Specs:
    @hookspec
    def collect_it(self, a: int, b: int = 2) -> int:
        """Collect things."""
        raise NotImplementedError

    @hookspec(kind="first")
    def first_it(self, a: int) -> str | None: ...

    @hookspec(kind="intercept", name="app.before_save")
    def before_save(self, item: str) -> None: ...

    @hookspec(kind="observe", historic=True)
    def after_save(self, item: str, *, by: str) -> None: ...


def test_class_specs_declare_every_hook_with_name_params_kind_and_doc() -> None:
    manager = HookManager(Specs)
    assert manager.hook_names == ["collect_it", "first_it", "app.before_save", "after_save"]
    spec = manager.hook("collect_it").spec
    assert (spec.kind, spec.policy, spec.param_names, spec.doc) == ("collect", "raise", ("a", "b"), "Collect things.")
    assert spec.signature_text() == "collect_it(a, b=...)"
    assert manager.hook("after_save").spec.signature_text() == "after_save(item, *, by)"


def test_kind_defaults_policy_veto_for_intercept_and_raise_otherwise() -> None:
    manager = HookManager(Specs)
    assert manager.hook("app.before_save").spec.policy == "veto"
    assert manager.hook("first_it").spec.policy == "raise"


def test_spec_name_can_differ_from_the_method_and_the_relay_uses_the_attribute() -> None:
    manager = HookManager(Specs)
    result = manager.call.before_save(item="x")
    assert result.hook == "app.before_save"
    assert not result.vetoed


def test_the_spec_descriptor_read_on_the_class_is_the_spec() -> None:
    assert isinstance(Specs.collect_it, HookSpec)
    assert Specs.before_save.name == "app.before_save"


def test_spec_declared_by_name_with_parameter_names() -> None:
    manager = HookManager()
    spec = manager.add_spec("todos.before_complete_task", ["task_id", "owner_id"], kind="intercept", doc="d")
    assert spec.signature_text() == "todos.before_complete_task(task_id, owner_id)"
    assert manager.hook("todos.before_complete_task").spec is spec


def test_adding_the_same_spec_twice_is_harmless() -> None:
    manager = HookManager(Specs)
    manager.add_specs(Specs)
    assert manager.hook_names.count("collect_it") == 1


def test_two_specs_with_one_name_and_different_signatures_is_an_error() -> None:
    manager = HookManager()
    manager.add_spec("h", ["a", "b"])
    with pytest.raises(
        SpecError,
        match=r"^hook 'h' is already declared as h\(a, b\) \(kind collect, policy raise\); the new declaration h\(a\) \(kind collect, policy raise\) differs$",
    ) as info:
        manager.add_spec("h", ["a"])
    assert info.value.hook == "h"


def test_two_specs_with_one_name_and_different_kinds_is_an_error() -> None:
    manager = HookManager()
    manager.add_spec("h", ["a"])
    with pytest.raises(SpecError, match="kind first, policy raise"):
        manager.add_spec("h", ["a"], kind="first")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "sometimes"}, "hook 'h': kind 'sometimes' is not one of collect, first, intercept, observe"),
        ({"policy": "ignore"}, "hook 'h': error policy 'ignore' is not one of raise, veto, isolate"),
        ({"policy": "veto"}, "hook 'h': error policy 'veto' needs an intercept hook, and this one is collect"),
        (
            {"kind": "first", "historic": True},
            "hook 'h': historic hooks replay past calls to late implementations, which only collect and observe hooks can do; this one is first",
        ),
    ],
)
def test_bad_spec_options_are_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=f"^{message}$"):
        HookManager().add_spec("h", ["a"], **kwargs)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (["a", "a"], "hook 'h': parameter 'a' is declared twice"),
        (["not valid"], "hook 'h': parameter name 'not valid' is not a Python identifier"),
        (["class"], "hook 'h': parameter name 'class' is not a Python identifier"),
        (["_hw_x"], "hook 'h': parameter names starting with '_hw_' are reserved"),
    ],
)
def test_bad_parameter_names_are_errors(params: list[str], message: str) -> None:
    with pytest.raises(SpecError, match=f"^{message}$"):
        HookManager().add_spec("h", params)


def test_params_given_as_one_string_is_an_error() -> None:
    with pytest.raises(SpecError, match="params must be a sequence of names, not the string 'a, b'"):
        HookManager().add_spec("h", "a, b")


def test_star_args_in_a_spec_is_an_error() -> None:
    with pytest.raises(SpecError, match=r"^hook 'h': parameter \*args is not allowed in a spec"):

        class Bad:
            @hookspec
            def h(self, *args: int) -> None: ...


def test_a_spec_method_needs_self() -> None:
    with pytest.raises(SpecError, match="a spec method takes self first"):

        class Bad:
            @hookspec  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
            @staticmethod
            def h() -> None: ...


def test_a_class_without_specs_is_an_error() -> None:
    class Empty:
        pass

    with pytest.raises(SpecError, match="Empty declares no hook specs; mark its methods with @hookspec"):
        HookManager(Empty)


def test_specs_are_inherited_from_base_spec_classes() -> None:
    class More(Specs):
        @hookspec
        def extra(self) -> None: ...

    assert "extra" in HookManager(More).hook_names
    assert "collect_it" in HookManager(More).hook_names


def test_add_specs_returns_the_typed_relay() -> None:
    class Other:
        @hookspec
        def other(self, x: int) -> int:
            raise NotImplementedError

    manager = HookManager(Specs)
    relay = manager.add_specs(Other)
    assert relay.other(x=1) == []
    assert relay is manager.call  # type: ignore[comparison-overlap]


def test_hookspec_on_an_instance_reads_the_declaring_function() -> None:
    assert Specs().first_it(1) is None


def test_a_parameter_name_python_would_read_differently_is_refused() -> None:
    """Python reads identifiers in NFKC form: 'ﬁle' (a ligature) is 'file' in code that names it."""
    with pytest.raises(
        SpecError,
        match=re.escape(
            "hook 'h': parameter name 'ﬁle' is not in the form Python reads names in (NFKC: 'file'); "
            "Python code naming it means 'file': declare 'file'"
        ),
    ):
        HookManager().add_spec("h", ["ﬁle"])
