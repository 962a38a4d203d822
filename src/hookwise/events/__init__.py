"""Events: react after the fact, asynchronously and durably.

Hooks are synchronous: they can block or change an operation, and their
failures are the operation's failures. Events are facts, published after an
operation happened; each listener gets each event on its own, later, at least
once, with retries and dead letters, from a store that survives crashes::

    from hookwise.events import Delivery, Event, EventBus, listener

    class TaskCompleted(Event, name="todos.task_completed", version=1):
        task_id: str
        owner_id: str

    @listener(TaskCompleted, name="email-owner", attempts=3)
    def email_owner(event: TaskCompleted, delivery: Delivery) -> None:
        send_email(event.owner_id, f"task {event.task_id} is done")

    bus = EventBus("sqlite:///app.db")
    bus.register(email_owner)
    with bus.transaction(connection):          # the task's rows and the event commit together
        complete(connection, "t1")
        bus.publish(TaskCompleted(task_id="t1", owner_id="ann"), key="ann")
    worker = bus.start()                        # or: hookwise events worker --app app:bus

See docs/events.md for the guarantees, operations, and moving to Redis.
"""

from hookwise.events._bus import EventBus
from hookwise.events._event import Delivery, Event
from hookwise.events._listeners import Listener, ListenerOptions, listener
from hookwise.events._store import DeadLetter, DeliveryRecord, ListenerStatus
from hookwise.events._worker import Drained, Worker

__all__ = [
    "DeadLetter",
    "Delivery",
    "DeliveryRecord",
    "Drained",
    "Event",
    "EventBus",
    "Listener",
    "ListenerOptions",
    "ListenerStatus",
    "Worker",
    "listener",
]
