"""The ``hookwise`` pytest plugin (entry point ``pytest11``): hookwise.testing's helpers as fixtures.

- ``hookwise_recorder``: a :class:`hookwise.testing.CallRecorder`; ``hookwise_recorder.watch(manager)``
  records a manager's calls until the test ends.
- ``hookwise_manager``: a factory, ``hookwise_manager(Specs, plugin, ...)``, for fresh managers
  that ``hookwise_recorder`` watches.
- ``hookwise_event_bus``: an ``EventBus("memory://")``, closed after the test; deliver with
  ``hookwise.testing.drain(bus)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import pytest

from hookwise._manager import HookManager
from hookwise.testing import ManagerFactory, WatchingRecorder, fresh_manager

if TYPE_CHECKING:
    from hookwise.events import EventBus


@pytest.fixture
def hookwise_recorder() -> Iterator[WatchingRecorder]:
    """A call recorder for hookwise managers; ``hookwise_recorder.watch(manager)`` starts recording."""
    recorder = WatchingRecorder()
    yield recorder
    recorder.close()


@pytest.fixture
def hookwise_manager(hookwise_recorder: WatchingRecorder) -> ManagerFactory:
    """``hookwise_manager(Specs, *plugins, **options)``: a fresh manager, watched by ``hookwise_recorder``.

    Annotate the fixture as :class:`hookwise.testing.ManagerFactory` for typed calls.
    """

    def make(specs: type[Any] | None = None, /, *plugins: object, **options: Any) -> HookManager[Any]:
        manager = fresh_manager(specs, *plugins, **options)
        hookwise_recorder.watch(manager)
        return manager

    return cast("ManagerFactory", make)


@pytest.fixture
def hookwise_event_bus() -> Iterator[EventBus]:
    """An event bus on a fresh ``memory://`` store, closed after the test; ``drain(bus)`` delivers."""
    from hookwise.events import EventBus

    bus = EventBus("memory://")
    yield bus
    bus.close()
