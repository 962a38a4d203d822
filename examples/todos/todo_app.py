"""The veto/patch/allow dispatcher's todo application on hookwise: hook points, use cases and modules.

The code follows the veto/patch/allow dispatcher's documentation as written: the Todos component defines string
hook points and dispatches them around its operations; other modules register
handlers with priorities; a handler that raises becomes a veto.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from hookwise import Allow, HookManager, HookResponse, OperationVetoed, Patch, Veto
from hookwise.events import EventBus
from todo_events import TaskCompleted

# Hook point definitions for Todos component
HOOK_BEFORE_COMPLETE_TASK = "todos.before_complete_task"
HOOK_AFTER_COMPLETE_TASK = "todos.after_complete_task"
HOOK_BEFORE_CREATE_TASK = "todos.before_create_task"


def declare_hooks(hooks: HookManager[Any]) -> None:
    """The Todos component owns its hook points: their names, parameters and kinds."""
    hooks.add_spec(
        HOOK_BEFORE_COMPLETE_TASK,
        ["task_id", "owner_id", "actor_id"],
        kind="intercept",
        doc="Before a task is completed: handlers may veto.",
    )
    hooks.add_spec(
        HOOK_AFTER_COMPLETE_TASK,
        ["task_id", "owner_id"],
        kind="observe",
        doc="After a task was completed: observe only.",
    )
    hooks.add_spec(
        HOOK_BEFORE_CREATE_TASK,
        ["title", "tags", "owner_id"],
        kind="intercept",
        doc="Before a task is created: handlers may veto or patch the input.",
    )


@dataclass
class Task:
    title: str
    owner_id: UUID
    tags: list[str] = field(default_factory=list[str])
    id: UUID = field(default_factory=uuid.uuid4)
    done: bool = False

    def complete(self) -> None:
        self.done = True


class TaskRepo:
    def __init__(self) -> None:
        self.tasks: dict[UUID, Task] = {}

    def get(self, task_id: UUID) -> Task:
        return self.tasks[task_id]

    def save(self, task: Task) -> None:
        self.tasks[task.id] = task


class CompleteTask:
    def __init__(self, repo: TaskRepo, hooks: HookManager[Any], bus: EventBus | None = None) -> None:
        self.repo = repo
        self.hooks = hooks
        self.bus = bus

    def execute(self, task_id: UUID, actor_id: UUID) -> None:
        task = self.repo.get(task_id)
        # Before hook: can veto or patch
        result = self.hooks.dispatch(
            HOOK_BEFORE_COMPLETE_TASK,
            {
                "task_id": task.id,
                "owner_id": task.owner_id,
                "actor_id": actor_id,
            },
        )
        if result.vetoed:
            raise OperationVetoed(result.reason)
        task.complete()
        self.repo.save(task)
        if self.bus is not None:
            # React after the fact: an event, stored now and delivered by a worker (the request does not wait)
            completed = TaskCompleted(task_id=str(task.id), owner_id=str(task.owner_id), title=task.title)
            self.bus.publish(completed, key=str(task.owner_id))
        # After hook: observe only (no veto)
        self.hooks.dispatch(
            HOOK_AFTER_COMPLETE_TASK,
            {
                "task_id": task.id,
                "owner_id": task.owner_id,
            },
        )


class CreateTask:
    def __init__(self, repo: TaskRepo, hooks: HookManager[Any]) -> None:
        self.repo = repo
        self.hooks = hooks

    def execute(self, input_data: dict[str, Any]) -> Task:
        result = self.hooks.dispatch(HOOK_BEFORE_CREATE_TASK, input_data)
        result.raise_if_vetoed()  # OperationVetoed, naming the plugin that vetoed
        # Apply patches from hooks
        final_data = {**input_data, **result.patches}
        task = Task(**final_data)
        self.repo.save(task)
        return task


# -- modules that extend Todos through its hooks -------------------------------


class Module:
    """A component that extends others by registering hook handlers."""

    def __init__(self, activity: list[str]) -> None:
        self.activity = activity

    def register_hooks(self, dispatcher: HookManager[Any]) -> None:
        raise NotImplementedError


class ValidationModule(Module):
    """Priority 10: runs first. Only the owner may complete a task."""

    def register_hooks(self, dispatcher: HookManager[Any]) -> None:
        dispatcher.register("todos.before_complete_task", self.validation_hook, priority=10)

    def validation_hook(self, context: dict[str, Any]) -> HookResponse:
        if context["actor_id"] != context["owner_id"]:
            self.activity.append("validation: veto (actor is not the owner)")
            return Veto("Only the task's owner can complete it")
        self.activity.append("validation: allow")
        return Allow()


class BudgetModule(Module):
    """Priority 20: vetoes completing costly tasks for owners over budget (the dispatcher's documented example)."""

    def __init__(self, activity: list[str], costs: dict[UUID, int], over_budget: set[UUID]) -> None:
        super().__init__(activity)
        self.costs = costs
        self.over_budget = over_budget

    def register_hooks(self, dispatcher: HookManager[Any]) -> None:
        dispatcher.register("todos.before_complete_task", self.budget_check_hook, priority=20)

    def get_task_cost(self, task_id: UUID) -> int:
        return self.costs.get(task_id, 0)

    def is_over_budget(self, owner_id: UUID) -> bool:
        return owner_id in self.over_budget

    def budget_check_hook(self, context: dict[str, Any]) -> HookResponse:
        owner_id = context["owner_id"]
        task_cost = self.get_task_cost(context["task_id"])
        if task_cost and self.is_over_budget(owner_id):
            self.activity.append("budget: veto (over budget this week)")
            return Veto("Cannot complete: over budget this week")
        self.activity.append("budget: allow")
        return Allow()


class NotificationModule(Module):
    """Priority 100: runs last before completion; observes completion afterwards."""

    def __init__(self, activity: list[str]) -> None:
        super().__init__(activity)
        self.sent: list[str] = []

    def register_hooks(self, dispatcher: HookManager[Any]) -> None:
        dispatcher.register("todos.before_complete_task", self.notification_hook, priority=100)
        dispatcher.register("todos.after_complete_task", self.completed_hook)

    def notification_hook(self, context: dict[str, Any]) -> HookResponse:
        self.activity.append("notification: allow (will notify after completion)")
        return None

    def completed_hook(self, context: dict[str, Any]) -> None:
        message = f"task {context['task_id']} completed"
        self.sent.append(message)
        self.activity.append(f"notification (after): {message}")


class AutoTagModule(Module):
    """Patches the input of task creation (its patch example)."""

    def register_hooks(self, dispatcher: HookManager[Any]) -> None:
        dispatcher.register("todos.before_create_task", self.auto_tag_hook)

    def auto_tag_hook(self, context: dict[str, Any]) -> HookResponse:
        """Auto-add 'work' tag if task title contains project code."""
        title = context.get("title", "")
        if "[PROJ-" in title:
            existing_tags = context.get("tags", [])
            self.activity.append("auto-tag: patch tags += ['work']")
            return Patch({"tags": [*existing_tags, "work"]})
        self.activity.append("auto-tag: allow")
        return Allow()


class ReportingModule(Module):
    """A slow handler (it calls a reporting service), for the budget guardrail."""

    def __init__(self, activity: list[str], delay: float) -> None:
        super().__init__(activity)
        self.delay = delay

    def register_hooks(self, dispatcher: HookManager[Any]) -> None:
        dispatcher.register("todos.before_complete_task", self.report_hook, priority=50)

    def report_hook(self, context: dict[str, Any]) -> HookResponse:
        time.sleep(self.delay)  # "don't call external APIs" in hooks; this one does
        self.activity.append(f"reporting: allow (after {self.delay * 1000:.0f} ms)")
        return None


class QuotaModule(Module):
    """A buggy handler: its exception becomes a veto, as the veto/patch/allow dispatcher does."""

    def __init__(self, activity: list[str], quota_service: dict[UUID, int]) -> None:
        super().__init__(activity)
        self.quota_service = quota_service

    def register_hooks(self, dispatcher: HookManager[Any]) -> None:
        dispatcher.register("todos.before_create_task", self.quota_hook, priority=50)

    def quota_hook(self, context: dict[str, Any]) -> HookResponse:
        remaining = self.quota_service[context["owner_id"]]  # KeyError for unknown owners
        self.activity.append(f"quota: allow ({remaining} left)")
        return None


@dataclass
class TodoApp:
    """The wired application: one hook manager, the Todos use cases and the modules."""

    hooks: HookManager[Any]
    repo: TaskRepo
    activity: list[str]
    notifications: NotificationModule
    complete_task: CompleteTask
    create_task: CreateTask


def build_app(
    *,
    costs: dict[UUID, int] | None = None,
    over_budget: set[UUID] | None = None,
    quotas: dict[UUID, int] | None = None,
    budget: float | None = None,
    bus: EventBus | None = None,
) -> TodoApp:
    """Wire the application: declare the hook points, then let every module register its handlers.

    ``budget``: seconds each handler may take (handlers must be fast, under 100 ms).
    ``bus``: completing a task also publishes ``TaskCompleted`` on it.
    """
    hooks: HookManager[Any] = HookManager(budget=budget)
    declare_hooks(hooks)
    repo = TaskRepo()
    activity: list[str] = []
    notifications = NotificationModule(activity)
    modules: list[Module] = [
        # Registered out of priority order on purpose: priorities decide.
        notifications,
        BudgetModule(activity, costs or {}, over_budget or set()),
        ValidationModule(activity),
        AutoTagModule(activity),
        QuotaModule(activity, quotas or {}),
    ]
    for module in modules:
        module.register_hooks(hooks)
    return TodoApp(hooks, repo, activity, notifications, CompleteTask(repo, hooks, bus), CreateTask(repo, hooks))
