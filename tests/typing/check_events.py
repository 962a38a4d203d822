"""Typed events, listeners and publish: checked by mypy and pyright, never run."""

from typing import assert_type

from hookwise.events import Delivery, Drained, Event, EventBus, ListenerStatus, listener


class TaskCompleted(Event, name="todos.task_completed"):
    task_id: str
    points: int = 0


class TaskCreated(Event, name="todos.task_created"):
    task_id: str


bus = EventBus("memory://")
assert_type(bus.publish(TaskCompleted(task_id="t1")), str)
bus.publish(TaskCompleted(task_id="t1"), key="ann")
bus.publish({"task_id": "t1"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
bus.publish(TaskCompleted(task_id="t1"), key=7)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
TaskCompleted(task_id=1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
TaskCompleted(task_id="t1", colour="red")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
TaskCompleted("t1")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


@listener(TaskCompleted)
def mail(event: TaskCompleted, delivery: Delivery) -> None:
    assert_type(event.points, int)
    assert_type(delivery.attempt, int)


@listener(TaskCompleted)
def count(event: Event) -> None:  # a wider parameter accepts the event
    pass


@listener(TaskCompleted)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue, reportUntypedFunctionDecorator]
def wrong(event: TaskCreated) -> None:  # the wrong event class
    pass


@listener(TaskCompleted)
async def awaited(event: TaskCompleted) -> None:
    pass


class Notifications:
    @listener(TaskCompleted, name="email-owner", attempts=3)
    def email_owner(self, event: TaskCompleted, delivery: Delivery) -> None:
        pass

    @listener(TaskCompleted)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue, reportUntypedFunctionDecorator]
    def wrong(self, event: TaskCreated) -> None:  # type: ignore[misc]  # the wrong event class
        pass


listener(TaskCompleted, attempts="3")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
mail(TaskCompleted(task_id="t1"), Delivery.__new__(Delivery))  # a listener stays callable as written
assert_type(bus.drain(), Drained)
assert_type(bus.status(), list[ListenerStatus])
