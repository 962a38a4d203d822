"""Run the todo application and show what each hook handler did, and why in that order.

    python examples/todos/main.py [--html trace.html]     (or: hookwise demo [--html trace.html])

The guardrails step sets a 100 ms budget per handler, records a trace of
every hook call, and writes it as an HTML timeline. The last step moves the
owner's email (a slow 200 ms call) out of the request: completing a task
publishes an event, and a worker delivers it to each listener on its own.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hookwise import BudgetWarning, OperationVetoed, TraceRecorder
from hookwise.events import EventBus
from todo_app import (
    HOOK_BEFORE_COMPLETE_TASK,
    HOOK_BEFORE_CREATE_TASK,
    ReportingModule,
    build_app,
)
from todo_events import register_listeners


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--html", default="hookwise-trace.html", help="where to write the trace timeline")
    options = parser.parse_args(argv)
    alice, bob = uuid.UUID(int=1), uuid.UUID(int=2)
    app = build_app(quotas={alice: 3})
    app.hooks.hook(HOOK_BEFORE_COMPLETE_TASK)  # the hook exists: declared by the Todos component

    def step(title: str) -> None:
        print(f"\n== {title}")
        app.activity.clear()

    def show_activity() -> None:
        for line in app.activity:
            print(f"   {line}")

    print("hookwise demo: the todo application")
    print("\nOrder of the before-complete handlers, with reasons:")
    print(app.hooks.explain(HOOK_BEFORE_COMPLETE_TASK))

    step("alice creates '[PROJ-7] write report' (the auto-tag handler patches its tags)")
    task = app.create_task.execute({"title": "[PROJ-7] write report", "tags": ["urgent"], "owner_id": alice})
    show_activity()
    print(f"   created with tags {task.tags}")

    step("alice completes it (every handler allows; the after-hook notifies)")
    app.complete_task.execute(task.id, actor_id=alice)
    show_activity()
    print(f"   done={app.repo.get(task.id).done}; notifications sent: {app.notifications.sent}")

    step("bob tries to complete alice's second task (validation, priority 10, vetoes first)")
    second = app.create_task.execute({"title": "plan sprint", "tags": [], "owner_id": alice})
    app.activity.clear()
    try:
        app.complete_task.execute(second.id, actor_id=bob)
    except OperationVetoed as vetoed:
        show_activity()
        print(f"   OperationVetoed: {vetoed}")

    step("alice is over budget and the task costs 5 (budget, priority 20, vetoes)")
    budget_app = build_app(costs={second.id: 5}, over_budget={alice}, quotas={alice: 3})
    budget_app.repo.save(second)
    budget_app.activity.clear()
    try:
        budget_app.complete_task.execute(second.id, actor_id=alice)
    except OperationVetoed as vetoed:
        for line in budget_app.activity:
            print(f"   {line}")
        print(f"   OperationVetoed: {vetoed}")

    step("bob creates a task; the quota handler raises KeyError, which becomes a veto")
    result = app.hooks.dispatch(HOOK_BEFORE_CREATE_TASK, {"title": "bob's task", "tags": [], "owner_id": bob})
    show_activity()
    print(f"   vetoed={result.vetoed} by {result.vetoed_by!r}: {result.reason}")
    print(f"   the exception is kept: {result.exception!r}")

    step("guardrails: a 100 ms budget per handler, and a trace of every hook call")
    traced = build_app(quotas={alice: 3}, budget=0.1)
    ReportingModule(traced.activity, delay=0.12).register_hooks(traced.hooks)
    recorder = TraceRecorder()
    traced.hooks.add_monitor(recorder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BudgetWarning)
        report = traced.create_task.execute({"title": "[PROJ-9] budget review", "tags": [], "owner_id": alice})
        traced.complete_task.execute(report.id, actor_id=alice)
        try:
            traced.complete_task.execute(report.id, actor_id=bob)
        except OperationVetoed as vetoed:
            print(f"   OperationVetoed: {vetoed}")
    for warning in caught:
        print(f"   {warning.category.__name__}: {warning.message}")
    print("\n   the trace:")
    for line in recorder.format().splitlines():
        print(f"   {line}")
    html = Path(options.html)
    html.write_text(recorder.to_html("hookwise demo: the todo application"), encoding="utf-8")
    print(f"\n   timeline written to {html.resolve()} (open it in a browser)")

    step("events: completing a task publishes TaskCompleted; a worker emails the owner afterwards")
    with tempfile.TemporaryDirectory(prefix="hookwise-demo-") as directory:
        events_demo(EventBus(f"sqlite:///{Path(directory) / 'todos.db'}"), alice)
    return 0


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


def events_demo(bus: EventBus, alice: uuid.UUID) -> None:
    """The request returns at once; the email follows; a failing listener is retried, then dead-lettered."""
    email, crm, stats = register_listeners(bus)
    app = build_app(quotas={alice: 3}, bus=bus)
    worker = bus.start()
    task = app.create_task.execute({"title": "ship release", "tags": [], "owner_id": alice})
    started = time.perf_counter()
    app.complete_task.execute(task.id, actor_id=alice)
    returned = time.perf_counter()
    print(f"   the request returned in {(returned - started) * 1000:.1f} ms (the event is stored, no listener ran)")
    wait_for(lambda: bool(email.sent) and bool(bus.dead()))
    worker.stop()
    ((message, sent_at),) = email.sent
    print(f"   email-owner sent the email {message} {(sent_at - returned) * 1000:.0f} ms after the request returned")
    print(f"   crm-sync failed on attempts {crm.attempts}, then became a dead letter; the others were not held up")
    print(f"   completion-stats counted {stats.completed}")
    print("\n   hookwise events status:")
    for status in bus.status():
        print(f"     {status.listener:<17} done={status.done} retrying={status.retrying} dead={status.dead}")
    for letter in bus.dead():
        print(f"   dead letter: {letter.listener} after {letter.attempts} attempts: {letter.last_error}")
    bus.close()


if __name__ == "__main__":
    raise SystemExit(main())
