"""Events: facts that happened, as frozen classes with a stable name and a version, and how they are stored.

An event class declares its name (past tense, ``"todos.task_completed"``), its
version, and its fields, which hold primitive data. Publishing encodes an event
as JSON (UUIDs, decimals, dates, times, durations and bytes tagged, so they come
back as what they were); a listener receives it decoded into its class, with a
:class:`Delivery` saying which event, which attempt, and when.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import itertools
import json
import math
import os
import sys
import time
import types
import typing
import weakref
from base64 import b64decode, b64encode
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Final, cast, dataclass_transform, final
from uuid import UUID

from hookwise._guardrails import frozen
from hookwise._spec import HookSpec
from hookwise._text import shown
from hookwise.events._store import Envelope
from hookwise.exceptions import EventDefinitionError, HookCallError, PublishError

_NAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")


@dataclass_transform(kw_only_default=True, frozen_default=True)
class Event:
    """Base class of events: a fact that happened, with a stable name, a version and primitive fields.

    Subclasses are frozen, keyword-only dataclasses; the name and version are
    class arguments::

        class TaskCompleted(Event, name="todos.task_completed", version=1):
            task_id: str
            owner_id: str

        bus.publish(TaskCompleted(task_id="t1", owner_id="ann"), key="ann")

    Fields hold primitive data: ``None``, ``bool``, ``int``, ``float``, ``str``,
    ``bytes``, ``UUID``, ``Decimal``, dates, times, durations, and lists, tuples
    and str-keyed dicts of them. Listeners get each field as its annotation
    says: a ``tuple[...]`` field as a tuple, a ``list[...]`` field as a list
    (and a sequence under an annotation that says neither, as a list).

    Raises:
        EventDefinitionError: a subclass without a name, or with a name that is not
            lowercase dotted words, or a version that is not a positive int.
    """

    event_name: ClassVar[str] = ""
    """The event's stable name: what it is stored and routed under."""
    event_version: ClassVar[int] = 1
    """The version of its fields; bump it when they change."""

    def __init_subclass__(cls, *, name: str = "", version: int = 1, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not name or not set(name) <= _NAME_CHARS or name[0] in "._-" or name[-1] in "._-":
            msg = (
                f"event class {cls.__qualname__} needs a stable name: class {cls.__name__}(Event, "
                f'name="component.something_happened"), lowercase words, dots, dashes or underscores'
                + (f"; got {name!r}" if name else "")
            )
            raise EventDefinitionError(msg, event=cls.__qualname__)
        given = cast("object", version)
        if not isinstance(given, int) or isinstance(given, bool) or given < 1:
            msg = f"event {name!r}: version must be a positive int, not {version!r}"
            raise EventDefinitionError(msg, event=name)
        cls.event_name = name
        cls.event_version = version
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)

    def fields(self) -> dict[str, Any]:
        """The event's fields, by name."""
        return {field.name: getattr(self, field.name) for field in _fields(type(self))}


def _fields(event_class: type[Event]) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cast("Any", event_class))


_SPEC: Final = HookSpec.from_names("event", ["event"])  # names what publish checks, for its messages


def sealed(event: Event, key: str | None) -> Envelope:
    """An event ready to store: its fields checked and encoded, a new id, the time, the trace context.

    Raises:
        PublishError: a field that is not primitive data, or a number JSON cannot hold (naming the
            field), or a key that is not a str.
    """
    payload = checked_payload(event)
    cls = type(event)
    given = cast("object", key)
    if given is not None and not isinstance(given, str):
        msg = f"event {cls.event_name!r}: key must be a str or None, not {shown(key, 60)}"
        raise PublishError(msg, event=cls.event_name)
    try:
        text = encode(payload)
    except ValueError:  # NaN or infinity: JSON has neither
        where, value = non_finite(payload) or ("?", float("nan"))
        msg = (
            f"event {cls.event_name!r}: field {where} is {value!r}, which JSON cannot hold; "
            f"send such numbers as str or None"
        )
        raise PublishError(msg, event=cls.event_name) from None
    headers = json.dumps(_carried_context()) if "opentelemetry" in sys.modules else "{}"
    return Envelope(new_id(), cls.event_name, cls.event_version, key, text, headers, time.time())


_SEQUENCE: Final = itertools.count()


def new_id() -> str:
    """A new event id: 32 hex digits: the time in milliseconds (12), a counter of this process (4), random
    (16); so ids sort by time, and the ids one process makes in one millisecond, by publish order."""
    return f"{time.time_ns() // 1_000_000:012x}{next(_SEQUENCE) & 0xFFFF:04x}{os.urandom(8).hex()}"


def _carried_context() -> dict[str, str]:
    try:
        from hookwise.otel import carried_context
    except ImportError:  # pragma: no cover - the API without its package
        return {}
    return carried_context()


def checked_payload(event: Event) -> dict[str, Any]:
    """The event's fields, checked to be primitive data.

    Raises:
        PublishError: naming the event and the field (and the path inside it) that is not.
    """
    given = cast("object", event)
    if not isinstance(given, Event) or type(given) is Event:
        msg = f"publish() takes an event (an instance of an Event subclass), not {shown(event, 80)}"
        raise PublishError(msg, event=getattr(type(event), "event_name", "") or type(event).__qualname__)
    name = type(event).event_name
    try:
        return frozen(_SPEC, event.fields(), what="field", subject=f"event {name!r}")
    except HookCallError as error:
        raise PublishError(str(error), event=name) from None


# -- JSON, with the primitive types JSON lacks tagged ---------------------------------------------

_TAGS: Final[dict[str, Callable[[Any], object]]] = {
    "uuid": UUID,
    "decimal": Decimal,
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "timedelta": lambda seconds: datetime.timedelta(seconds=float(cast("str", seconds))),
    "bytes": b64decode,
}


def _encode(value: object) -> dict[str, object]:
    """A value JSON lacks, tagged (every mapping too, so data that looks like a tag stays data)."""
    if isinstance(value, Mapping):
        return {"$": "dict", "v": dict(cast("Mapping[str, object]", value))}
    if isinstance(value, datetime.timedelta):
        return {"$": "timedelta", "v": repr(value.total_seconds())}
    if isinstance(value, bytes):
        return {"$": "bytes", "v": b64encode(value).decode("ascii")}
    if isinstance(value, datetime.date | datetime.time):  # a datetime is a date
        tag = "datetime" if isinstance(value, datetime.datetime) else type(value).__name__
        return {"$": tag, "v": value.isoformat()}
    if isinstance(value, UUID | Decimal):
        return {"$": type(value).__name__.lower(), "v": str(value)}
    msg = f"cannot store {type(value).__qualname__}"  # pragma: no cover - payloads are checked before
    raise TypeError(msg)


def encode(payload: Mapping[str, Any]) -> str:
    """An event's checked fields as JSON text."""
    return json.dumps(payload, default=_encode, separators=(",", ":"), allow_nan=False)


def non_finite(payload: Mapping[str, object]) -> tuple[str, float] | None:
    """The first NaN or infinity in checked fields, with its path (``meta['when']``), or None."""
    work: list[tuple[str, object]] = list(payload.items())
    while work:
        path, value = work.pop(0)
        if isinstance(value, float) and not math.isfinite(value):
            return path, value
        if isinstance(value, Mapping):
            work += [(f"{path}[{key!r}]", item) for key, item in cast("Mapping[str, object]", value).items()]
        elif isinstance(value, tuple):
            work += [(f"{path}[{index}]", item) for index, item in enumerate(cast("tuple[object, ...]", value))]
    return None


def _revive(value: object) -> object:
    """A stored value back to what it was, from the outside in: tags become values."""
    if isinstance(value, list):
        return [_revive(item) for item in cast("list[object]", value)]
    if isinstance(value, dict):
        data = cast("dict[str, Any]", value)
        tag = data.get("$")
        if tag == "dict":
            inner: dict[str, object] = data["v"]
            return {key: _revive(item) for key, item in inner.items()}
        if isinstance(tag, str) and tag in _TAGS:
            return _TAGS[tag](data["v"])
        return {key: _revive(item) for key, item in data.items()}  # pragma: no cover - mappings are tagged
    return value


def decode(text: str) -> dict[str, Any]:
    """Stored JSON back to fields: tagged values as what they were, sequences as lists."""
    fields: dict[str, Any] = json.loads(text)
    if "[" not in text and '"$"' not in text:
        return fields
    return {name: _revive(value) for name, value in fields.items()}


_SHAPING: Final[weakref.WeakKeyDictionary[type[Event], dict[str, Any]]] = weakref.WeakKeyDictionary()


def _shaping(event_class: type[Event]) -> dict[str, Any]:
    """The fields whose annotations ask for tuples somewhere (JSON brings lists), with their annotations.

    Empty for most classes, and for a class whose annotations cannot be resolved (one local to a function):
    then lists stay lists.
    """
    shaping = _SHAPING.get(event_class)
    if shaping is None:
        try:
            hints = typing.get_type_hints(event_class)
        except Exception:  # noqa: BLE001 - an unresolvable annotation only means lists stay lists
            hints = {}
        shaping = _SHAPING[event_class] = {name: hint for name, hint in hints.items() if _has_tuple(hint)}
    return shaping


def _has_tuple(annotation: object) -> bool:
    if annotation is tuple or typing.get_origin(annotation) is tuple:
        return True
    return any(_has_tuple(argument) for argument in typing.get_args(annotation))


_UNIONS: Final = frozenset({typing.Union, types.UnionType})
_CONTAINERS: Final = frozenset({tuple, list, dict})
_DICTS: Final = frozenset({dict})
_LISTS: Final = frozenset({list, collections.abc.Sequence, collections.abc.MutableSequence})


def _shaped(value: object, annotation: object) -> object:
    """A decoded value in the shape its annotation declares: tuples where it says tuple, recursively."""
    origin: Any = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in _UNIONS:
        wanted = [a for a in arguments if typing.get_origin(a) in _CONTAINERS or a in _CONTAINERS]
        return _shaped(value, wanted[0]) if wanted else value
    if isinstance(value, list):
        return _sequence(cast("list[object]", value), annotation, origin, arguments)
    if len(arguments) == 2 and type(value) in _DICTS:
        mapping = cast("dict[str, object]", value)
        return {key: _shaped(item, arguments[1]) for key, item in mapping.items()}
    return value


def _sequence(items: list[object], annotation: object, origin: Any, arguments: tuple[Any, ...]) -> object:
    if origin is tuple or annotation is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return tuple(_shaped(item, arguments[0]) for item in items)
        if arguments and len(arguments) == len(items):
            return tuple(_shaped(item, kind) for item, kind in zip(items, arguments, strict=True))
        return tuple(items)
    if arguments and origin in _LISTS:
        return [_shaped(item, arguments[0]) for item in items]
    return items


def rebuild(event_class: type[Event], fields: Mapping[str, Any]) -> Event:
    """An event of ``event_class`` from stored fields.

    Raises:
        EventDefinitionError: the stored fields do not fit the class (an event
            stored by another version of it); the message names the differences.
    """
    shaping = _shaping(event_class)
    if shaping:
        fields = {name: _shaped(value, shaping[name]) if name in shaping else value for name, value in fields.items()}
    try:
        return event_class(**fields)
    except TypeError as error:
        declared = {field.name for field in _fields(event_class)}
        required = {
            field.name
            for field in _fields(event_class)
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        }
        problems: list[str] = []
        if extra := sorted(set(fields) - declared):
            problems.append(f"unknown fields {extra}")
        if missing := sorted(required - set(fields)):
            problems.append(f"missing fields {missing}")
        msg = (
            f"event {event_class.event_name!r} (version {event_class.event_version}) cannot be built from the "
            f"stored fields ({' and '.join(problems) or error}); was it published by another version of the class?"
        )
        raise EventDefinitionError(msg, event=event_class.event_name) from error


@final
class Delivery:
    """What a listener learns about the delivery it is handling (take it as a second parameter).

    Attributes:
        event_id: the event's id, the same for every listener and every attempt:
            the key to make a listener idempotent.
        event_name: the event's name.
        version: the version the event was published with.
        key: the ordering key it was published with, or None.
        published_at: when it was published (UTC).
        listener: the listener's name.
        attempt: 1 for the first attempt, then 2, 3, ... for retries and redeliveries.
    """

    __slots__ = ("attempt", "event_id", "event_name", "headers", "key", "listener", "published_at", "version")

    def __init__(
        self,
        *,
        event_id: str,
        event_name: str,
        version: int,
        key: str | None,
        published_at: datetime.datetime,
        listener: str,
        attempt: int,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.event_id: str = event_id
        self.event_name: str = event_name
        self.version: int = version
        self.key: str | None = key
        self.published_at: datetime.datetime = published_at
        self.listener: str = listener
        self.attempt: int = attempt
        self.headers: Mapping[str, str] = dict(headers or {})

    def __repr__(self) -> str:
        return (
            f"<Delivery {self.event_name} {self.event_id} to {self.listener!r} attempt {self.attempt}"
            + (f" key={self.key!r}" if self.key is not None else "")
            + ">"
        )
