"""The value types: responses, results and records compare, hash and print as users expect."""

from __future__ import annotations

import types
from typing import Any

import pytest

import hookwise
from hookwise import (
    Allow,
    AllowedResult,
    CallRecord,
    DispatchResult,
    HookErrorGroup,
    HookManager,
    HookResultError,
    OperationVetoed,
    Patch,
    PatchConflict,
    PluginResult,
    PluginValidationError,
    Veto,
    VetoedResult,
    hookimpl,
    hookspec,
)


def test_responses_compare_by_value_and_hash() -> None:
    assert Allow() == Allow()
    assert Veto("a") == Veto("a") != Veto("b")
    assert Patch({"a": 1}) == Patch({"a": 1}) != Patch({"a": 2})
    assert len({Allow(), Allow(), Veto("a"), Veto("a"), Patch({"a": 1}), Patch({"a": 1})}) == 3
    assert Allow() != None  # noqa: E711 - Allow is not None, though it means the same to a dispatch


def test_responses_print_as_they_are_written() -> None:
    assert [repr(Allow()), repr(Veto("no")), repr(Patch({"a": 1}))] == ["Allow()", "Veto('no')", "Patch({'a': 1})"]


def test_a_patch_copies_its_mapping() -> None:
    data = {"a": 1}
    patch = Patch(data)
    data["a"] = 2
    assert patch.data == {"a": 1}


def test_result_records_print_and_compare() -> None:
    conflict = PatchConflict("tags", "a", [1], "b", [2])
    assert repr(conflict) == "PatchConflict('tags': 'a' set [1], then 'b' set [2])"
    assert conflict != "tags"
    assert repr(PluginResult("p", 1)) == "PluginResult('p', 1)"
    assert PluginResult("p", 1) != ("p", 1)
    record = CallRecord([1], [PluginResult("p", 1)])
    assert repr(record) == "CallRecord(result=[1], results=[PluginResult('p', 1)])"


def test_dispatch_results_print_their_outcome() -> None:
    allowed = DispatchResult("h", {"a": 1}, patches={"a": 2})
    vetoed = DispatchResult("h", {"a": 1}, vetoed=True, reason="no", vetoed_by="p")
    assert repr(allowed) == "DispatchResult('h', allowed, patches={'a': 2})"
    assert repr(vetoed) == "DispatchResult('h', vetoed by 'p': 'no')"


def test_operation_vetoed_without_a_plugin_is_just_its_reason() -> None:
    assert str(OperationVetoed("no")) == "no"
    assert str(OperationVetoed(None)) == "vetoed"
    assert str(OperationVetoed("no", plugin="p")) == "no (vetoed by plugin 'p')"


def test_version_comes_from_the_installed_metadata() -> None:
    from importlib.metadata import version

    assert hookwise.__version__ == version("hookwise")
    with pytest.raises(AttributeError, match="module 'hookwise' has no attribute 'nope'"):
        hookwise.nope


class Specs:
    @hookspec
    def h(self, x: int) -> int:
        raise NotImplementedError


class Impl:
    @hookimpl
    def h(self, x: int) -> int:
        return x


def test_managers_callers_plugins_and_specs_print_usefully() -> None:
    manager = HookManager(Specs)
    manager.register(Impl())
    assert repr(manager) == "<HookManager hooks=1 plugins=['Impl'] order=fifo>"
    assert repr(manager.hook("h")) == "<HookCaller h(x) kind=collect impls=1>"
    assert repr(manager.hook("h").spec) == "<HookSpec h(x) kind=collect policy=raise>"
    assert repr(manager.plugin_info("Impl")) == "<PluginInfo 'Impl' hooks=['h'] source='code'>"
    assert repr(manager.call) == "<hook relay: h>"
    (impl,) = manager.hook("h").implementations
    assert repr(impl) == "<HookImpl h plugin='Impl' function=Impl.h>"


def test_blocking_an_unregistered_name_only_blocks() -> None:
    manager = HookManager(Specs)
    manager.block("ghost")
    assert manager.is_blocked("ghost")
    assert not manager.is_registered("ghost")


def test_a_handler_without_a_readable_signature_is_an_error() -> None:
    with pytest.raises(
        PluginValidationError, match="cannot read the signature of <built-in function max> for hook 'h'"
    ):
        HookManager(Specs).register("h", max, name="max")


def test_a_positional_only_parameter_is_an_error() -> None:
    class PosOnly:
        @hookimpl
        def h(self, x: int, /) -> int:
            return x

    with pytest.raises(PluginValidationError, match="takes 'x' positional-only; hook parameters are passed by name"):
        HookManager(Specs).register(PosOnly())


def test_a_handler_taking_keyword_only_context_is_an_error() -> None:
    def handler(*, context: Any) -> None:
        return None

    with pytest.raises(PluginValidationError, match="a handler registered by hook name takes one argument"):
        HookManager(Specs).register("h", handler)


def test_an_instance_of_a_spec_class_declares_the_same_hooks() -> None:
    assert HookManager().add_specs(Specs()) is not None  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_a_module_can_declare_specs() -> None:
    module = types.ModuleType("specs")

    class Holder:
        @hookspec
        def from_module(self) -> None: ...

    module.from_module = Holder.from_module  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    manager = HookManager()
    manager.add_specs(module)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    assert manager.hook_names == ["from_module"]


def test_import_hookwise_leaves_heavy_modules_for_later() -> None:
    """`import hookwise` stays fast: modules needed only at registration or on errors are imported there."""
    import os
    import subprocess
    import sys

    heavy = ["asyncio", "difflib", "importlib.metadata", "inspect", "json", "logging", "threading"]
    code = f"import sys, hookwise; print([m for m in {heavy!r} if m in sys.modules])"
    # Without coverage's variables: measuring the child would import these modules itself.
    env = {name: value for name, value in os.environ.items() if not name.startswith("COVERAGE")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "[]"


# -- messages stay bounded, whatever plugins return -------------------------------------------------


def test_a_huge_veto_reason_never_becomes_a_huge_message() -> None:
    reason = "x" * 10_000_000
    result = DispatchResult("h", {}, vetoed=True, reason=reason, vetoed_by="p")
    assert len(repr(result)) < 400
    with pytest.raises(OperationVetoed) as caught:
        result.raise_if_vetoed()
    assert len(str(caught.value)) < 400
    assert caught.value.reason == reason  # nothing is lost: the whole reason stays on the exception
    assert str(caught.value).startswith("x" * 200 + "... (9999800 more characters) (vetoed by plugin 'p'")


def test_nested_dispatch_results_as_veto_reasons_stay_small() -> None:
    """A handler that vetoes with the result of a nested dispatch, twenty levels deep."""
    hooks = HookManager()
    hooks.add_spec("h", ["depth"], kind="intercept")

    def handler(context: Any) -> Veto:
        if context["depth"] == 0:
            return Veto("base 'reason' with \\ a backslash")
        inner = hooks.dispatch("h", {"depth": context["depth"] - 1})
        return Veto(f"inner: {inner!r} / {inner}")

    hooks.register("h", handler)
    result = hooks.dispatch("h", {"depth": 20})
    assert result.vetoed
    assert result.reason is not None
    assert len(result.reason) < 1000


def test_a_bad_answer_is_named_briefly_in_the_error() -> None:
    hooks = HookManager()
    hooks.add_spec("h", [], kind="intercept", policy="raise")
    hooks.register("h", lambda context: "y" * 1_000_000, name="talker")
    with pytest.raises(HookResultError) as caught:
        hooks.dispatch("h", {})
    assert len(str(caught.value)) < 600
    assert "returned 'yyyy" in str(caught.value)


def test_values_whose_repr_raises_do_not_break_messages() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise ValueError("no repr for you")

    assert repr(Patch({"k": Hostile()})) == "Patch(<dict object; its repr raised ValueError>)"
    assert repr(PluginResult("p", Hostile())) == "PluginResult('p', <Hostile object; its repr raised ValueError>)"


def test_an_error_group_split_keeps_the_plugins_of_what_it_keeps() -> None:
    value, key = ValueError("a"), KeyError("b")
    group = HookErrorGroup("2 implementations failed", [value, key], hook="h", plugins=["one", "two"])
    matched, rest = group.split(KeyError)
    assert isinstance(matched, HookErrorGroup)
    assert isinstance(rest, HookErrorGroup)
    assert (matched.plugins, rest.plugins) == (("two",), ("one",))
    assert (matched.hook, rest.hook) == ("h", "h")


def test_a_dispatch_result_is_an_allowed_or_a_vetoed_result() -> None:
    vetoed = DispatchResult("h", {}, vetoed=True, reason="no", vetoed_by="p")
    allowed = DispatchResult("h", {})
    assert type(vetoed) is VetoedResult
    assert type(allowed) is AllowedResult
    assert isinstance(vetoed, DispatchResult)
    assert (vetoed.vetoed, vetoed.reason, bool(vetoed)) == (True, "no", False)
    assert (allowed.vetoed, allowed.reason, bool(allowed)) == (False, None, True)
    with pytest.raises(
        TypeError, match=r"AllowedResult\('h', vetoed=True\): build a VetoedResult, or a DispatchResult"
    ):
        AllowedResult("h", {}, vetoed=True, reason="no")


def test_a_vetoed_result_needs_a_reason_and_a_veto_a_str() -> None:
    with pytest.raises(TypeError, match=r"DispatchResult\('h', vetoed=True\) needs the veto's reason"):
        DispatchResult("h", {}, vetoed=True)
    with pytest.raises(TypeError, match="Veto\\(reason\\): the reason is what the user is told, a str, not None"):
        Veto(None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_the_results_attributes_are_read_only() -> None:
    result = DispatchResult("h", {}, vetoed=True, reason="no")
    with pytest.raises(AttributeError):
        result.vetoed = False  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]


def test_hooks_return_allowed_and_vetoed_results() -> None:
    hooks = HookManager()
    hooks.add_spec("h", ["x"], kind="intercept")
    assert type(hooks.dispatch("h", {"x": 1})) is AllowedResult
    hooks.register("h", lambda context: Veto("no"), name="vetoer")
    assert type(hooks.dispatch("h", {"x": 1})) is VetoedResult
