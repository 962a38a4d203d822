"""Lanes, and the elastic pool of threads that runs them.

A worker has one :class:`Lane` per listener: the listener's deliveries, run one at a
time and in order. A :class:`LanePool` runs the lanes on as few threads as keep them
flowing: ``threads`` threads take ready lanes round robin, a batch at a time; a watch
thread adds a thread whenever a delivery has been running longer than ``slow_after`` and
a lane is waiting for one (up to one thread per lane), and a thread beyond what the pool
needs ends after its batch. So fast listeners share one thread (no GIL hand-offs), and a
slow or stuck listener never holds up the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final, final

if TYPE_CHECKING:
    from hookwise.events._listeners import Listener
    from hookwise.events._store import Claimed

_log: Final = logging.getLogger("hookwise.events")


def _nothing() -> None:
    return None


@final
class Lane:
    """One listener's deliveries in a worker: run by one thread at a time, so they keep their order."""

    __slots__ = ("due", "failures", "held", "listener", "poked", "policies", "state", "stop_waking", "unrecorded")

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.policies = {listener.name: listener.policy}
        self.state = "new"
        """``ready`` (queued for a thread), ``running``, ``waiting`` (until ``due``)."""
        self.due = 0.0
        self.poked = False
        """An event for it was published while it ran: look again at once."""
        self.failures = 0
        """The store's failures in a row (a broker restarting): the lane waits longer after each."""
        self.held: list[Claimed] = []
        """Deliveries claimed, not started when the store failed: run first when it answers again."""
        self.unrecorded: deque[tuple[Claimed, Exception | None]] = deque()
        """Outcomes the store refused to record (done, or the listener's error): recorded first."""
        self.stop_waking: Callable[[], None] = _nothing


@final
class LanePool:
    """Runs lanes on an elastic pool of threads (see the module docstring).

    Args:
        lanes: the lanes.
        run: runs one batch of a lane; returns whether it found work (else it set the lane's ``due``).
        threads: threads while no delivery is slow.
        slow_after: seconds after which a running delivery counts as slow.
        tick: called every ``tick_every`` seconds by the watch thread (the outbox relay).
        stopping: set to stop.
        name: the worker's name, for thread names and logs.
    """

    def __init__(
        self,
        lanes: Sequence[Lane],
        run: Callable[[Lane], bool],
        *,
        threads: int,
        slow_after: float,
        tick: Callable[[], None],
        tick_every: float,
        stopping: threading.Event,
        name: str,
    ) -> None:
        self.lanes = list(lanes)
        self.run = run
        self.threads = threads
        self.slow_after = slow_after
        self.tick = tick
        self.tick_every = tick_every
        self.stopping = stopping
        self.name = name
        self._cond = threading.Condition()
        self._ready: deque[Lane] = deque()
        self._busy: dict[int, float] = {}
        """Threads running a delivery, and since when."""
        self._threads: list[threading.Thread] = []
        self._watch_thread: threading.Thread | None = None
        self.on_exit: Callable[[], None] = _nothing
        """Called by each pool thread as it ends (to close what it opened)."""

    def start(self) -> None:
        """Start ``threads`` threads and the watch."""
        with self._cond:
            self._ready.extend(self.lanes)
            for _ in range(min(self.threads, len(self.lanes))):
                self._spawn()
        self._watch_thread = threading.Thread(target=self._watch, name=f"hookwise watch {self.name}", daemon=True)
        self._watch_thread.start()

    def poker(self, lane: Lane) -> Callable[[], None]:
        """A function that pokes ``lane``."""
        return lambda: self.poke(lane)

    def poke(self, lane: Lane) -> None:
        """Work may be due for ``lane`` now (an event was published for it)."""
        with self._cond:
            if lane.state == "waiting":
                lane.state = "ready"
                self._ready.append(lane)
                self._cond.notify()
            else:
                lane.poked = True

    @contextmanager
    def running(self) -> Generator[None, None, None]:
        """Mark this thread as running a delivery (the watch adds a thread if it runs long)."""
        me = threading.get_ident()
        self._busy[me] = time.monotonic()
        try:
            yield
        finally:
            del self._busy[me]

    def stop(self, deadline: float) -> list[str]:
        """Wake every thread to stop, and wait for them until ``deadline`` (monotonic); the ones still running."""
        with self._cond:
            self._cond.notify_all()
            threads = [*self._threads, *([self._watch_thread] if self._watch_thread is not None else [])]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [thread.name for thread in threads if thread.is_alive()]

    def _spawn(self) -> None:
        thread = threading.Thread(
            target=self._serve, name=f"hookwise {self.name} #{len(self._threads) + 1}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _serve(self) -> None:
        """A pool thread: run ready lanes, a batch at a time, round robin."""
        me = threading.current_thread()
        try:
            while (lane := self._next()) is not None:
                try:
                    more = self.run(lane)
                except Exception:  # noqa: BLE001 - a bug must not stop a worker's thread: log it, the lane waits
                    _log.exception("worker %s: listener %r's lane failed", self.name, lane.listener.name)
                    lane.due, more = time.monotonic() + 1.0, False
                with self._cond:
                    self._park(lane, more)
                    if self._surplus():
                        return
        finally:
            with self._cond:
                self._threads.remove(me)
                self._cond.notify_all()
            self.on_exit()

    def _next(self) -> Lane | None:
        with self._cond:
            while not self.stopping.is_set():
                now = time.monotonic()
                for lane in self.lanes:
                    if lane.state == "waiting" and lane.due <= now:
                        lane.state = "ready"
                        self._ready.append(lane)
                if self._ready:
                    lane = self._ready.popleft()
                    lane.state = "running"
                    lane.poked = False
                    return lane
                waiting = [lane.due for lane in self.lanes if lane.state == "waiting"]
                self._cond.wait(max(0.0, min(waiting) - now) if waiting else None)
        return None

    def _park(self, lane: Lane, more: bool) -> None:
        """After a lane's batch: ready again if it had work (or was poked), else waiting for its due time."""
        if more or lane.poked:
            lane.state = "ready"
            self._ready.append(lane)
        else:
            lane.state = "waiting"
        self._cond.notify()  # a thread waiting on a later due time recomputes

    def _stuck(self) -> int:
        now = time.monotonic()
        return sum(1 for started in list(self._busy.values()) if now - started > self.slow_after)

    def _surplus(self) -> bool:
        """Whether this thread is one more than the pool needs now (it was added for a slow listener)."""
        return len(self._threads) - self._stuck() > self.threads

    def _watch(self) -> None:
        """Add a thread while slow deliveries hold the pool's threads; call ``tick`` every ``tick_every``."""
        ticked = 0.0
        while not self.stopping.wait(self.slow_after / 2):
            if time.monotonic() - ticked >= self.tick_every:
                ticked = time.monotonic()
                self.tick()
            with self._cond:
                now = time.monotonic()
                wanted = self._ready or any(o.state == "waiting" and o.due <= now for o in self.lanes)
                free = len(self._threads) - self._stuck()
                if free < self.threads and len(self._threads) < len(self.lanes) and wanted:
                    self._spawn()
