"""The todo application's events: what happened, and the modules that react to it after the fact.

The dispatcher's own rule: "Use hooks when you need to block or modify an
operation. Use events when you just need to react after the fact. [...] Send an
email? Use an event." Completing a task publishes ``TaskCompleted``; the
email to the owner, a sync to the CRM and the statistics are listeners, run
by a worker after the request returned, each on its own.
"""

from __future__ import annotations

import time

from hookwise.events import Delivery, Event, EventBus, listener


class TaskCompleted(Event, name="todos.task_completed", version=1):
    """A task was completed (a fact, in the past tense)."""

    task_id: str
    owner_id: str
    title: str


class EmailOwner:
    """Emails the task's owner: slow (200 ms), so never inside the request."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self.sent: list[tuple[str, float]] = []

    @listener(TaskCompleted, name="email-owner", attempts=5, backoff=1.0)
    def email(self, event: TaskCompleted, delivery: Delivery) -> None:
        time.sleep(self.delay)  # the mail server's round trip
        self.sent.append((f"to {event.owner_id}: '{event.title}' is done", time.perf_counter()))


class CrmSync:
    """Pushes completions to a CRM that is down: retried with backoff, then a dead letter."""

    def __init__(self) -> None:
        self.attempts: list[int] = []

    @listener(TaskCompleted, name="crm-sync", attempts=3, backoff=0.05)
    def sync(self, event: TaskCompleted, delivery: Delivery) -> None:
        self.attempts.append(delivery.attempt)
        msg = f"CRM unreachable (attempt {delivery.attempt})"
        raise ConnectionError(msg)


class CompletionStats:
    """Counts completed tasks per owner."""

    def __init__(self) -> None:
        self.completed: dict[str, int] = {}

    @listener(TaskCompleted, name="completion-stats")
    def count(self, event: TaskCompleted) -> None:
        self.completed[event.owner_id] = self.completed.get(event.owner_id, 0) + 1


def register_listeners(bus: EventBus) -> tuple[EmailOwner, CrmSync, CompletionStats]:
    """The modules that react to the Todos component's events."""
    email, crm, stats = EmailOwner(), CrmSync(), CompletionStats()
    for plugin in (email, crm, stats):
        bus.register(plugin)
    return email, crm, stats
