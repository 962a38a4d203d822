"""Helpers for testing plugins and hosts: a fresh manager, a call recorder, assertions.

For plugin authors::

    from hookwise.testing import CallRecorder, fresh_manager

    def test_budget_vetoes_over_budget_owners() -> None:
        hooks = fresh_manager(TodoHooks, BudgetPlugin(over_budget={"ann"}))
        recorder = CallRecorder.attach(hooks)
        result = hooks.call.before_complete_task(task_id="t", owner_id="ann", actor_id="ann")
        assert_vetoed(result, by="BudgetPlugin", reason="over budget")
        recorder.assert_called("before_complete_task", owner_id="ann")

With pytest, the same helpers are fixtures (``hookwise_recorder``) through the
``hookwise`` pytest plugin, installed with hookwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from hookwise._manager import HookManager
from hookwise._results import DispatchResult
from hookwise._tracing import TraceRecorder

if TYPE_CHECKING:
    from hookwise.events import Drained, Event, EventBus

__all__ = [
    "CallRecorder",
    "ManagerFactory",
    "WatchingRecorder",
    "assert_allowed",
    "assert_patched",
    "assert_vetoed",
    "drain",
    "fresh_manager",
    "published",
]

S = TypeVar("S")
E = TypeVar("E", bound="Event")


@overload
def fresh_manager(specs: type[S], /, *plugins: object, **options: Any) -> HookManager[S]: ...
@overload
def fresh_manager(specs: None = None, /, *plugins: object, **options: Any) -> HookManager[object]: ...
def fresh_manager(specs: type[Any] | None = None, /, *plugins: object, **options: Any) -> HookManager[Any]:
    """A new manager for ``specs`` with ``plugins`` registered, in order; ``options`` go to :class:`HookManager`."""
    manager: HookManager[Any] = HookManager(specs, **options) if specs is not None else HookManager(**options)
    for plugin in plugins:
        manager.register(plugin)
    return manager


class CallRecorder(TraceRecorder):
    """A :class:`~hookwise.TraceRecorder` with assertions for tests.

    Attach it with :meth:`attach` (or ``manager.add_monitor(recorder)``); it
    records every call of the hooks it watches, with each implementation's run,
    and keeps each call's arguments themselves, so assertions compare values.
    """

    def __init__(self, max_calls: int = 10_000) -> None:
        super().__init__(max_calls, keep_values=True)

    @classmethod
    def attach(cls, manager: HookManager[Any], hooks: Sequence[str] | None = None) -> CallRecorder:
        """A recorder monitoring ``manager`` (all hooks, or the ones named)."""
        recorder = cls()
        manager.add_monitor(recorder, hooks=hooks)
        return recorder

    def calls_of(self, hook: str) -> list[dict[str, Any]]:
        """The arguments of every recorded call of ``hook``, in order (nested calls included)."""
        return [dict(call.values or {}) for call in self._all_calls() if call.hook == hook]

    def plugins_called(self, hook: str, call: int = -1) -> list[str]:
        """The plugins whose implementations ran in one call of ``hook`` (the last by default), in order."""
        calls = [c for c in self._all_calls() if c.hook == hook]
        if not calls:
            msg = f"hook {hook!r} was not called (recorded: {sorted({c.hook for c in self._all_calls()}) or 'nothing'})"
            raise AssertionError(msg)
        return [impl.plugin for impl in calls[call].impls]

    def assert_called(self, hook: str, times: int | None = None, **arguments: Any) -> None:
        """Assert ``hook`` was called (``times`` times), at least once with ``arguments`` among its arguments."""
        calls = self.calls_of(hook)
        if times is not None and len(calls) != times:
            msg = f"hook {hook!r} was called {len(calls)} time(s), expected {times}"
            raise AssertionError(msg)
        if not calls:
            msg = f"hook {hook!r} was not called"
            raise AssertionError(msg)
        if arguments and not any(all(call.get(k) == v for k, v in arguments.items()) for call in calls):
            msg = f"hook {hook!r} was never called with {arguments!r}; its calls: {calls!r}"
            raise AssertionError(msg)

    def assert_not_called(self, hook: str) -> None:
        """Assert ``hook`` was not called."""
        calls = self.calls_of(hook)
        if calls:
            msg = f"hook {hook!r} was called {len(calls)} time(s): {calls!r}"
            raise AssertionError(msg)

    def assert_order(self, hook: str, plugins: Sequence[str], call: int = -1) -> None:
        """Assert the plugins that ran in one call of ``hook`` (the last by default), in order."""
        ran = self.plugins_called(hook, call)
        if ran != list(plugins):
            msg = f"hook {hook!r} ran {ran}, expected {list(plugins)}"
            raise AssertionError(msg)

    def _all_calls(self) -> list[Any]:
        found: list[Any] = []
        stack = list(reversed(self.calls))
        while stack:
            call = stack.pop()
            found.append(call)
            stack.extend(reversed(call.children))
        return sorted(found, key=lambda c: c.start)


def assert_vetoed(result: DispatchResult, *, by: str | None = None, reason: str | None = None) -> None:
    """Assert an intercept result was vetoed (by plugin ``by``; with ``reason`` in its reason)."""
    __tracebackhide__ = True  # pytest shows the test's line, not this helper's
    if not result.vetoed:
        msg = f"hook {result.hook!r} was not vetoed (patches: {dict(result.patches)!r})"
        raise AssertionError(msg)
    if by is not None and result.vetoed_by != by:
        msg = f"hook {result.hook!r} was vetoed by {result.vetoed_by!r}, expected {by!r} (reason: {result.reason!r})"
        raise AssertionError(msg)
    if reason is not None and reason not in (result.reason or ""):
        msg = f"hook {result.hook!r} was vetoed with reason {result.reason!r}, expected it to contain {reason!r}"
        raise AssertionError(msg)


def assert_allowed(result: DispatchResult) -> None:
    """Assert an intercept result was not vetoed."""
    __tracebackhide__ = True  # pytest shows the test's line, not this helper's
    if result.vetoed:
        msg = f"hook {result.hook!r} was vetoed by {result.vetoed_by!r}: {result.reason}"
        raise AssertionError(msg)


def assert_patched(result: DispatchResult, patches: Mapping[str, Any], *, by: str | None = None) -> None:
    """Assert an intercept result patched these keys to these values (each by plugin ``by``, if given)."""
    __tracebackhide__ = True  # pytest shows the test's line, not this helper's
    for key, value in patches.items():
        if key not in result.patches:
            msg = f"hook {result.hook!r} did not patch {key!r} (patched: {dict(result.patches)!r})"
            raise AssertionError(msg)
        if result.patches[key] != value:
            msg = f"hook {result.hook!r} patched {key!r} to {result.patches[key]!r}, expected {value!r}"
            raise AssertionError(msg)
        if by is not None and result.patched_by[key] != by:
            msg = f"hook {result.hook!r}: {key!r} was patched by {result.patched_by[key]!r}, expected {by!r}"
            raise AssertionError(msg)


class WatchingRecorder(CallRecorder):
    """The ``hookwise_recorder`` fixture's recorder: it watches several managers, and stops after the test."""

    def __init__(self) -> None:
        super().__init__()
        self._removers: list[Callable[[], None]] = []

    def watch(self, manager: HookManager[Any], hooks: list[str] | None = None) -> WatchingRecorder:
        """Record ``manager``'s calls (all hooks, or the ones named) for the rest of the test."""
        self._removers.append(manager.add_monitor(self, hooks=hooks))
        return self

    def close(self) -> None:
        """Stop watching every manager."""
        for remove in self._removers:
            remove()
        self._removers.clear()


class ManagerFactory(Protocol):
    """The ``hookwise_manager`` fixture: ``hookwise_manager(Specs, *plugins, **options)`` is a typed manager.

    Annotate the fixture with it to get typed calls in a test::

        def test_labels(hookwise_manager: ManagerFactory) -> None:
            hooks = hookwise_manager(TodoHooks, Labels())
            assert hooks.call.task_labels(title="[PROJ-1] x") == ["work"]   # checked by mypy and pyright
    """

    @overload
    def __call__(self, specs: type[S], /, *plugins: object, **options: Any) -> HookManager[S]: ...
    @overload
    def __call__(self, specs: None = None, /, *plugins: object, **options: Any) -> HookManager[object]: ...


# -- events ---------------------------------------------------------------------------------------------


def drain(bus: EventBus, *, retry_now: bool = True) -> Drained:
    """Deliver every event due, now, in this thread, so a test sees what the listeners did.

    Retries are due at once (``retry_now``), so a listener that keeps failing
    ends as a dead letter within the call (check it with ``bus.dead()``).
    Events listeners publish are delivered too, in the same call. Await
    ``bus.adrain()`` instead inside a running event loop.

    Returns:
        how many deliveries succeeded, failed, and became dead letters.
    """
    return bus.drain(retry_now=retry_now)


def published(bus: EventBus, event: type[E], /) -> list[E]:
    """The events of class ``event`` the bus's store holds, oldest first: what the code under test published.

    Example::

        def test_completing_a_task_publishes_an_event(hookwise_event_bus):
            app = TodoApp(bus=hookwise_event_bus)
            app.complete("t1")
            assert published(hookwise_event_bus, TaskCompleted) == [TaskCompleted(task_id="t1")]
    """
    from hookwise.events._event import decode, rebuild

    found = [rebuild(event, decode(envelope.payload)) for envelope in bus.store.events(event.event_name)]
    return [item for item in found if isinstance(item, event)]
