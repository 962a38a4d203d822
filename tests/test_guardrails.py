"""Rules for hooks, enforced: time budgets, strict (primitive) contexts, hooks that re-enter each other."""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest

from hookwise import (
    BudgetExceededError,
    BudgetWarning,
    HookCallError,
    HookManager,
    HookResultError,
    Patch,
    ReentrancyError,
    SpecError,
    hookimpl,
    hookspec,
)


class Specs:
    @hookspec
    def work(self, x: int) -> int:
        raise NotImplementedError

    @hookspec(kind="intercept")
    def before(self, x: int) -> None: ...

    @hookspec(budget=0.5)
    def generous(self, x: int) -> int:
        raise NotImplementedError


class Slow:
    @hookimpl
    def work(self, x: int) -> int:
        time.sleep(0.03)
        return x

    @hookimpl
    def before(self) -> None:
        time.sleep(0.03)

    @hookimpl
    def generous(self, x: int) -> int:
        time.sleep(0.03)
        return x


class Fast:
    @hookimpl
    def work(self, x: int) -> int:
        return -x


# -- time budgets ---------------------------------------------------------------------


def test_an_implementation_over_budget_warns_naming_hook_plugin_and_duration() -> None:
    hooks = HookManager(Specs, budget=0.01)
    hooks.register(Slow())
    hooks.register(Fast())
    with pytest.warns(
        BudgetWarning, match=r"^plugin 'Slow': Slow.work took \d+\.\d ms in hook 'work', over its budget of 10 ms$"
    ) as record:
        assert hooks.call.work(x=2) == [2, -2]
    (warning,) = record
    assert isinstance(warning.message, BudgetWarning)
    assert (warning.message.plugin, warning.message.hook) == ("Slow", "work")
    assert warning.message.duration >= 0.03


def test_a_spec_budget_wins_over_the_managers() -> None:
    hooks = HookManager(Specs, budget=0.01)
    hooks.register(Slow())
    assert hooks.call.generous(x=1) == [1]  # 30 ms is within the spec's 500 ms: no warning (warnings are errors here)


def test_over_budget_can_be_an_error_under_the_hooks_policy() -> None:
    hooks = HookManager(Specs, budget=0.01, on_budget="error")
    hooks.register(Slow())
    with pytest.raises(BudgetExceededError, match="over its budget of 10 ms") as info:
        hooks.call.work(x=1)
    assert info.value.__notes__ == ["hookwise: raised by implementation Slow.work of plugin 'Slow' in hook 'work'"]
    result = hooks.call.before(x=1)  # the intercept hook's veto policy turns the error into a veto
    assert result.vetoed
    assert result.vetoed_by == "Slow"
    assert "BudgetExceededError" in (result.reason or "")


def test_over_budget_can_be_a_veto_for_intercept_hooks() -> None:
    hooks = HookManager(Specs, budget=0.01, on_budget="veto")
    hooks.register(Slow())
    result = hooks.call.before(x=1)
    assert (result.vetoed, result.vetoed_by) == (True, "Slow")
    assert (result.reason or "").startswith("plugin 'Slow': Slow.before took")
    with pytest.raises(BudgetExceededError):  # other kinds cannot veto: the manager's 'veto' is an error there
        hooks.call.work(x=1)


def test_async_implementations_are_timed_by_their_awaited_wall_time() -> None:
    class Sleepy:
        @hookimpl
        async def work(self, x: int) -> int:
            await asyncio.sleep(0.03)
            return x

    hooks = HookManager(Specs, budget=0.01)
    hooks.register(Sleepy())
    with pytest.warns(BudgetWarning, match="Sleepy.work took"):
        assert asyncio.run(hooks.call.work.acall(x=3)) == [3]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"budget": 0}, "hook 'h': budget must be a positive number of seconds, not 0"),
        ({"on_budget": "ignore"}, "hook 'h': on_budget 'ignore' is not one of warn, error, veto"),
        ({"on_budget": "veto"}, "hook 'h': on_budget='veto' needs an intercept hook, and this one is collect"),
        ({"max_depth": 0}, "hook 'h': max_depth must be at least 1, not 0"),
    ],
)
def test_bad_guardrail_options_are_spec_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=f"^{message}$"):
        HookManager().add_spec("h", [], **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"budget": -1}, "budget must be a positive number of seconds, not -1"),
        ({"on_budget": "panic"}, "on_budget must be 'warn', 'error' or 'veto', not 'panic'"),
    ],
)
def test_bad_manager_guardrail_options_are_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        HookManager(**options)


# -- strict contexts --------------------------------------------------------------------------


class StrictSpecs:
    @hookspec(strict=True)
    def record(self, data: object, tags: object = None) -> None: ...


def strict_manager() -> HookManager[StrictSpecs]:
    hooks = HookManager(StrictSpecs)
    hooks.register("record", lambda context: None, name="sink")
    return hooks


def test_primitive_data_passes_a_strict_context() -> None:
    value = {
        "id": uuid.uuid4(),
        "when": datetime.datetime.now(tz=datetime.UTC),
        "day": datetime.date(2026, 1, 1),
        "price": Decimal("1.5"),
        "items": [1, 2.0, "three", b"four", None, True, (5, 6)],
        "nested": {"a": {"b": [1]}},
    }
    strict_manager().call.record(data=value, tags=["x"])


class Sneaky(str):
    """A str that carries a callable."""

    callback = print


class Hiding(dict[str, object]):
    """A dict that hides its items from iteration."""

    def __iter__(self) -> Any:
        return iter(())


def self_containing() -> list[object]:
    items: list[object] = []
    items.append(items)
    return items


def nested(depth: int) -> list[object]:
    root: list[object] = []
    level = root
    for _ in range(depth):
        inner: list[object] = []
        level.append(inner)
        level = inner
    return root


@pytest.mark.parametrize(
    ("data", "where", "type_name", "problem"),
    [
        (object(), "data", "builtins.object", "is not primitive data"),
        ({"a": [1, {"b": threading.Lock()}]}, "data['a'][1]['b']", "_thread.lock", "is not primitive data"),
        ({1: "x"}, "data key 1", "builtins.int", "is not a str"),
        ([{1, 2}], "data[0]", "builtins.set", "is not primitive data"),
        (Sneaky("x"), "data", "tests.test_guardrails.Sneaky", "is not primitive data"),
        (Hiding(a=threading.Lock()), "data", "tests.test_guardrails.Hiding", "is not primitive data"),
        (self_containing(), "data[0]", "builtins.list", "contains itself"),
        (
            nested(3000),
            ("data" + "[0]" * 64)[:80] + "... (116 more characters)",
            "builtins.list",
            "nests deeper than 64 levels",
        ),
    ],
)
def test_a_strict_context_rejects_other_data_naming_the_argument_and_type(
    data: object, where: str, type_name: str, problem: str
) -> None:
    with pytest.raises(HookCallError) as info:
        strict_manager().call.record(data=data)
    assert str(info.value) == (
        f"hook 'record' takes primitive data only (strict context); argument {where} ({type_name}) {problem}: pass "
        "None, bool, int, float, str, bytes, UUID, Decimal, date/time values (exactly these types, not subclasses), "
        "or lists, tuples and str-keyed dicts of them, at most 64 levels deep"
    )


def test_handlers_of_a_strict_hook_get_frozen_arguments_they_cannot_change() -> None:
    """Lists reach handlers as tuples and dicts as read-only mappings: no handler changes what later ones see."""
    seen: list[object] = []

    def first(context: Any) -> None:
        seen.append(context["tags"])
        with pytest.raises(AttributeError):
            context["tags"].append(print)
        with pytest.raises(TypeError):
            context["meta"]["k"] = print

    hooks = HookManager()
    hooks.add_spec("save", ["tags", "meta"], kind="intercept", strict=True)
    hooks.register("save", first)
    tags = ["a", ["b"]]
    result = hooks.dispatch("save", {"tags": tags, "meta": {"k": [1]}})
    assert seen == [("a", ("b",))]
    assert result.arguments["tags"] == ("a", ("b",))
    assert tags == ["a", ["b"]]  # the caller's list is untouched


def test_a_patch_of_a_strict_hook_must_be_primitive_too() -> None:
    hooks = HookManager()
    hooks.add_spec("save", ["item"], kind="intercept", strict=True, policy="raise")
    hooks.register("save", lambda context: Patch({"item": threading.Lock()}), name="locker")
    with pytest.raises(HookResultError) as info:
        hooks.dispatch("save", {"item": "x"})
    assert info.value.plugin == "locker"
    assert str(info.value).startswith(
        "hook 'save' takes primitive data only (strict context); plugin 'locker' patched item (_thread.lock) "
        "is not primitive data"
    )


def test_contexts_with_uuids_pass_a_strict_intercept_hook() -> None:
    hooks = HookManager()
    hooks.add_spec("todos.before_complete_task", ["task_id", "owner_id", "actor_id"], kind="intercept", strict=True)
    result = hooks.dispatch(
        "todos.before_complete_task", {"task_id": uuid.uuid4(), "owner_id": uuid.uuid4(), "actor_id": uuid.uuid4()}
    )
    assert not result.vetoed


# -- re-entry -----------------------------------------------------------------------------------


class LoopSpecs:
    @hookspec(kind="observe")
    def a(self) -> None: ...

    @hookspec(kind="observe")
    def b(self) -> None: ...

    @hookspec(kind="observe", max_depth=3)
    def countdown(self, n: int) -> None: ...


def loop_manager(**options: Any) -> HookManager[LoopSpecs]:
    return HookManager(LoopSpecs, **options)


def test_hooks_that_call_each_other_in_a_loop_are_an_error_showing_the_chain() -> None:
    hooks = loop_manager(detect_reentry=True)

    class Billing:
        @hookimpl
        def a(self) -> None:
            hooks.call.b()

    class Audit:
        @hookimpl
        def b(self) -> None:
            hooks.call.a()

    hooks.register(Billing())
    hooks.register(Audit())
    with pytest.raises(ReentrancyError) as info:
        hooks.call.a()
    assert str(info.value) == (
        "hook 'a' was called again while it is running: 'a' (in plugin 'Billing') -> 'b' (in plugin 'Audit') -> 'a'; "
        "hooks that call each other in a loop never end. If it recurses on purpose, declare the spec with max_depth= "
        "(now it may run once on one call stack)"
    )
    assert info.value.chain == ("a", "b", "a")
    assert info.value.__notes__ == [
        "hookwise: raised by implementation Audit.b of plugin 'Audit' in hook 'b'",
        "hookwise: raised by implementation Billing.a of plugin 'Billing' in hook 'a'",
    ]


def test_max_depth_allows_recursion_on_purpose_up_to_the_depth() -> None:
    hooks = loop_manager()
    seen: list[int] = []

    class Recurse:
        @hookimpl
        def countdown(self, n: int) -> None:
            seen.append(n)
            if n > 0:
                hooks.call.countdown(n=n - 1)

    hooks.register(Recurse())
    hooks.call.countdown(n=2)  # three nested runs: allowed
    assert seen == [2, 1, 0]
    with pytest.raises(ReentrancyError, match=r"now it may run 3 times on one call stack"):
        hooks.call.countdown(n=3)


def test_without_detection_a_loop_is_pythons_own_recursion_error() -> None:
    hooks = loop_manager()

    class Billing:
        @hookimpl
        def a(self) -> None:
            hooks.call.a()

    hooks.register(Billing())
    with pytest.raises(RecursionError) as info:
        hooks.call.a()
    assert not isinstance(info.value, ReentrancyError)


def test_threads_do_not_see_each_others_call_stacks() -> None:
    hooks = loop_manager(detect_reentry=True)
    barrier = threading.Barrier(2, timeout=5)
    errors: list[BaseException] = []

    class Wait:
        @hookimpl
        def a(self) -> None:
            barrier.wait()  # both threads are inside hook 'a' at once

    hooks.register(Wait())

    def run() -> None:
        try:
            hooks.call.a()
        except BaseException as error:  # pragma: no cover - only on failure
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_asyncio_tasks_do_not_see_each_others_call_stacks() -> None:
    hooks = loop_manager(detect_reentry=True)

    class Sleep:
        @hookimpl
        async def a(self) -> None:
            await asyncio.sleep(0.01)

    hooks.register(Sleep())

    async def both() -> None:
        await asyncio.gather(hooks.call.a.acall(), hooks.call.a.acall())

    asyncio.run(both())


# -- free when unused -------------------------------------------------------------------------------


def test_hooks_without_guardrails_or_monitors_run_the_plain_compiled_caller() -> None:
    hooks = HookManager(Specs)
    hooks.register(Fast())
    assert "_hw_i" not in hooks.hook("work").source()
    remove = hooks.add_monitor(lambda event: None, hooks=["work"])
    assert "_hw_i.enter(" in hooks.hook("work").source()
    assert "_hw_i" not in hooks.hook("generous").source()  # the monitor watches one hook
    remove()
    assert "_hw_i" not in hooks.hook("work").source()  # the plain caller is back
