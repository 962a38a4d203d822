"""Every behaviour the veto/patch/allow dispatcher documents, on examples/todos."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from hookwise import Allow, DispatchResult, HookManager, HookResultError, OperationVetoed, Patch, Veto

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "todos"))

import todo_app

ALICE, BOB = uuid.UUID(int=1), uuid.UUID(int=2)


@pytest.fixture
def app() -> todo_app.TodoApp:
    return todo_app.build_app(quotas={ALICE: 3})


def new_task(app: todo_app.TodoApp, title: str = "write report") -> todo_app.Task:
    return app.create_task.execute({"title": title, "tags": [], "owner_id": ALICE})


def test_hook_points_are_string_names_owned_by_the_todos_component(app: todo_app.TodoApp) -> None:
    assert todo_app.HOOK_BEFORE_COMPLETE_TASK == "todos.before_complete_task"
    assert todo_app.HOOK_AFTER_COMPLETE_TASK == "todos.after_complete_task"
    assert todo_app.HOOK_BEFORE_CREATE_TASK == "todos.before_create_task"
    assert {"todos.before_complete_task", "todos.after_complete_task", "todos.before_create_task"} <= set(
        app.hooks.hook_names
    )


def test_the_calling_code_waits_for_all_hooks_before_proceeding(app: todo_app.TodoApp) -> None:
    task = new_task(app)
    app.activity.clear()
    app.complete_task.execute(task.id, actor_id=ALICE)
    # Every before-handler ran, then the operation, then the after-hook: all before execute() returned.
    assert app.activity == [
        "validation: allow",
        "budget: allow",
        "notification: allow (will notify after completion)",
        f"notification (after): task {task.id} completed",
    ]
    assert app.repo.get(task.id).done


def test_returning_nothing_permits_the_operation_like_allow() -> None:
    manager = HookManager()
    manager.add_spec("h", ["a"], kind="intercept")
    manager.register("h", lambda context: None, name="silent")
    manager.register("h", lambda context: Allow(), name="explicit")
    assert not manager.dispatch("h", {"a": 1}).vetoed


def test_a_veto_blocks_the_operation_with_its_reason(app: todo_app.TodoApp) -> None:
    task = new_task(app)
    with pytest.raises(OperationVetoed, match="^Only the task's owner can complete it$"):
        app.complete_task.execute(task.id, actor_id=BOB)
    assert not app.repo.get(task.id).done


def test_any_veto_stops_the_operation_and_later_handlers() -> None:
    costly = uuid.uuid4()
    app = todo_app.build_app(costs={costly: 5}, over_budget={ALICE})
    app.repo.save(todo_app.Task("costly", ALICE, id=costly))
    with pytest.raises(OperationVetoed, match="^Cannot complete: over budget this week$"):
        app.complete_task.execute(costly, actor_id=ALICE)
    assert app.activity == ["validation: allow", "budget: veto (over budget this week)"]
    assert not app.repo.get(costly).done
    assert app.notifications.sent == []


def test_the_budget_module_registers_its_own_handler_and_allows_cheap_tasks() -> None:
    app = todo_app.build_app(costs={}, over_budget={ALICE}, quotas={ALICE: 1})
    task = new_task(app)
    app.complete_task.execute(task.id, actor_id=ALICE)
    assert "budget: allow" in app.activity
    assert "BudgetModule.budget_check_hook" in app.hooks.hook("todos.before_complete_task").plugins


def test_a_patch_modifies_the_input_before_processing(app: todo_app.TodoApp) -> None:
    task = app.create_task.execute({"title": "[PROJ-7] report", "tags": ["urgent"], "owner_id": ALICE})
    assert task.tags == ["urgent", "work"]
    plain = new_task(app, "groceries")
    assert plain.tags == []


def test_the_use_case_applies_patches_over_its_input(app: todo_app.TodoApp) -> None:
    input_data = {"title": "[PROJ-1] x", "tags": [], "owner_id": ALICE}
    result = app.hooks.dispatch(todo_app.HOOK_BEFORE_CREATE_TASK, input_data)
    assert {**input_data, **result.patches} == {"title": "[PROJ-1] x", "tags": ["work"], "owner_id": ALICE}
    assert input_data["tags"] == []  # the caller's dict is not touched


def test_multiple_patches_are_merged() -> None:
    manager = HookManager()
    manager.add_spec("h", ["title", "tags"], kind="intercept")
    manager.register("h", lambda c: Patch({"title": c["title"].strip()}), name="trim")
    manager.register("h", lambda c: Patch({"tags": ["work"]}), name="tag")
    result = manager.dispatch("h", {"title": " t ", "tags": []})
    assert result.patches == {"title": "t", "tags": ["work"]}
    assert result.patched_by == {"title": "trim", "tags": "tag"}


def test_hooks_run_in_registration_order_without_priorities() -> None:
    manager = HookManager()
    manager.add_spec("h", ["a"], kind="intercept")
    order: list[str] = []
    for name in ["first", "second", "third"]:
        manager.register("h", lambda c, n=name: order.append(n), name=name)
    manager.dispatch("h", {"a": 1})
    assert order == ["first", "second", "third"]


def test_lower_priority_runs_first(app: todo_app.TodoApp) -> None:
    # The modules register notification (100), budget (20), validation (10), in that order.
    assert app.hooks.hook("todos.before_complete_task").plugins == [
        "ValidationModule.validation_hook",
        "BudgetModule.budget_check_hook",
        "NotificationModule.notification_hook",
    ]
    assert [e.priority for e in app.hooks.explain("todos.before_complete_task").entries] == [10, 20, 100]


def test_an_exception_in_a_handler_is_caught_and_treated_as_a_veto(app: todo_app.TodoApp) -> None:
    result = app.hooks.dispatch(todo_app.HOOK_BEFORE_CREATE_TASK, {"title": "x", "tags": [], "owner_id": BOB})
    assert isinstance(result, DispatchResult)
    assert result.vetoed
    assert result.vetoed_by == "QuotaModule.quota_hook"
    assert str(BOB) in (result.reason or "")
    assert isinstance(result.exception, KeyError)
    with pytest.raises(OperationVetoed, match="raised KeyError"):
        app.create_task.execute({"title": "x", "tags": [], "owner_id": BOB})


def test_after_hooks_observe_and_cannot_veto(app: todo_app.TodoApp) -> None:
    def late_veto(context: Any) -> Veto:
        return Veto("too late")

    app.hooks.register(todo_app.HOOK_AFTER_COMPLETE_TASK, late_veto)
    task = new_task(app)
    with pytest.raises(HookResultError, match="vetoed after-hook 'todos.after_complete_task'"):
        app.complete_task.execute(task.id, actor_id=ALICE)
    # The operation itself had happened; the after-hook could not undo it.
    assert app.repo.get(task.id).done


def test_dispatch_of_an_after_hook_returns_an_allowed_result(app: todo_app.TodoApp) -> None:
    result = app.hooks.dispatch(todo_app.HOOK_AFTER_COMPLETE_TASK, {"task_id": "t", "owner_id": ALICE})
    assert not result.vetoed
    assert dict(result.arguments) == {"task_id": "t", "owner_id": ALICE}


def test_dispatch_checks_the_context_keys_against_the_hook(app: todo_app.TodoApp) -> None:
    from hookwise import HookCallError

    with pytest.raises(
        HookCallError,
        match=r"^dispatch of todos.before_complete_task\(task_id, owner_id, actor_id\): the context has unknown keys \['actr_id'\] and missing keys \['actor_id'\]$",
    ):
        app.hooks.dispatch(todo_app.HOOK_BEFORE_COMPLETE_TASK, {"task_id": 1, "owner_id": 2, "actr_id": 3})


def test_dispatch_is_for_intercept_and_observe_hooks() -> None:
    from hookwise import HookCallError

    manager = HookManager()
    manager.add_spec("c", ["a"])
    with pytest.raises(HookCallError, match=r"dispatch\(\) calls intercept and observe hooks; 'c' is a collect hook"):
        manager.dispatch("c", {"a": 1})
