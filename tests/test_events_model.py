"""Declaring events and listeners: names, versions, fields checked at publish, signatures checked at registration."""

from __future__ import annotations

import datetime
import sys
import types
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from hookwise import EventDefinitionError, PluginValidationError, PublishError, RegistrationError
from hookwise.events import Delivery, Event, EventBus, listener
from hookwise.events._event import decode, encode, rebuild


class TaskCompleted(Event, name="todos.task_completed", version=2):
    task_id: str
    owner_id: str
    points: int = 0


class Everything(Event, name="tests.everything"):
    uuid: UUID
    amount: Decimal
    when: datetime.datetime
    day: datetime.date
    at: datetime.time
    took: datetime.timedelta
    blob: bytes
    tags: list[str]
    pair: tuple[int, float]
    meta: dict[str, Any]
    nothing: None = None
    flag: bool = False


def test_an_event_class_is_a_frozen_keyword_only_dataclass_with_a_name_and_version() -> None:
    event = TaskCompleted(task_id="t1", owner_id="ann")
    assert (TaskCompleted.event_name, TaskCompleted.event_version) == ("todos.task_completed", 2)
    assert event.fields() == {"task_id": "t1", "owner_id": "ann", "points": 0}
    with pytest.raises(AttributeError):
        event.task_id = "t2"  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    with pytest.raises(TypeError):
        TaskCompleted("t1", "ann")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    assert event == TaskCompleted(task_id="t1", owner_id="ann")


@pytest.mark.parametrize("name", ["", "Todos.TaskCompleted", ".todos", "todos.", "todos done", "todos/done"])
def test_an_event_needs_a_stable_lowercase_dotted_name(name: str) -> None:
    with pytest.raises(EventDefinitionError, match=r"event class Bad needs a stable name") as caught:
        types.new_class("Bad", (Event,), {"name": name})
    if name:
        assert repr(name) in str(caught.value)


@pytest.mark.parametrize("version", [0, -1, True, "2"])
def test_an_event_version_is_a_positive_int(version: object) -> None:
    with pytest.raises(EventDefinitionError, match=r"event 'x.y': version must be a positive int"):
        types.new_class("Bad", (Event,), {"name": "x.y", "version": version})


def test_every_primitive_type_comes_back_to_the_listener_as_it_was_published() -> None:
    event = Everything(
        uuid=UUID(int=7),
        amount=Decimal("10.25"),
        when=datetime.datetime(2026, 11, 22, 9, 30, tzinfo=datetime.UTC),
        day=datetime.date(2026, 11, 22),
        at=datetime.time(9, 30, 1),
        took=datetime.timedelta(seconds=1.5),
        blob=b"\x00\xff",
        tags=["a", "b"],
        pair=(1, 2.5),
        meta={"nested": [1, {"deep": UUID(int=1)}], "$": "not a tag", "v": 1},
    )
    bus = EventBus()
    received: list[Everything] = []

    @listener(Everything)
    def receive(event: Everything) -> None:
        received.append(event)

    bus.register(receive)
    bus.publish(event)
    assert bus.drain().delivered == 1
    (got,) = received
    assert (got.uuid, got.amount, got.when) == (UUID(int=7), Decimal("10.25"), event.when)
    assert (got.day, got.at, got.took, got.blob) == (event.day, event.at, event.took, event.blob)
    assert got.tags == ["a", "b"]  # each field in the shape its annotation declares
    assert got.pair == (1, 2.5)
    assert got.meta == {"nested": [1, {"deep": UUID(int=1)}], "$": "not a tag", "v": 1}
    assert (got.nothing, got.flag) == (None, False)


def test_data_that_looks_like_a_tag_stays_data() -> None:
    text = encode({"meta": types.MappingProxyType({"$": "uuid", "v": "not-a-uuid"})})
    assert decode(text) == {"meta": {"$": "uuid", "v": "not-a-uuid"}}


class Holder:
    def __init__(self) -> None:
        self.value = 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"meta": {"x": Holder()}},
            r"event 'tests.loose' takes primitive data only; field meta\['x'\] \(tests.test_events_model.Holder\) is not",
        ),
        ({"meta": {1: "x"}}, r"field meta key 1 \(builtins.int\) is not a str"),
        (
            {"meta": {"when": float("nan")}},
            r"event 'tests.loose': field meta\['when'\] is nan, which JSON cannot hold; send such numbers as str or None",
        ),
    ],
)
def test_publish_names_the_field_that_is_not_primitive_data(fields: dict[str, Any], expected: str) -> None:
    class Loose(Event, name="tests.loose"):
        meta: dict[Any, Any]

    bus = EventBus()
    with pytest.raises(PublishError, match=expected) as caught:
        bus.publish(Loose(**fields))
    assert caught.value.event == "tests.loose"
    assert bus.status() == []


def test_publish_takes_an_event_and_a_string_key() -> None:
    bus = EventBus()
    with pytest.raises(PublishError, match=r"publish\(\) takes an event .*not \{'task_id': 't1'\}"):
        bus.publish({"task_id": "t1"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    with pytest.raises(PublishError, match=r"key must be a str or None, not 7"):
        bus.publish(TaskCompleted(task_id="t1", owner_id="ann"), key=7)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_stored_fields_that_do_not_fit_the_class_name_the_differences() -> None:
    with pytest.raises(EventDefinitionError, match=r"unknown fields \['colour'\] and missing fields \['owner_id'\]"):
        rebuild(TaskCompleted, {"task_id": "t1", "colour": "red"})


# -- listeners --------------------------------------------------------------------------------------------


def test_a_listener_takes_the_event_and_may_take_the_delivery() -> None:
    seen: list[tuple[str, int, str | None]] = []

    class Notifications:
        @listener(TaskCompleted, name="email-owner", attempts=3)
        def email_owner(self, event: TaskCompleted, delivery: Delivery) -> None:
            seen.append((event.task_id, delivery.attempt, delivery.key))

        @listener(TaskCompleted)
        def count(self, completed: TaskCompleted) -> None:  # any parameter name: the event is passed first
            seen.append((completed.task_id, 0, None))

    bus = EventBus()
    assert bus.register(Notifications()) == "Notifications"
    assert sorted(bus.listeners) == ["Notifications.count", "email-owner"]  # plugin name and attribute by default
    assert bus.listeners["email-owner"].takes_delivery
    assert not bus.listeners["Notifications.count"].takes_delivery
    event_id = bus.publish(TaskCompleted(task_id="t1", owner_id="ann"), key="ann")
    bus.drain()
    assert sorted(seen) == [("t1", 0, None), ("t1", 1, "ann")]
    assert [record.state for record in bus.deliveries(event_id)] == ["done", "done"]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("def f(): pass", r"takes \(\)"),
        ("def f(event, delivery, extra): pass", r"takes \(event, delivery, extra\)"),
        ("def f(event, *, flag): pass", r"takes \(event, \*, flag\)|takes \(event, flag\)"),
        ("def f(event):\n    yield", r"is a generator"),
    ],
)
def test_a_listener_with_the_wrong_signature_is_refused_at_registration(source: str, problem: str) -> None:
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # building functions with the signatures under test
    function = listener(TaskCompleted, name="bad")(namespace["f"])
    with pytest.raises(PluginValidationError, match=r"listener 'bad' of event 'todos.task_completed' ") as caught:
        EventBus().register(function)
    assert caught.value.plugin == "bad"
    assert "def f(event: TaskCompleted, delivery: Delivery)" in str(caught.value)
    assert __import__("re").search(problem, str(caught.value))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: listener(int), r"listener\(\) takes an event class"),  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
        (lambda: listener(Event), r"listener\(\) takes an event class"),
        (lambda: listener(TaskCompleted, attempts=0), r"attempts must be an int of at least 1, not 0"),
        (lambda: listener(TaskCompleted, backoff=-1), r"backoff must be a positive number of seconds, not -1"),
        (lambda: listener(TaskCompleted, timeout="5"), r"timeout must be a positive number of seconds, not '5'"),  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    ],
)
def test_listener_options_are_checked_when_declared(call: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call()


def test_a_plugin_without_listeners_says_so() -> None:
    with pytest.raises(PluginValidationError, match=r"plugin 'Holder' \(<.*Holder.*\) has no listeners: mark"):
        EventBus().register(Holder())


def test_a_class_with_listener_methods_must_be_registered_as_an_instance() -> None:
    class Mailer:
        @listener(TaskCompleted)
        def send(self, event: TaskCompleted) -> None: ...

    with pytest.raises(PluginValidationError, match=r"is a class, and its listener 'send' is an instance method"):
        EventBus().register(Mailer)


def test_listener_names_are_durable_subscriptions_so_they_must_be_unique() -> None:
    @listener(TaskCompleted, name="mail")
    def first(event: TaskCompleted) -> None: ...

    @listener(TaskCompleted, name="mail")
    def second(event: TaskCompleted) -> None: ...

    bus = EventBus()
    bus.register(first)
    with pytest.raises(RegistrationError, match=r"listener name 'mail' of plugin 'second' is taken by <function"):
        bus.register(second)
    with pytest.raises(RegistrationError, match=r"the function first is registered already, as plugin 'first'"):
        bus.register(first, name="again")
    assert sorted(bus.listeners) == ["mail"]


def test_two_event_classes_cannot_share_a_name() -> None:
    class Other(Event, name="todos.task_completed"):
        task_id: str

    @listener(TaskCompleted)
    def one(event: TaskCompleted) -> None: ...

    @listener(Other)
    def two(event: Other) -> None: ...

    bus = EventBus()
    bus.register(one)
    with pytest.raises(EventDefinitionError, match=r"event name 'todos.task_completed' is declared by two classes"):
        bus.register(two)


def test_listeners_are_registered_the_way_plugins_are(make_distribution: Any) -> None:
    make_distribution(
        "mail-plugin",
        modules={
            "mail_plugin": (
                "from hookwise.events import listener\n"
                "from tests.test_events_model import TaskCompleted\n"
                "SENT = []\n"
                "@listener(TaskCompleted, name='mail')\n"
                "def mail(event):\n"
                "    SENT.append(event.task_id)\n"
            )
        },
        entry_points={"todos.listeners": {"mail": "mail_plugin"}},
    )
    from hookwise import load_entry_points, register_settings

    class Audit:
        def __init__(self) -> None:
            self.seen: list[str] = []

        @listener(TaskCompleted)
        def audit(self, event: TaskCompleted) -> None:
            self.seen.append(event.task_id)

    bus = EventBus()
    (loaded,) = load_entry_points(bus, "todos.listeners")
    assert loaded.name == "mail"
    assert "mail-plugin 1.0" in loaded.source
    first, second = Audit(), Audit()
    assert register_settings(bus, (first, second)) == ["Audit", "Audit#2"]  # as Kedro's HOOKS take them
    assert sorted(bus.listeners) == ["Audit#2.audit", "Audit.audit", "mail"]
    bus.publish(TaskCompleted(task_id="t9", owner_id="ann"))
    bus.drain()
    assert sys.modules["mail_plugin"].SENT == ["t9"]
    assert first.seen == second.seen == ["t9"]


def test_unregister_stops_delivery_here_and_forget_ends_the_subscription() -> None:
    seen: list[str] = []

    @listener(TaskCompleted, name="mail")
    def mail(event: TaskCompleted) -> None:
        seen.append(event.task_id)

    bus = EventBus()
    bus.register(mail)
    assert bus.unregister(mail) is mail
    bus.publish(TaskCompleted(task_id="t1", owner_id="ann"))
    assert bus.drain().delivered == 0
    assert [(s.listener, s.pending) for s in bus.status()] == [("mail", 1)]  # kept for the next release
    with pytest.raises(RegistrationError, match=r"is not registered"):
        bus.unregister(mail)
    assert bus.forget("mail") == 1
    assert bus.status() == []
