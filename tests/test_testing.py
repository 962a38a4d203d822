"""hookwise.testing's helpers, and the pytest plugin that offers them as fixtures."""

from __future__ import annotations

import pytest

from hookwise import HookManager, Patch, Veto, hookimpl, hookspec
from hookwise.testing import CallRecorder, assert_allowed, assert_patched, assert_vetoed, fresh_manager


class TodoHooks:
    @hookspec(kind="intercept")
    def before_complete_task(self, task_id: str, owner_id: str, actor_id: str) -> None: ...

    @hookspec(kind="observe")
    def after_complete_task(self, task_id: str) -> None: ...


class Budget:
    @hookimpl(priority=20)
    def before_complete_task(self, owner_id: str) -> Veto | None:
        return Veto("over budget this week") if owner_id == "ann" else None


class Tidy:
    @hookimpl(priority=10)
    def before_complete_task(self, task_id: str) -> Patch | None:
        return Patch({"task_id": task_id.strip()}) if task_id != task_id.strip() else None


def test_fresh_manager_registers_plugins_in_order() -> None:
    hooks = fresh_manager(TodoHooks, Budget(), Tidy(), order="lifo")
    assert hooks.order == "lifo"
    assert list(hooks.plugins) == ["Budget", "Tidy"]
    assert isinstance(fresh_manager(), HookManager)


def test_assertions_on_vetoes_and_patches() -> None:
    hooks = fresh_manager(TodoHooks, Budget(), Tidy())
    vetoed = hooks.call.before_complete_task(task_id=" t ", owner_id="ann", actor_id="ann")
    assert_vetoed(vetoed, by="Budget", reason="over budget")
    assert_patched(vetoed, {"task_id": "t"}, by="Tidy")
    allowed = hooks.call.before_complete_task(task_id="t", owner_id="bob", actor_id="bob")
    assert_allowed(allowed)
    with pytest.raises(AssertionError, match=r"^hook 'before_complete_task' was not vetoed \(patches: \{\}\)$"):
        assert_vetoed(allowed)
    with pytest.raises(AssertionError, match="was vetoed by 'Budget', expected 'Tidy'"):
        assert_vetoed(vetoed, by="Tidy")
    with pytest.raises(
        AssertionError, match="was vetoed with reason 'over budget this week', expected it to contain 'quota'"
    ):
        assert_vetoed(vetoed, reason="quota")
    with pytest.raises(AssertionError, match="was vetoed by 'Budget': over budget this week"):
        assert_allowed(vetoed)
    with pytest.raises(AssertionError, match="did not patch 'owner_id'"):
        assert_patched(vetoed, {"owner_id": "x"})
    with pytest.raises(AssertionError, match="patched 'task_id' to 't', expected 'u'"):
        assert_patched(vetoed, {"task_id": "u"})
    with pytest.raises(AssertionError, match="'task_id' was patched by 'Tidy', expected 'Budget'"):
        assert_patched(vetoed, {"task_id": "t"}, by="Budget")


def test_the_call_recorder_asserts_calls_and_order() -> None:
    hooks = fresh_manager(TodoHooks, Budget(), Tidy())
    recorder = CallRecorder.attach(hooks)
    hooks.call.before_complete_task(task_id="t", owner_id="bob", actor_id="bob")
    recorder.assert_called("before_complete_task", times=1, owner_id="bob")
    recorder.assert_order("before_complete_task", ["Tidy", "Budget"])
    recorder.assert_not_called("after_complete_task")
    assert recorder.calls_of("before_complete_task") == [{"task_id": "t", "owner_id": "bob", "actor_id": "bob"}]
    with pytest.raises(AssertionError, match=r"hook 'before_complete_task' was called 1 time\(s\), expected 2"):
        recorder.assert_called("before_complete_task", times=2)
    with pytest.raises(AssertionError, match="was never called with {'owner_id': 'ann'}"):
        recorder.assert_called("before_complete_task", owner_id="ann")
    with pytest.raises(AssertionError, match=r"ran \['Tidy', 'Budget'\], expected \['Budget', 'Tidy'\]"):
        recorder.assert_order("before_complete_task", ["Budget", "Tidy"])
    with pytest.raises(AssertionError, match="hook 'after_complete_task' was not called"):
        recorder.assert_called("after_complete_task")
    with pytest.raises(
        AssertionError, match=r"hook 'after_complete_task' was not called \(recorded: \['before_complete_task'\]\)"
    ):
        recorder.plugins_called("after_complete_task")
    hooks.call.after_complete_task(task_id="t")
    with pytest.raises(AssertionError, match=r"hook 'after_complete_task' was called 1 time\(s\)"):
        recorder.assert_not_called("after_complete_task")


PLUGIN_TEST = """
from hookwise import Veto, hookimpl, hookspec
from hookwise.testing import assert_vetoed


class TodoHooks:
    @hookspec(kind="intercept")
    def before_complete_task(self, owner_id: str) -> None: ...


class Budget:
    @hookimpl
    def before_complete_task(self, owner_id):
        return Veto("over budget") if owner_id == "ann" else None


def test_budget_vetoes(hookwise_manager, hookwise_recorder):
    hooks = hookwise_manager(TodoHooks, Budget())
    assert_vetoed(hooks.call.before_complete_task(owner_id="ann"), by="Budget")
    hookwise_recorder.assert_order("before_complete_task", ["Budget"])


def test_recorder_stops_after_the_test(hookwise_recorder):
    assert list(hookwise_recorder.calls) == []


from hookwise.events import Event, listener
from hookwise.testing import drain, published


class TaskCompleted(Event, name="todos.task_completed"):
    task_id: str


SENT = []


@listener(TaskCompleted)
def mail(event):
    SENT.append(event.task_id)


def complete(bus, task_id):
    bus.publish(TaskCompleted(task_id=task_id))


def test_an_event_bus_fixture_and_drain(hookwise_event_bus):
    hookwise_event_bus.register(mail)
    complete(hookwise_event_bus, "t1")
    assert published(hookwise_event_bus, TaskCompleted) == [TaskCompleted(task_id="t1")]
    assert SENT == []
    assert drain(hookwise_event_bus).delivered == 1
    assert SENT == ["t1"]


def test_each_test_gets_a_fresh_bus(hookwise_event_bus):
    assert hookwise_event_bus.status() == []
    assert published(hookwise_event_bus, TaskCompleted) == []
"""


def test_the_pytest_plugin_offers_the_helpers_as_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plugin=PLUGIN_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


FAILING_ASSERTION = """
from hookwise import HookManager, Veto, hookimpl, hookspec
from hookwise.testing import assert_allowed


class Specs:
    @hookspec(kind="intercept")
    def before_save(self, title: str) -> None: ...


class NoWeekends:
    @hookimpl
    def before_save(self, title: str) -> Veto:
        return Veto("no work on weekends")


def test_saving_is_allowed(hookwise_manager):
    result = hookwise_manager(Specs, NoWeekends()).call.before_save(title="x")
    assert_allowed(result)  # THE TEST'S LINE
"""


def test_a_failing_assertion_helper_points_at_the_test_not_at_hookwise(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_failing=FAILING_ASSERTION)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--tb=long")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert ">       assert_allowed(result)  # THE TEST'S LINE" in output
    assert "hook 'before_save' was vetoed by 'NoWeekends': no work on weekends" in output
    assert "hookwise/testing.py" not in output  # the helper's own frame is hidden
