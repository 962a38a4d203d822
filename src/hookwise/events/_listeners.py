"""Listeners: functions and methods marked with :func:`listener`, and what a bus keeps of each.

A listener reacts to one event class. Its name is its durable subscription:
deliveries are stored per listener name, so the name must stay the same across
releases. Give one with ``name=``; the default is the plugin's name and the
attribute (``Notifications.email_owner``, ``myapp.listeners.send_invoice``), or
the plugin's name for a function registered by itself.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from typing import Any, Concatenate, Final, NamedTuple, ParamSpec, Protocol, TypeVar, cast, final, overload

from hookwise._impl import (
    KEYWORD_ONLY,
    POSITIONAL,
    POSITIONAL_ONLY,
    VAR_POSITIONAL,
    HookImpl,
    ImplOptions,
    parameters,
    show_parameters,
)
from hookwise.events._event import Event
from hookwise.events._store import Policy
from hookwise.exceptions import PluginValidationError

E = TypeVar("E", bound=Event)
P = ParamSpec("P")
R = TypeVar("R")

LISTENER_MARK: Final = "__hookwise_listener__"


class ListenerOptions(NamedTuple):
    """How a listener's deliveries are made: declared once, given to :func:`listener`."""

    event: type[Event]
    """The event class it reacts to."""
    name: str | None = None
    """Its durable name (the default: the plugin's name, a dot, the attribute)."""
    attempts: int = 5
    """How many times a delivery is tried before it becomes a dead letter."""
    backoff: float = 1.0
    """Seconds before the first retry; each later retry waits twice as long, with jitter."""
    max_backoff: float = 300.0
    """The longest wait between two attempts."""
    timeout: float = 300.0
    """Seconds a worker holds a delivery; if it has not finished by then (its worker died), it is delivered again."""


class ListenerDecorator(Protocol[E]):
    """What ``listener(EventClass)`` returns: it takes a function of the event (and the delivery), or a method."""

    @overload
    def __call__(self, function: Callable[Concatenate[E, P], R], /) -> Callable[Concatenate[E, P], R]: ...
    @overload
    def __call__(  # pyright: ignore[reportOverlappingOverload] - a method's self does not take E, a function's first parameter does
        self, function: Callable[Concatenate[Any, E, P], R], /
    ) -> Callable[Concatenate[Any, E, P], R]: ...


def listener(
    event: type[E],
    /,
    *,
    name: str | None = None,
    attempts: int = 5,
    backoff: float = 1.0,
    max_backoff: float = 300.0,
    timeout: float = 300.0,
) -> ListenerDecorator[E]:
    """Mark a function or method as a listener of ``event``.

    The listener takes the event, and optionally the :class:`Delivery` (its id
    and attempt number, to be idempotent); it may be ``async``. mypy and pyright
    check that its event parameter accepts ``event``.

    Args:
        event: the event class to react to.
        name: the listener's durable name; deliveries are stored under it (the
            default: the plugin's name and the attribute, ``Notifications.email_owner``).
        attempts: tries before a delivery becomes a dead letter (5).
        backoff: seconds before the first retry, doubling each time, with jitter (1).
        max_backoff: the longest wait between tries (300).
        timeout: seconds a worker may hold a delivery before it is delivered again (300).

    Raises:
        TypeError: an option out of range, or ``event`` not an event class.

    Example::

        class Notifications:
            @listener(TaskCompleted, name="email-owner", attempts=3)
            def email_owner(self, event: TaskCompleted, delivery: Delivery) -> None: ...
    """
    given = cast("object", event)
    if not (isinstance(given, type) and issubclass(given, Event) and given is not Event):
        msg = f"listener() takes an event class (an Event subclass), not {given!r}"
        raise TypeError(msg)
    options = ListenerOptions(
        event,
        name,
        count("listener()", "attempts", attempts),
        seconds("listener()", "backoff", backoff),
        seconds("listener()", "max_backoff", max_backoff),
        seconds("listener()", "timeout", timeout),
    )

    def mark(function: Any) -> Any:
        setattr(getattr(function, "__func__", function), LISTENER_MARK, options)
        return function

    return cast("ListenerDecorator[E]", mark)  # its overloads describe what mark accepts


def count(where: str, option: str, value: object) -> int:
    """``value`` if it is an int of at least 1.

    Raises:
        TypeError: naming ``where``, the option and the value.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    msg = f"{where}: {option} must be an int of at least 1, not {value!r}"
    raise TypeError(msg)


def seconds(where: str, option: str, value: object) -> float:
    """``value`` as a float, if it is a positive number (of seconds).

    Raises:
        TypeError: naming ``where``, the option and the value.
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    msg = f"{where}: {option} must be a positive number of seconds, not {value!r}"
    raise TypeError(msg)


def listener_options(value: object) -> ListenerOptions | None:
    """The options an attribute was marked with by :func:`listener`, or None."""
    try:
        options = getattr(getattr(value, "__func__", value), LISTENER_MARK, None)
    except Exception:  # noqa: BLE001 - an attribute that fails to read is not a listener
        return None
    return options if isinstance(options, ListenerOptions) else None


@final
class Listener:
    """A registered listener: its name, its event, the function called, and its options.

    Attributes:
        name: the durable name.
        event: the event class.
        function: what is called, with the event (and the delivery, when ``takes_delivery``).
        options: its :class:`ListenerOptions`.
        owner: the object or module it came from.
        takes_delivery: whether it takes the :class:`Delivery` as a second argument.
        is_async: a coroutine function: workers await it.
    """

    __slots__ = ("event", "function", "impl", "is_async", "name", "options", "owner", "policy", "takes_delivery")

    def __init__(self, name: str, function: Callable[..., Any], options: ListenerOptions, owner: object) -> None:
        self.name: str = name
        self.event: type[Event] = options.event
        self.function: Callable[..., Any] = function
        self.options: ListenerOptions = options
        self.owner: object = owner
        self.takes_delivery: bool = _takes_delivery(name, function, options.event)
        self.is_async: bool = inspect.iscoroutinefunction(function)
        self.policy: Policy = Policy(options.timeout, options.attempts)
        """What a store needs to hand out its deliveries."""
        self.impl: HookImpl = HookImpl(name, owner, function, options.event.event_name, ImplOptions(), seq=0)
        """The listener as an implementation of its event's hook: how deliveries run on hookwise's call path."""
        self.impl.argnames = ("event", "delivery") if self.takes_delivery else ("event",)
        self.impl.is_async = self.is_async

    def retry_at(self, attempt: int, now: float) -> float | None:
        """When to try again after attempt ``attempt`` failed: exponential backoff with jitter, or None
        when that was the last attempt (the delivery becomes a dead letter).

        The wait is ``backoff * 2 ** (attempt - 1)``, at most ``max_backoff``, of which a random part
        (up to half) is left out, so that retries of many deliveries spread out.
        """
        if attempt >= self.options.attempts:
            return None
        wait = min(self.options.max_backoff, self.options.backoff * float(2 ** (attempt - 1)))
        return now + wait * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not cryptography

    def __repr__(self) -> str:
        return f"<Listener {self.name!r} of {self.event.event_name}>"


def _takes_delivery(name: str, function: Callable[..., Any], event: type[Event]) -> bool:
    """Whether the listener takes the delivery too; its signature must take the event, and maybe the delivery.

    Raises:
        PluginValidationError: naming the listener, the event and the signature it should have.
    """
    try:
        found = parameters(function)
    except (TypeError, ValueError) as error:
        msg = f"listener {name!r}: cannot read the signature of {function!r}"
        raise PluginValidationError(msg, plugin=name, hook=event.event_name) from error
    if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function):
        problem = "is a generator"
    else:
        positional = [p for p in found if p.kind in (POSITIONAL_ONLY, POSITIONAL)]
        required = [p for p in positional if not p.has_default]
        star = any(p.kind == VAR_POSITIONAL for p in found)
        keyword = [p for p in found if p.kind == KEYWORD_ONLY and not p.has_default]
        if not keyword and (star or 1 <= len(required) <= 2 or (not required and positional)):
            return star or len(positional) >= 2
        problem = f"takes ({show_parameters(found)})"
    msg = (
        f"listener {name!r} of event {event.event_name!r} {problem}; a listener takes the event, and may take the "
        f"delivery: def {getattr(function, '__name__', 'listen')}(event: {event.__qualname__}, delivery: Delivery)"
    )
    raise PluginValidationError(msg, plugin=name, hook=event.event_name)
