"""The event bus: listeners registered like plugins, events published durably, delivered by workers.

:class:`EventBus` is the events face of hookwise. Its store (chosen by URL)
keeps events and one delivery per (event, listener); each delivery runs the
listener as the one implementation of its event's hook, through hookwise's
call path (``runner``), so monitors, traces, the HTML timeline, statistics
and OpenTelemetry see deliveries as they see hook calls.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast, final

from hookwise._engine import Instrumentation, runner
from hookwise._plugins import PluginInfo, default_name, describe, identity, marked
from hookwise._spec import HookSpec
from hookwise._text import did_you_mean, shown
from hookwise.events._event import Delivery, Event, sealed
from hookwise.events._listeners import Listener, listener_options, seconds
from hookwise.events._store import DeadLetter, DeliveryRecord, Envelope, ListenerStatus, Store, open_store
from hookwise.exceptions import (
    EventDefinitionError,
    PluginValidationError,
    RegistrationError,
)

if TYPE_CHECKING:
    from hookwise._tracing import Monitor
    from hookwise.events._worker import Drained, Worker

E = TypeVar("E", bound=Event)

_UNIT: contextvars.ContextVar[tuple[EventBus, Any] | None] = contextvars.ContextVar("hookwise_event_unit", default=None)


class _Run(NamedTuple):
    run: Callable[[dict[str, Any]], Any]
    tracer: Any


class _Registered(NamedTuple):
    info: PluginInfo
    listeners: tuple[Listener, ...]


@final
class EventBus:
    """Publishes events durably and delivers them to listeners, each delivery on its own.

    Example::

        bus = EventBus("sqlite:///app.db")
        bus.register(Notifications())            # an object, module or function with @listener marks
        bus.publish(TaskCompleted(task_id="t1", owner_id="ann"), key="ann")
        worker = bus.start()                      # deliver in this process's threads
        ...
        worker.stop(timeout=10)

    Args:
        url: where events are kept: ``sqlite:///path/app.db`` (the embedded
            default: a SQLite file, shared with the application's rows),
            ``memory://`` (tests), ``redis://host:6379/0`` (many machines).
        poll: seconds an idle worker waits before it looks for events
            published by other processes (events published by this process
            wake it at once).
        outbox: with a broker (``redis://``), the application's SQLite database
            (``sqlite:///app.db``): events published in its transactions wait
            there, committed with its rows, until they are relayed to the broker.

    Raises:
        EventStoreError: the URL names no store, or the store cannot be opened.
    """

    def __init__(self, url: str = "memory://", *, poll: float = 0.5, outbox: str | None = None) -> None:
        self.url: str = url
        self.poll: float = seconds("EventBus()", "poll", poll)
        self.store: Store = open_store(url, outbox=outbox)
        self._lock = threading.RLock()
        self._plugins: dict[str, _Registered] = {}
        self._identities: dict[object, str] = {}
        self._listeners: dict[str, Listener] = {}
        self._events: dict[str, type[Event]] = {}
        self._specs: dict[str, HookSpec[..., Any]] = {}
        self._monitors: list[tuple[Monitor, frozenset[str] | None]] = []
        self._runners: dict[str, _Run] = {}
        self._wakers: dict[str, list[Callable[[], None]]] = {}
        self._workers: list[Worker] = []

    # -- listeners -------------------------------------------------------------------------------------
    def register(self, plugin: object, /, *, name: str | None = None, source: str = "code") -> str:
        """Register the listeners a plugin holds: an object, a module, or one ``@listener`` function.

        Each listener is subscribed in the store under its durable name: events
        of its class published from now on (by any process sharing the store)
        are delivered to it.

        Returns:
            the plugin's name.

        Raises:
            PluginValidationError: the plugin holds no listener, or a listener's
                signature does not take the event (the message names it).
            RegistrationError: the plugin or the name is registered already, or a
                listener's durable name is taken by another listener.
            EventDefinitionError: two event classes share one name.
        """
        plugin_name = name if name is not None else default_name(plugin)
        with self._lock:
            if identity(plugin) in self._identities:
                existing = self._identities[identity(plugin)]
                msg = f"{describe(plugin)} is registered already, as plugin {existing!r}; register an object once"
                raise RegistrationError(msg, plugin=plugin_name)
            if plugin_name in self._plugins:
                msg = f"a plugin named {plugin_name!r} is registered already; register this one with name=..."
                raise RegistrationError(msg, plugin=plugin_name)
            listeners = self._listeners_of(plugin, plugin_name)
            for found in listeners:
                self._check_event(found.event)
            for found in listeners:
                self.store.subscribe(found.name, found.event.event_name)
            for found in listeners:
                self._listeners[found.name] = found
                self._events[found.event.event_name] = found.event
                self._specs.setdefault(found.event.event_name, _spec_for(found.event))
            info = PluginInfo(plugin_name, plugin, tuple(found.impl for found in listeners), source)
            self._plugins[plugin_name] = _Registered(info, tuple(listeners))
            self._identities[identity(plugin)] = plugin_name
        return plugin_name

    def _listeners_of(self, plugin: object, plugin_name: str) -> list[Listener]:
        found = marked(plugin, plugin_name, listener_options, "listener")
        if not found:
            msg = (
                f"plugin {plugin_name!r} ({describe(plugin)}) has no listeners: mark its functions or methods with "
                f"@listener(EventClass)"
            )
            raise PluginValidationError(msg, plugin=plugin_name, hook="")
        listeners: list[Listener] = []
        alone = len(found) == 1 and found[0][2] is plugin
        for attribute, options, function in found:
            listener_name = options.name or (plugin_name if alone else f"{plugin_name}.{attribute}")
            taken = self._listeners.get(listener_name) or next((o for o in listeners if o.name == listener_name), None)
            if taken is not None:
                msg = (
                    f"listener name {listener_name!r} of plugin {plugin_name!r} is taken by {taken.function!r}: "
                    f"a listener's name is its durable subscription; give each one its own with "
                    f"@listener({options.event.__qualname__}, name='...')"
                )
                raise RegistrationError(msg, plugin=plugin_name)
            listeners.append(Listener(listener_name, function, options, plugin))
        return listeners

    def _check_event(self, event: type[Event]) -> None:
        known = self._events.get(event.event_name)
        if known is not None and known is not event:
            msg = (
                f"event name {event.event_name!r} is declared by two classes, {known.__module__}.{known.__qualname__} "
                f"and {event.__module__}.{event.__qualname__}; an event name must mean one class"
            )
            raise EventDefinitionError(msg, event=event.event_name)

    def unregister(self, plugin: object) -> object:
        """Stop delivering to a plugin's listeners in this process; its subscriptions stay in the store.

        ``plugin`` is the object registered or its name. Deliveries keep being
        stored for its listeners (so nothing is lost while a new release rolls
        out); :meth:`forget` ends a subscription for good.

        Raises:
            RegistrationError: the plugin is not registered.
        """
        with self._lock:
            name = plugin if isinstance(plugin, str) and plugin in self._plugins else self.name_of(plugin)
            if name is None:
                msg = f"{shown(plugin, 60)} is not registered{did_you_mean(str(plugin), self._plugins)}"
                raise RegistrationError(msg, plugin=str(plugin))
            registered = self._plugins.pop(name)
            self._identities.pop(identity(registered.info.plugin), None)
            for found in registered.listeners:
                self._listeners.pop(found.name, None)
                self._runners.pop(found.name, None)
        return registered.info.plugin

    def forget(self, listener: str) -> int:
        """End a listener's subscription: no events are stored for it any more, and its undelivered ones
        are dropped. Returns how many deliveries were dropped."""
        with self._lock:
            if listener in self._listeners:
                msg = (
                    f"listener {listener!r} is registered on this bus, which would go on serving it: remove it from "
                    f"the code (or unregister its plugin), then forget it"
                )
                raise RegistrationError(msg, plugin=listener)
        return self.store.forget(listener)

    def is_registered(self, plugin: object) -> bool:
        """Whether this object is registered (bound methods compare by equality)."""
        return identity(plugin) in self._identities

    def name_of(self, plugin: object) -> str | None:
        """The name a plugin object is registered under, or None."""
        return self._identities.get(identity(plugin))

    @property
    def plugins(self) -> Mapping[str, object]:
        """The registered plugins, by name (a snapshot)."""
        with self._lock:
            return {name: registered.info.plugin for name, registered in self._plugins.items()}

    def plugin_info(self, name: str) -> PluginInfo:
        """A registered plugin's record: its name, the object, its listeners as implementations, its source.

        Raises:
            KeyError: no plugin of that name.
        """
        try:
            return self._plugins[name].info
        except KeyError:
            msg = f"no plugin named {name!r}{did_you_mean(name, self._plugins)}"
            raise KeyError(msg) from None

    @property
    def listeners(self) -> Mapping[str, Listener]:
        """The listeners registered in this process, by durable name (a snapshot)."""
        with self._lock:
            return dict(self._listeners)

    def listeners_of(self, event: type[Event] | str) -> list[Listener]:
        """The listeners registered in this process for an event class or name, by name."""
        name = event if isinstance(event, str) else event.event_name
        return sorted((found for found in self.listeners.values() if found.event.event_name == name), key=_by_name)

    # -- publishing --------------------------------------------------------------------------------------
    def publish(self, event: Event, /, *, key: str | None = None, within: object | None = None) -> str:
        """Record an event durably and return its id; listeners get it later, each on its own.

        It never waits for a listener, and no listener's failure reaches the
        caller. Inside ``with bus.transaction(connection):`` the event is written
        in that transaction; ``within=connection`` writes it into the open
        transaction of a connection the application commits itself (a
        ``sqlite3`` connection, or a SQLAlchemy ``Session``/``Connection``, on the
        store's database file). Either way it is delivered only if that commits.

        Args:
            event: an instance of an :class:`Event` subclass.
            key: events with the same key reach each listener in publish order
                (an order id, an account id); None: no order.
            within: an application connection whose transaction the event joins.

        Returns:
            the event's id (the same for every listener and attempt).

        Raises:
            PublishError: a field is not primitive data (the message names it),
                or the store refused the write (read-only, full, locked); nothing
                was published.
        """
        envelope = sealed(event, key)
        if within is not None:
            self.store.publish_in(self.store.join(within), [envelope])
            from hookwise.events._units import unit_of_work

            unit_of_work(within).after_commit(lambda: self._wake([envelope.name]))
            return envelope.id
        unit = _UNIT.get()
        if unit is not None and unit[0] is self:
            self.store.publish_in(unit[1], [envelope])
            return envelope.id
        self.store.publish([envelope])
        self._wake([envelope.name])
        return envelope.id

    @contextmanager
    def transaction(self, connection: object | None = None) -> Generator[Any, None, None]:
        """A unit of work: events published in the block are stored with it, and delivered after it commits.

        With a connection (``sqlite3``, or a SQLAlchemy ``Session``/``Connection``
        on the store's database file), the block is a transaction of that
        connection: the application's rows and the events commit together at
        the end of the block, or roll back together on an exception. Without
        one, the block's events are stored together at its end, or not at all.
        A ``memory://`` store stores the events after the connection commits.

        Yields:
            the connection.

        Raises:
            EventStoreError: the connection is of an unknown kind, or on another
                database than the store's.
        """
        outer = _UNIT.get()
        if outer is not None and outer[0] is self:
            yield connection  # joins the enclosing unit of work
            return
        names: list[str] = []
        with self.store.transaction(connection) as handle:
            token = _UNIT.set((self, handle))
            try:
                yield connection
            finally:
                _UNIT.reset(token)
            names = [e.name for e in cast("list[Envelope]", handle)] if isinstance(handle, list) else list(self._events)
        self._wake(names)

    def use_store(self, url: str, *, outbox: str | None = None) -> None:
        """Keep events in another store from now on, with every registered listener subscribed there.

        For a worker run against another broker than the application's default
        (``hookwise events worker --broker redis://...``). Events waiting in the
        previous store stay there. Workers of this bus must be stopped first.

        Raises:
            EventStoreError: the URL names no store, or it cannot be opened.
            RuntimeError: a worker of this bus is running.
        """
        with self._lock:
            if self._workers:
                msg = "stop this bus's workers before it uses another store"
                raise RuntimeError(msg)
            store = open_store(url, outbox=outbox)
            for found in self._listeners.values():
                store.subscribe(found.name, found.event.event_name)
            self.store.close()
            self.store, self.url = store, url

    def _wake(self, event_names: Iterable[str]) -> None:
        for name in set(event_names):
            for wake in self._wakers.get(name, ()):
                wake()

    def on_published(self, event_name: str, wake: Callable[[], None]) -> Callable[[], None]:
        """Call ``wake`` after this process publishes an event named ``event_name`` (workers use it).

        Returns:
            a function that stops calling it.
        """
        with self._lock:
            self._wakers.setdefault(event_name, []).append(wake)

        def remove() -> None:
            with self._lock:
                wakers = self._wakers.get(event_name, [])
                if wake in wakers:
                    wakers.remove(wake)

        return remove

    # -- delivering ----------------------------------------------------------------------------------------
    def deliver(self, found: Listener, event: Event, delivery: Delivery) -> None:
        """Run one delivery on hookwise's call path (monitors, traces, statistics, OpenTelemetry).

        Raises:
            Exception: whatever the listener raised; the worker records it.
        """
        __tracebackhide__ = True
        run, tracer = self._runners.get(found.name) or self._runner(found)
        if tracer is None:
            run({"event": event, "delivery": delivery})
            return
        from hookwise.otel import delivery_span

        with delivery_span(delivery, tracer):
            run({"event": event, "delivery": delivery})

    async def adeliver(self, found: Listener, event: Event, delivery: Delivery) -> None:
        """:meth:`deliver`, awaited: an async listener is awaited, a sync one called."""
        __tracebackhide__ = True
        run, tracer = self._runners.get(found.name) or self._runner(found)
        if tracer is None:
            await run({"event": event, "delivery": delivery})
            return
        from hookwise.otel import delivery_span

        with delivery_span(delivery, tracer):
            await run({"event": event, "delivery": delivery})

    def _runner(self, found: Listener) -> _Run:
        """How a listener's deliveries run: its event's hook with the listener as the one implementation,
        instrumented with the bus's monitors of that event; and the tracer of their OpenTelemetry spans (the
        bus's ``OpenTelemetryMonitor``'s, or the installed provider's), or None. Kept until the monitors change.
        """
        spec = self._specs[found.event.event_name]
        with self._lock:
            monitors = [m for m, events in self._monitors if events is None or spec.name in events]
            run = runner(
                spec,
                [found.impl],
                instrumentation=Instrumentation.for_hook(spec, monitors) if monitors else None,
                is_async=found.is_async,
            )
            tracer = None
            if "opentelemetry" in sys.modules:
                from hookwise.otel import OpenTelemetryMonitor, active_tracer

                tracer = active_tracer(next((m.tracer for m in monitors if isinstance(m, OpenTelemetryMonitor)), None))
            made = self._runners[found.name] = _Run(run, tracer)
        return made

    def start(
        self,
        *,
        listeners: Iterable[str] | None = None,
        threads: int = 1,
        slow_after: float = 0.05,
        batch: int = 16,
        shutdown_timeout: float = 30.0,
    ) -> Worker:
        """Deliver in this process, in background threads, until :meth:`Worker.stop` or :meth:`close`.

        Each listener has its own lane: its deliveries run one at a time, in
        order, never mixed with another listener's. ``threads`` threads run the
        lanes a batch at a time; when a delivery has run longer than
        ``slow_after`` seconds, the worker adds a thread (up to one per
        listener), so a slow listener never holds up the others.

        Args:
            listeners: the names of the listeners to serve; all registered ones by default.
            threads: threads running deliveries while none is slow.
            slow_after: seconds after which a running delivery counts as slow.
            batch: deliveries a lane takes at a time.
            shutdown_timeout: how long :meth:`Worker.stop` (and :meth:`close`) wait for
                deliveries in flight.

        Returns:
            the running :class:`Worker`; ``worker.stop()`` finishes the deliveries in
            flight, gives back the rest, and stops.
        """
        from hookwise.events._worker import Worker

        worker = Worker(
            self,
            self._chosen(listeners),
            batch=batch,
            threads=threads,
            slow_after=slow_after,
            shutdown_timeout=shutdown_timeout,
        )
        with self._lock:
            self._workers.append(worker)
        worker.start()
        return worker

    async def serve(self, *, listeners: Iterable[str] | None = None, batch: int = 16) -> None:
        """Deliver as asyncio tasks, one per listener, until cancelled (then finish what is in flight).

        Async listeners are awaited on the loop; sync ones and the store's work run in threads.
        """
        from hookwise.events._worker import Worker

        await Worker(self, self._chosen(listeners), batch=batch).serve()

    def drain(self, *, listeners: Iterable[str] | None = None, retry_now: bool = True) -> Drained:
        """Deliver everything due, now, in this thread; for tests and scripts.

        Args:
            listeners: the listeners to deliver to; all registered ones by default.
            retry_now: retries are due at once rather than after their backoff, so
                a failing listener runs out of attempts and its delivery becomes a
                dead letter within the call.

        Returns:
            how many deliveries succeeded, failed and became dead letters.

        Raises:
            RuntimeError: an async listener is due and an event loop is running here; await :meth:`adrain`.
        """
        from hookwise.events._worker import Worker

        return Worker(self, self._chosen(listeners)).drain(retry_now=retry_now)

    async def adrain(self, *, listeners: Iterable[str] | None = None, retry_now: bool = True) -> Drained:
        """:meth:`drain`, awaited: async listeners are awaited on this loop."""
        from hookwise.events._worker import Worker

        return await Worker(self, self._chosen(listeners)).adrain(retry_now=retry_now)

    def _chosen(self, names: Iterable[str] | None) -> list[Listener]:
        registered = self.listeners
        if names is None:
            return sorted(registered.values(), key=_by_name)
        chosen: list[Listener] = []
        for name in names:
            if name not in registered:
                msg = f"no listener named {name!r} is registered{did_you_mean(name, registered)}"
                raise KeyError(msg)
            chosen.append(registered[name])
        return chosen

    # -- monitors ----------------------------------------------------------------------------------------
    def add_monitor(self, monitor: Monitor, *, events: Iterable[str] | None = None) -> Callable[[], None]:
        """Watch deliveries: ``monitor`` gets a ``TraceEvent`` before and after each, as for hook calls.

        A delivery is a call of the hook named for its event, with the listener
        as its one implementation (``plugin`` is the listener's name).

        Args:
            monitor: a ``TraceRecorder``, ``HookStats``, ``OpenTelemetryMonitor`` or your own.
            events: the event names to watch; all by default.

        Returns:
            a function that removes the monitor.
        """
        with self._lock:
            self._monitors.append((monitor, None if events is None else frozenset(events)))
            self._runners.clear()

        def remove() -> None:
            self.remove_monitor(monitor)

        return remove

    def remove_monitor(self, monitor: Monitor) -> None:
        """Stop calling a monitor; removing one that is not there does nothing."""
        with self._lock:
            self._monitors = [(m, events) for m, events in self._monitors if m != monitor]
            self._runners.clear()

    # -- operating ---------------------------------------------------------------------------------------
    def status(self) -> list[ListenerStatus]:
        """Per subscribed listener: pending, in flight, retrying, dead, done, the oldest undelivered age."""
        return self.store.status()

    def deliveries(self, event_id: str) -> list[DeliveryRecord]:
        """What happened to one event at each of its listeners."""
        return self.store.deliveries(event_id)

    def dead(self, listener: str | None = None, *, limit: int = 100) -> list[DeadLetter]:
        """Dead letters (of one listener, or all), oldest first, with their last error."""
        return self.store.dead(listener, limit)

    def retry(self, listener: str | None = None, *, event_id: str | None = None) -> int:
        """Requeue dead letters (of one listener, one event, or all) with fresh attempts; return how many."""
        count = self.store.retry(listener, event_id)
        self._wake(self._events)
        return count

    def prune(self, older_than: float) -> int:
        """Forget delivered events published more than ``older_than`` seconds ago; return how many deliveries."""
        return self.store.prune(time.time() - older_than)

    def close(self) -> None:
        """Stop this bus's workers (finishing deliveries in flight) and close the store."""
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()
        self.store.close()

    def __repr__(self) -> str:
        return f"<EventBus {self.url} listeners={sorted(self._listeners)}>"


def _by_name(found: Listener) -> str:
    return found.name


def _spec_for(event: type[Event]) -> HookSpec[..., Any]:
    return HookSpec.from_names(
        event.event_name, ["event", "delivery"], kind="observe", doc=f"Deliveries of {event.__qualname__}."
    )
