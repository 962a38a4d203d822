"""Calling hooks: every kind, every error policy, wrappers, provenance, historic hooks, threads."""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable, Generator
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookwise import (
    Allow,
    DispatchResult,
    ErrorPolicy,
    HookCaller,
    HookErrorGroup,
    HookManager,
    HookResultError,
    Kind,
    OperationVetoed,
    Patch,
    PatchConflict,
    PluginResult,
    Veto,
    hookimpl,
    hookspec,
)
from hookwise._engine import COMPILE_AFTER
from hookwise._results import CallRecord


def manager_with(
    kind: Kind,
    params: list[str],
    *handlers: Callable[..., Any],
    policy: ErrorPolicy | None = None,
    historic: bool = False,
) -> HookManager[object]:
    """A manager with hook `h` and each handler registered by name as plugin p0, p1, ... (context style)."""
    manager = HookManager()
    manager.add_spec("h", params, kind=kind, policy=policy, historic=historic)
    for index, handler in enumerate(handlers):
        manager.register("h", handler, name=f"p{index}")
    return manager


# -- collect and first ---------------------------------------------------------------


def test_collect_returns_non_none_results_in_call_order() -> None:
    manager = manager_with("collect", ["x"], lambda c: c["x"], lambda c: None, lambda c: c["x"] * 2)
    assert manager.hook("h")(x=3) == [3, 6]


def test_collect_without_implementations_returns_an_empty_list() -> None:
    assert manager_with("collect", ["x"]).hook("h")(x=1) == []


def test_first_stops_at_the_first_non_none_result() -> None:
    calls: list[str] = []

    def none(context: Any) -> None:
        calls.append("none")

    def zero(context: Any) -> int:
        calls.append("zero")
        return 0

    def never(context: Any) -> int:
        calls.append("never")
        return 1

    manager = manager_with("first", ["x"], none, zero, never)
    assert manager.hook("h")(x=1) == 0
    assert calls == ["none", "zero"]


def test_first_returns_none_when_every_implementation_does() -> None:
    assert manager_with("first", ["x"], lambda c: None).hook("h")(x=1) is None


def test_arguments_can_be_positional_keyword_or_defaulted() -> None:
    class Specs:
        @hookspec
        def h(self, a: int, b: int = 10, *, c: int = 100) -> int:
            raise NotImplementedError

    class Impl:
        @hookimpl
        def h(self, a: int, b: int, *, c: int) -> int:
            return a + b + c

    manager = HookManager(Specs)
    manager.register(Impl())
    assert manager.call.h(1) == [111]
    assert manager.call.h(1, 2, c=3) == [6]
    assert manager.call.h(a=1, b=2) == [103]


def test_a_wrong_argument_is_pythons_own_error_naming_the_hook() -> None:
    manager = manager_with("collect", ["x"])
    with pytest.raises(TypeError, match=r"^h\(\) got an unexpected keyword argument 'y'$"):
        manager.hook("h")(y=1)


# -- intercept ---------------------------------------------------------------------


def test_intercept_with_no_responses_allows_and_keeps_the_arguments() -> None:
    manager = manager_with("intercept", ["a", "b"], lambda c: None, lambda c: Allow())
    result = manager.hook("h")(a=1, b=2)
    assert isinstance(result, DispatchResult)
    assert (result.vetoed, result.reason, result.vetoed_by, dict(result.patches)) == (False, None, None, {})
    assert dict(result.arguments) == {"a": 1, "b": 2}
    assert result


def test_the_first_veto_stops_the_dispatch_and_names_the_plugin() -> None:
    calls: list[str] = []

    def veto(context: Any) -> Veto:
        calls.append("veto")
        return Veto("no")

    def later(context: Any) -> None:
        calls.append("later")

    result = manager_with("intercept", ["a"], veto, later).hook("h")(a=1)
    assert (result.vetoed, result.reason, result.vetoed_by) == (True, "no", "p0")
    assert calls == ["veto"]
    assert not result


def test_patches_compose_later_handlers_see_earlier_patches() -> None:
    seen: list[Any] = []

    def add_work(context: Any) -> Patch:
        return Patch({"tags": [*context["tags"], "work"]})

    def add_urgent(context: Any) -> Patch:
        seen.append(list(context["tags"]))
        return Patch({"tags": [*context["tags"], "urgent"]})

    result = manager_with("intercept", ["title", "tags"], add_work, add_urgent).hook("h")(title="t", tags=[])
    assert seen == [["work"]]
    assert result.patches == {"tags": ["work", "urgent"]}
    assert result.patched_by == {"tags": "p1"}
    assert dict(result.arguments) == {"title": "t", "tags": ["work", "urgent"]}
    assert result.conflicts == (PatchConflict("tags", "p0", ["work"], "p1", ["work", "urgent"]),)


def test_named_parameter_implementations_see_patched_arguments_too() -> None:
    class Specs:
        @hookspec(kind="intercept")
        def before(self, title: str, tags: list[str]) -> None: ...

    class Tagger:
        @hookimpl(priority=1)
        def before(self, title: str) -> Patch:
            return Patch({"title": title.upper()})

    class Checker:
        @hookimpl(priority=2)
        def before(self, title: str) -> Veto | None:
            return Veto(f"saw {title}")

    manager = HookManager(Specs)
    manager.register(Tagger())
    manager.register(Checker())
    result = manager.call.before(title="x", tags=[])
    assert (result.reason, result.vetoed_by, result.patches) == ("saw X", "Checker", {"title": "X"})


def test_the_same_value_patched_twice_is_no_conflict() -> None:
    result = manager_with("intercept", ["a"], lambda c: Patch({"a": 2}), lambda c: Patch({"a": 2})).hook("h")(a=1)
    assert result.conflicts == ()


def test_a_veto_after_a_patch_keeps_the_patches() -> None:
    result = manager_with("intercept", ["a"], lambda c: Patch({"a": 2}), lambda c: Veto("stop")).hook("h")(a=1)
    assert (result.vetoed, dict(result.patches), dict(result.arguments)) == (True, {"a": 2}, {"a": 2})


def test_a_patch_of_an_unknown_key_is_an_error_which_the_veto_policy_turns_into_a_veto() -> None:
    result = manager_with("intercept", ["a"], lambda c: Patch({"b": 1})).hook("h")(a=1)
    assert result.vetoed
    assert isinstance(result.exception, HookResultError)
    assert str(result.exception).endswith("patched 'b', which is not a parameter of hook h(a)")


def test_a_patch_of_an_unknown_key_raises_under_the_raise_policy() -> None:
    manager = manager_with("intercept", ["a"], lambda c: Patch({"b": 1, "c": 2}), policy="raise")
    with pytest.raises(HookResultError, match=r"patched 'b', 'c', which are not parameters of hook h\(a\)$"):
        manager.hook("h")(a=1)


def test_an_intercept_handler_returning_something_else_is_an_error() -> None:
    manager = manager_with("intercept", ["a"], lambda c: "yes", policy="raise")
    with pytest.raises(
        HookResultError,
        match=r"returned 'yes' from intercept hook 'h'; intercept handlers return None, Allow\(\), Veto\(reason\) or Patch\(mapping\)$",
    ):
        manager.hook("h")(a=1)


def test_raise_if_vetoed_raises_operation_vetoed_with_reason_plugin_and_hook() -> None:
    result = manager_with("intercept", ["a"], lambda c: Veto("over budget")).hook("h")(a=1)
    with pytest.raises(OperationVetoed, match=r"^over budget \(vetoed by plugin 'p0' in hook 'h'\)$") as info:
        result.raise_if_vetoed()
    assert (info.value.reason, info.value.plugin, info.value.hook) == ("over budget", "p0", "h")


def test_raise_if_vetoed_does_nothing_when_allowed() -> None:
    manager_with("intercept", ["a"]).hook("h")(a=1).raise_if_vetoed()


# -- observe ---------------------------------------------------------------------------


def test_observe_ignores_return_values_and_returns_none() -> None:
    calls: list[int] = []

    def watcher(context: Any) -> int:
        calls.append(context["a"])
        return 42

    assert manager_with("observe", ["a"], watcher).hook("h")(a=5) is None
    assert calls == [5]


@pytest.mark.parametrize(("response", "what"), [(Veto("late"), "vetoed"), (Patch({"a": 1}), "patched")])
def test_an_after_hook_cannot_veto_or_patch(response: object, what: str) -> None:
    manager = manager_with("observe", ["a"], lambda c: response)
    with pytest.raises(
        HookResultError,
        match=f"{what} after-hook 'h' \\(returned .*\\); observe hooks run after the operation and cannot veto or patch it$",
    ) as info:
        manager.hook("h")(a=1)
    assert info.value.plugin == "p0"


# -- error policies ----------------------------------------------------------------


def boom(context: Any) -> None:
    raise ValueError("boom")


def test_raise_policy_propagates_the_original_exception_with_a_note_and_stops() -> None:
    later: list[int] = []
    manager = manager_with("collect", ["a"], lambda c: 1, boom, lambda c: later.append(1))
    with pytest.raises(ValueError, match="boom") as info:
        manager.hook("h")(a=1)
    assert str(info.value) == "boom"
    assert info.value.__notes__ == ["hookwise: raised by implementation boom of plugin 'p1' in hook 'h'"]
    assert later == []


def test_veto_policy_turns_the_exception_into_a_veto_naming_exception_and_plugin() -> None:
    result = manager_with("intercept", ["a"], lambda c: None, boom).hook("h")(a=1)
    assert (result.vetoed, result.vetoed_by) == (True, "p1")
    assert result.reason == "plugin 'p1' raised ValueError: boom"
    assert isinstance(result.exception, ValueError)
    with pytest.raises(OperationVetoed) as info:
        result.raise_if_vetoed()
    assert info.value.__cause__ is result.exception


def test_veto_policy_keeps_patches_made_before_the_failure() -> None:
    result = manager_with("intercept", ["a"], lambda c: Patch({"a": 9}), boom).hook("h")(a=1)
    assert (result.vetoed, dict(result.patches)) == (True, {"a": 9})


def test_isolate_policy_runs_everything_and_raises_every_failure_together() -> None:
    ran: list[int] = []

    def other_boom(context: Any) -> None:
        raise KeyError("k")

    def seven(context: Any) -> int:
        ran.append(1)
        return 7

    manager = manager_with("collect", ["a"], boom, seven, other_boom, policy="isolate")
    with pytest.raises(HookErrorGroup) as info:
        manager.hook("h")(a=1)
    group = info.value
    assert str(group) == "2 implementations of hook 'h' failed: 'p0', 'p2' (2 sub-exceptions)"
    assert [type(e) for e in group.exceptions] == [ValueError, KeyError]
    assert group.plugins == ("p0", "p2")
    assert group.partial == [7]
    assert ran == [1]
    assert group.exceptions[0].__notes__ == ["hookwise: raised by implementation boom of plugin 'p0' in hook 'h'"]


def test_isolate_policy_without_failures_returns_normally() -> None:
    assert manager_with("collect", ["a"], lambda c: 1, policy="isolate").hook("h")(a=1) == [1]


def test_isolate_policy_on_first_reports_failures_before_the_result() -> None:
    manager = manager_with("first", ["a"], boom, lambda c: "found", policy="isolate")
    with pytest.raises(HookErrorGroup) as info:
        manager.hook("h")(a=1)
    assert info.value.partial == "found"


def test_isolate_policy_on_intercept_keeps_the_veto_as_partial_result() -> None:
    manager = manager_with("intercept", ["a"], boom, lambda c: Veto("no"), policy="isolate")
    with pytest.raises(HookErrorGroup) as info:
        manager.hook("h")(a=1)
    assert info.value.partial.vetoed_by == "p1"


def test_isolate_policy_on_observe_collects_bad_returns_too() -> None:
    manager = manager_with("observe", ["a"], lambda c: Veto("x"), boom, policy="isolate")
    with pytest.raises(HookErrorGroup) as info:
        manager.hook("h")(a=1)
    assert [type(e) for e in info.value.exceptions] == [HookResultError, ValueError]


def test_except_star_splits_keep_the_groups_attributes() -> None:
    manager = manager_with("collect", ["a"], boom, policy="isolate")
    caught: list[HookErrorGroup] = []
    try:
        manager.hook("h")(a=1)
    except* ValueError as group:
        assert isinstance(group, HookErrorGroup)
        caught.append(group)
    assert caught[0].hook == "h"


def test_base_exceptions_are_never_turned_into_vetoes() -> None:
    def interrupt(context: Any) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        manager_with("intercept", ["a"], interrupt).hook("h")(a=1)


# -- wrappers --------------------------------------------------------------------------


class Specs:
    @hookspec
    def h(self, x: int) -> int:
        raise NotImplementedError


def wrapped(*plugins: object) -> HookManager[Specs]:
    manager = HookManager(Specs)
    for plugin in plugins:
        manager.register(plugin)
    return manager


class Double:
    @hookimpl
    def h(self, x: int) -> int:
        return x * 2


def test_a_wrapper_receives_the_outcome_and_may_replace_it() -> None:
    class Wrap:
        @hookimpl(wrapper=True)
        def h(self, x: int) -> Generator[None, list[int], list[int]]:
            result = yield
            return [*result, x]

    assert wrapped(Double(), Wrap()).call.h(x=3) == [6, 3]


def test_an_exception_is_raised_into_the_wrapper_which_may_handle_it() -> None:
    class Fail:
        @hookimpl
        def h(self) -> int:
            raise ValueError("inner")

    class Rescue:
        @hookimpl(wrapper=True)
        def h(self) -> Generator[None, list[int], list[int]]:
            try:
                yield
            except ValueError as e:
                return [len(str(e))]
            raise AssertionError("not reached")

    assert wrapped(Fail(), Rescue()).call.h(x=1) == [5]


def test_a_wrapper_may_raise_its_own_exception_with_a_note() -> None:
    class Replace:
        @hookimpl(wrapper=True)
        def h(self) -> Generator[None, list[int], list[int]]:
            yield
            raise RuntimeError("wrapper says no")

    with pytest.raises(RuntimeError, match="wrapper says no") as info:
        wrapped(Double(), Replace()).call.h(x=1)
    assert info.value.__notes__ == ["hookwise: raised by wrapper Replace.h of plugin 'Replace' in hook 'h'"]


def test_an_exception_the_wrapper_lets_through_propagates_unchanged() -> None:
    class Fail:
        @hookimpl
        def h(self) -> int:
            raise ValueError("inner")

    class Pass:
        @hookimpl(wrapper=True)
        def h(self) -> Generator[None, list[int], list[int]]:
            return (yield)

    with pytest.raises(ValueError, match="inner") as info:
        wrapped(Fail(), Pass()).call.h(x=1)
    assert len(info.value.__notes__) == 1


def test_a_wrapper_that_fails_before_yielding_fails_the_call_with_a_note() -> None:
    class Early:
        @hookimpl(wrapper=True)
        def h(self) -> Generator[None, list[int], list[int]]:
            raise OSError("setup")
            yield

    with pytest.raises(OSError, match="setup") as info:
        wrapped(Double(), Early()).call.h(x=1)
    assert "wrapper" in info.value.__notes__[0]


def test_an_inner_wrappers_setup_failure_is_raised_into_the_outer_wrapper() -> None:
    seen: list[str] = []

    class Outer:
        @hookimpl(wrapper=True, tryfirst=True)
        def h(self) -> Generator[None, list[int], list[int]]:
            try:
                return (yield)
            except OSError:
                seen.append("outer saw it")
                return [0]

    class Inner:
        @hookimpl(wrapper=True)
        def h(self) -> Generator[None, list[int], list[int]]:
            raise OSError("setup")
            yield

    assert wrapped(Double(), Outer(), Inner()).call.h(x=1) == [0]
    assert seen == ["outer saw it"]


def test_a_wrapper_that_does_not_yield_is_an_error() -> None:
    class NoYield:
        @hookimpl(wrapper=True)
        def h(self) -> Generator[None, list[int], list[int]]:
            if False:
                yield
            return []

    with pytest.raises(HookResultError, match=r"wrapper .*NoYield.h of hook 'h' did not yield$"):
        wrapped(NoYield()).call.h(x=1)


@pytest.mark.parametrize("fail_inner", [False, True])
def test_a_wrapper_that_yields_twice_is_an_error(fail_inner: bool) -> None:
    class Fail:
        @hookimpl
        def h(self) -> int:
            raise ValueError("inner")

    class Twice:
        @hookimpl(wrapper=True)
        def h(self) -> Generator[None, list[int], list[int]]:
            with contextlib.suppress(ValueError):
                yield
            yield
            return []

    plugins = [Twice(), Fail() if fail_inner else Double()]
    with pytest.raises(HookResultError, match="yielded twice; a wrapper yields once$"):
        wrapped(*plugins).call.h(x=1)


def test_wrappers_around_an_intercept_see_the_dispatch_result() -> None:
    manager = manager_with("intercept", ["a"], lambda c: Veto("no"))

    class Audit:
        seen: ClassVar[list[DispatchResult]] = []

        @hookimpl(wrapper=True, specname="h")
        def wrap(self) -> Generator[None, DispatchResult, DispatchResult]:
            result = yield
            self.seen.append(result)
            return result

    manager.register(Audit())
    assert manager.hook("h")(a=1).vetoed
    assert Audit.seen[0].vetoed_by == "p0"


# -- provenance ---------------------------------------------------------------------------


def test_provenance_says_which_plugin_returned_which_result() -> None:
    manager = manager_with("collect", ["x"], lambda c: "a", lambda c: None, lambda c: "c")
    record = manager.hook("h").call_with_provenance(x=1)
    assert isinstance(record, CallRecord)
    assert record.result == ["a", "c"]
    assert record.results == [PluginResult("p0", "a"), PluginResult("p2", "c")]
    assert record.by_plugin == {"p0": "a", "p2": "c"}


def test_provenance_of_a_first_hook_names_the_winner() -> None:
    manager = manager_with("first", ["x"], lambda c: None, lambda c: "won", lambda c: "never")
    record = manager.hook("h").call_with_provenance(x=1)
    assert (record.result, record.results) == ("won", [PluginResult("p1", "won")])


def test_provenance_with_wrappers_records_implementations_and_the_final_result() -> None:
    class Wrap:
        @hookimpl(wrapper=True)
        def h(self) -> Generator[None, list[int], list[int]]:
            result = yield
            return [sum(result)]

    class One:
        @hookimpl
        def h(self) -> int:
            return 1

    manager = wrapped(Double(), One(), Wrap())
    record = manager.hook(Specs.h).call_with_provenance(x=5)
    assert record.result == [11]
    assert record.results == [PluginResult("Double", 10), PluginResult("One", 1)]


def test_provenance_caller_is_rebuilt_after_registration() -> None:
    manager = manager_with("collect", ["x"], lambda c: "a")
    assert manager.hook("h").call_with_provenance(x=1).results == [PluginResult("p0", "a")]
    manager.register("h", lambda c: "b", name="late")
    assert manager.hook("h").call_with_provenance(x=1).by_plugin == {"p0": "a", "late": "b"}


# -- historic ---------------------------------------------------------------------------------


def test_historic_calls_are_replayed_to_late_implementations() -> None:
    seen: list[tuple[str, int]] = []
    manager = manager_with("observe", ["x"], lambda c: seen.append(("early", c["x"])), historic=True)
    manager.hook("h")(x=1)
    manager.hook("h")(x=2)
    manager.register("h", lambda c: seen.append(("late", c["x"])), name="late")
    assert seen == [("early", 1), ("early", 2), ("late", 1), ("late", 2)]
    manager.hook("h")(x=3)
    assert seen[-2:] == [("early", 3), ("late", 3)]


def test_historic_hooks_with_wrappers_record_each_call_once() -> None:
    class HSpecs:
        @hookspec(historic=True)
        def configured(self, value: int) -> int:
            raise NotImplementedError

    class Wrap:
        @hookimpl(wrapper=True)
        def configured(self) -> Generator[None, list[int], list[int]]:
            return (yield)

    manager = HookManager(HSpecs)
    manager.register(Wrap())
    manager.call.configured(value=1)
    seen: list[int] = []

    class Late:
        @hookimpl
        def configured(self, value: int) -> int:
            seen.append(value)
            return value

    manager.register(Late())
    assert seen == [1]


# -- registration while dispatching; threads ----------------------------------------------


def test_registering_during_a_dispatch_affects_only_later_dispatches() -> None:
    manager = manager_with("collect", ["x"])
    calls: list[str] = []

    def registrar(context: Any) -> str:
        calls.append("registrar")
        if not manager.is_registered("late"):
            manager.register("h", lambda c: "late", name="late")
        return "registrar"

    manager.register("h", registrar, name="registrar")
    assert manager.hook("h")(x=1) == ["registrar"]
    assert manager.hook("h")(x=1) == ["registrar", "late"]


def test_unregistering_during_a_dispatch_affects_only_later_dispatches() -> None:
    manager = manager_with("collect", ["x"])

    def first(context: Any) -> str:
        if manager.is_registered("second"):
            manager.unregister("second")
        return "first"

    manager.register("h", first, name="first")
    manager.register("h", lambda c: "second", name="second")
    assert manager.hook("h")(x=1) == ["first", "second"]
    assert manager.hook("h")(x=1) == ["first"]


def test_concurrent_registration_never_breaks_a_dispatch() -> None:
    manager = manager_with("collect", ["x"], lambda c: "stable")
    stop = threading.Event()
    errors: list[BaseException] = []

    def churn() -> None:
        index = 0
        while not stop.is_set():
            name = f"churn{index % 5}"
            if manager.is_registered(name):
                manager.unregister(name)
            else:
                manager.register("h", lambda c: "churn", name=name)
            index += 1

    def dispatch() -> None:
        try:
            for _ in range(2000):
                result = manager.hook("h")(x=1)
                assert result[0] == "stable"
                assert set(result[1:]) <= {"churn"}
        except BaseException as e:  # pragma: no cover - only on failure
            errors.append(e)

    churner = threading.Thread(target=churn)
    churner.start()
    readers = [threading.Thread(target=dispatch) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    stop.set()
    churner.join()
    assert errors == []


# -- properties ------------------------------------------------------------------------------

responses = st.one_of(
    st.none(),
    st.just(Allow()),
    st.builds(Veto, st.sampled_from(["r1", "r2"])),
    st.builds(Patch, st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(responses, max_size=6))
def test_intercept_agrees_with_a_reference_dispatcher(answers: list[Any]) -> None:
    """Patches compose in order, the first veto stops, conflicts list differing re-patches."""
    seen: list[dict[str, Any]] = []

    def handler(answer: Any) -> Callable[[Any], Any]:
        def respond(context: Any) -> Any:
            seen.append(dict(context))
            return answer

        return respond

    manager = manager_with("intercept", ["a", "b"], *(handler(a) for a in answers))
    result = manager.hook("h")(a=0, b=0)

    args = {"a": 0, "b": 0}
    patches: dict[str, Any] = {}
    owner: dict[str, str] = {}
    conflicts = []
    expected_seen = []
    vetoed_by = None
    for index, answer in enumerate(answers):
        expected_seen.append(dict(args))
        if isinstance(answer, Veto):
            vetoed_by = f"p{index}"
            break
        if isinstance(answer, Patch):
            for key, value in answer.data.items():
                if key in owner and owner[key] != f"p{index}" and patches[key] != value:
                    conflicts.append(PatchConflict(key, owner[key], patches[key], f"p{index}", value))
                patches[key] = value
                owner[key] = f"p{index}"
            args.update(answer.data)
    assert seen == expected_seen
    assert result.vetoed_by == vetoed_by
    assert dict(result.patches) == patches
    assert dict(result.arguments) == args
    assert list(result.conflicts) == conflicts


# -- compiled callers ------------------------------------------------------------------------


def warm(caller: HookCaller[..., Any], **kwargs: Any) -> None:
    """Call until the hook runs its compiled caller (a few calls of unchanged implementations)."""
    for _ in range(50):
        caller(**kwargs)
        if caller.compiled:
            return
    raise AssertionError(f"{caller!r} was not compiled after 50 calls")


def test_a_registration_rebuilds_only_the_hooks_it_affects() -> None:
    manager = HookManager()
    manager.add_spec("a", [])
    manager.add_spec("b", [])
    manager.register("a", lambda c: "a1", name="a1")
    warm(manager.hook("a"))
    warm(manager.hook("b"))
    manager.register("b", lambda c: "b1", name="b1")
    assert manager.hook("a").compiled
    assert not manager.hook("b").compiled
    assert manager.hook("b")() == ["b1"]


def test_a_call_right_after_a_registration_is_interpreted_and_compiled_once_called_again() -> None:
    """Registering and calling in turn never compiles: hot hooks compile once their plugins settle."""
    manager = HookManager()
    manager.add_spec("h", ["x"])
    for index in range(20):
        manager.register("h", lambda c, i=index: i, name=f"p{index}")
        assert manager.hook("h")(x=0) == list(range(index + 1))
        assert manager.hook("h").compiled is (COMPILE_AFTER <= 1)  # by default: interpreted
    warm(manager.hook("h"), x=0)
    assert manager.hook("h")(x=0) == list(range(20))


def test_the_relay_holds_the_compiled_caller_itself_once_compiled() -> None:
    manager = manager_with("collect", ["x"], lambda c: 1)
    relay: Any = manager.call
    warm(manager.hook("h"), x=1)
    assert relay.h(x=1) == [1]
    assert relay.h.__name__ == "h"
    assert relay.h.__code__.co_filename.startswith("<hookwise h #")
    assert "def _hw_call(x):" in inspect.getsource(relay.h)
    assert inspect.getsource(relay.h) == manager.hook("h").source()


def test_the_first_call_after_many_registrations_sees_all_of_them_in_order() -> None:
    manager = HookManager()
    manager.add_spec("h", ["x"])
    for index in range(300):
        manager.register("h", lambda c, i=index: i, name=f"p{index}", priority=-index % 7)
    expected = sorted(range(300), key=lambda i: (-i % 7, i))
    assert manager.hook("h")(x=0) == expected


# -- wrappers are held to the kind's outcome and the hook's error policy -----------------------------


class Save:
    @hookspec(kind="intercept")
    def before_save(self, item: str) -> None: ...

    @hookspec(kind="intercept", policy="isolate")
    def before_send(self, item: str) -> None: ...


class Refuse:
    @hookimpl
    def before_save(self, item: str) -> Veto:
        return Veto("read only")

    @hookimpl
    def before_send(self, item: str) -> Veto:
        return Veto("offline")


class Forgets:
    """A wrapper that forgets ``return result``: the veto must not disappear."""

    @hookimpl(wrapper=True)
    def before_save(self, item: str) -> Generator[None, DispatchResult, None]:
        yield

    @hookimpl(wrapper=True)
    def before_send(self, item: str) -> Generator[None, DispatchResult, None]:
        yield


@pytest.mark.parametrize("tier", ["interpreted", "compiled"])
def test_an_intercept_wrapper_that_forgets_to_return_vetoes_in_its_own_name(tier: str) -> None:
    hooks = HookManager(Save)
    hooks.register(Refuse())
    hooks.register(Forgets())
    if tier == "compiled":
        warm(hooks.hook("before_save"), item="x")
    result = hooks.call.before_save(item="x")
    assert (result.vetoed, result.vetoed_by) == (True, "Forgets")
    assert result.reason == (
        "plugin 'Forgets': wrapper Forgets.before_save of intercept hook 'before_save' returned None; it must return "
        "the DispatchResult its yield received (or another one): did it forget `return result`?"
    )
    assert isinstance(result.exception, HookResultError)


def test_a_wrapper_fault_under_the_isolate_policy_is_reported_in_the_group() -> None:
    hooks = HookManager(Save)
    hooks.register(Refuse())
    hooks.register(Forgets())
    with pytest.raises(HookErrorGroup) as caught:
        hooks.call.before_send(item="x")
    assert caught.value.plugins == ("Forgets",)
    assert caught.value.hook == "before_send"


def test_a_wrapper_that_yields_twice_vetoes_under_the_veto_policy() -> None:
    class Twice:
        @hookimpl(wrapper=True)
        def before_save(self, item: str) -> Generator[None, DispatchResult, DispatchResult]:
            result = yield
            yield
            return result

    hooks = HookManager(Save)
    hooks.register(Twice())
    result = hooks.call.before_save(item="x")
    assert (result.vetoed, result.vetoed_by) == (True, "Twice")
    assert (
        result.reason
        == "plugin 'Twice': wrapper Twice.before_save of hook 'before_save' yielded twice; a wrapper yields once"
    )


def test_a_collect_wrapper_must_leave_a_list() -> None:
    class Labels:
        @hookspec
        def labels(self, item: str) -> str:
            raise NotImplementedError

    class Stringly:
        @hookimpl(wrapper=True)
        def labels(self, item: str) -> Generator[None, list[str], str]:
            result = yield
            return ",".join(result)

    hooks = HookManager(Labels)
    hooks.register(Stringly())
    with pytest.raises(
        HookResultError,
        match=r"^plugin 'Stringly': wrapper Stringly.labels of collect hook 'labels' returned ''; it must return a list",
    ):
        hooks.call.labels(item="x")


@pytest.mark.parametrize("tier", ["interpreted", "compiled"])
def test_a_runaway_recursion_never_ends_as_an_allowed_dispatch(tier: str) -> None:
    """Each level ignores what the nested dispatch said; the RecursionError must still reach the caller."""
    hooks = HookManager()
    hooks.add_spec("h", ["x"], kind="intercept")  # the veto policy

    def handler(context: Any) -> None:
        hooks.dispatch("h", {"x": context["x"]})

    if tier == "compiled":
        hooks.register("h", lambda context: None, name="quiet")
        warm(hooks.hook("h"), x=1)
        hooks.unregister("quiet")
    hooks.register("h", handler)
    with pytest.raises(RecursionError):
        hooks.dispatch("h", {"x": 1})
