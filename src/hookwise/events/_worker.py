"""Workers: take due deliveries from the store, run each listener, record what happened.

A :class:`Worker` serves each listener in its own lane (a thread, or an
asyncio task), so a slow or failing listener never holds up another. A lane
claims a batch of its listener's due deliveries, runs them one at a time,
and records each as done the moment it returns: a delivery whose listener
finished is not repeated unless the process died before that record. A
failure is retried after an exponential backoff with jitter, until the
listener's attempts run out; then the delivery is a dead letter, with its
last error. Stopping finishes the delivery in flight and gives the rest of
the batch back to the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import os
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast, final

from hookwise._text import told
from hookwise.events._event import Delivery, Event, decode, rebuild
from hookwise.events._listeners import count, seconds
from hookwise.events._store import Claimed, Policy
from hookwise.exceptions import EventStoreError

if TYPE_CHECKING:
    from types import TracebackType

    from hookwise.events._bus import EventBus
    from hookwise.events._listeners import Listener

_log: Final = logging.getLogger("hookwise.events")
_log.addHandler(logging.NullHandler())  # a library logs; the application decides where it goes

DRAIN_LIMIT: Final = 100_000
"""Deliveries one :meth:`Worker.drain` makes at most (listeners that publish events in a loop never end)."""


class Drained(NamedTuple):
    """What a drain did."""

    delivered: int
    """Deliveries whose listener returned."""
    failed: int
    """Attempts that raised (each retry counts)."""
    dead: int
    """Deliveries that became dead letters."""


def describe(error: BaseException) -> str:
    """An error as a dead letter keeps it: its type, its message, and the line of the listener's code."""
    text = f"{type(error).__qualname__}: {told(error, 500)}"
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if f"{os.sep}hookwise{os.sep}" not in frame.filename
    ]
    if frames:
        last = frames[-1]
        text += f" (at {last.filename}:{last.lineno} in {last.name})"
    return text


def _nothing() -> None:
    return None


@final
class _Lane:
    """One listener's deliveries in a worker: run by one pool thread at a time, so they keep their order."""

    __slots__ = ("due", "failures", "listener", "poked", "policies", "state", "stop_waking")

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.policies = {listener.name: listener.policy}
        self.state = "new"
        """``ready`` (queued for a thread), ``running``, ``waiting`` (until ``due``)."""
        self.due = 0.0
        self.poked = False
        """An event for it was published while it ran: look again at once."""
        self.failures = 0
        self.stop_waking: Callable[[], None] = _nothing


@final
class Worker:
    """Delivers a bus's events to some of its listeners, each listener in its own lane.

    Get one from :meth:`EventBus.start` (threads), :meth:`EventBus.serve`
    (asyncio) or ``hookwise events worker`` (a process). Use it as a context
    manager, or call :meth:`stop`.

    Attributes:
        name: how the store knows this worker (host, process, object).
        delivered: deliveries whose listener returned.
        failed: attempts that raised.
        dead: deliveries that became dead letters.
    """

    def __init__(
        self,
        bus: EventBus,
        listeners: Sequence[Listener],
        *,
        batch: int = 16,
        threads: int = 1,
        slow_after: float = 0.05,
        shutdown_timeout: float = 30.0,
    ) -> None:
        self.bus = bus
        self.listeners = {found.name: found for found in listeners}
        self.batch = count("Worker()", "batch", batch)
        self.threads = count("Worker()", "threads", threads)
        self.slow_after = seconds("Worker()", "slow_after", slow_after)
        self.shutdown_timeout = shutdown_timeout
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.delivered = 0
        self.failed = 0
        self.dead = 0
        self._counting = threading.Lock()
        self._stopping = threading.Event()
        self._wakes: list[Callable[[], None]] = []
        self._loops = threading.local()
        self._lanes = {found.name: _Lane(found) for found in listeners}
        self._cond = threading.Condition()
        self._ready: deque[_Lane] = deque()
        self._busy: dict[int, float] = {}
        """Pool threads running a delivery, and since when."""
        self._pool_threads: list[threading.Thread] = []
        self._helpers: list[threading.Thread] = []

    def __repr__(self) -> str:
        return f"<Worker {self.name} listeners={sorted(self.listeners)} delivered={self.delivered}>"

    # -- one delivery ------------------------------------------------------------------------------------
    def _open(self, claimed: Claimed) -> tuple[Listener, Event, Delivery]:
        found = self.listeners[claimed.listener]
        envelope = claimed.envelope
        event = rebuild(found.event, decode(envelope.payload))
        delivery = Delivery(
            event_id=envelope.id,
            event_name=envelope.name,
            version=envelope.version,
            key=envelope.key,
            published_at=_utc(envelope.published_at),
            listener=found.name,
            attempt=claimed.attempt,
            headers=_headers(envelope.headers),
        )
        return found, event, delivery

    def _done(self, claimed: Claimed) -> None:
        self.bus.store.complete([claimed])
        with self._counting:
            self.delivered += 1

    def _failed(self, claimed: Claimed, error: Exception) -> None:
        found = self.listeners[claimed.listener]
        retry_at = found.retry_at(claimed.attempt, time.time())
        text = describe(error)
        self.bus.store.fail(claimed, text, retry_at)
        with self._counting:
            self.failed += 1
            self.dead += retry_at is None
        where = f"{claimed.envelope.name} {claimed.envelope.id} to {found.name!r}"
        if retry_at is None:
            _log.error("delivery of %s is a dead letter after %d attempts: %s", where, claimed.attempt, text)
        else:
            wait = retry_at - time.time()
            _log.warning(
                "delivery of %s failed (attempt %d of %d), retrying in %.1f s: %s",
                where,
                claimed.attempt,
                found.options.attempts,
                wait,
                text,
            )

    def run_one(self, claimed: Claimed) -> None:
        """Run one claimed delivery in this thread and record its outcome."""
        try:
            found, event, delivery = self._open(claimed)
            if found.is_async:
                self._loop().run_until_complete(self.bus.adeliver(found, event, delivery))
            else:
                self.bus.deliver(found, event, delivery)
        except Exception as error:  # noqa: BLE001 - a listener's failure is recorded, never raised here
            self._failed(claimed, error)
        else:
            self._done(claimed)

    async def arun_one(self, claimed: Claimed, *, offload: bool = True) -> None:
        """Run one claimed delivery, awaited; with ``offload``, sync listeners and the store's work run in a
        thread, so the loop stays free."""

        async def run(function: Callable[..., Any], *args: Any) -> Any:
            return await asyncio.to_thread(function, *args) if offload else function(*args)

        try:
            found, event, delivery = self._open(claimed)
            if found.is_async:
                await self.bus.adeliver(found, event, delivery)
            else:
                await run(self.bus.deliver, found, event, delivery)
        except Exception as error:  # noqa: BLE001 - a listener's failure is recorded, never raised here
            await run(self._failed, claimed, error)
        else:
            await run(self._done, claimed)

    def _loop(self) -> asyncio.AbstractEventLoop:
        """This thread's event loop for async listeners (a thread lane or a drain outside any loop)."""
        loop: asyncio.AbstractEventLoop | None = getattr(self._loops, "loop", None)
        if loop is None:
            loop = self._loops.loop = asyncio.new_event_loop()
        return loop

    # -- threads -----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the pool's threads (and the watch that adds one when a listener is slow)."""
        with self._cond:
            for lane in self._lanes.values():
                lane.stop_waking = self.bus.on_published(lane.listener.event.event_name, self._poker(lane))
                self._ready.append(lane)
            for _ in range(min(self.threads, len(self._lanes))):
                self._spawn()
        watch = threading.Thread(target=self._watch, name="hookwise worker watch", daemon=True)
        self._helpers.append(watch)
        watch.start()

    def _spawn(self) -> None:
        thread = threading.Thread(target=self._pool, name=f"hookwise worker {len(self._pool_threads) + 1}", daemon=True)
        self._pool_threads.append(thread)
        thread.start()

    def _poker(self, lane: _Lane) -> Callable[[], None]:
        def poke() -> None:
            with self._cond:
                if lane.state == "waiting":
                    lane.state = "ready"
                    self._ready.append(lane)
                    self._cond.notify()
                else:
                    lane.poked = True

        return poke

    def _pool(self) -> None:
        """A pool thread: run ready lanes, a batch at a time, round robin."""
        me = threading.current_thread()
        try:
            while (lane := self._next_lane()) is not None:
                more = self._run_lane(lane)
                with self._cond:
                    self._park(lane, more)
                    if self._surplus():
                        return
        finally:
            with self._cond:
                self._pool_threads.remove(me)
                self._cond.notify_all()
            loop: asyncio.AbstractEventLoop | None = getattr(self._loops, "loop", None)
            if loop is not None:
                loop.close()

    def _next_lane(self) -> _Lane | None:
        with self._cond:
            while not self._stopping.is_set():
                now = time.monotonic()
                for lane in self._lanes.values():
                    if lane.state == "waiting" and lane.due <= now:
                        lane.state = "ready"
                        self._ready.append(lane)
                if self._ready:
                    lane = self._ready.popleft()
                    lane.state = "running"
                    lane.poked = False
                    return lane
                waiting = [lane.due for lane in self._lanes.values() if lane.state == "waiting"]
                self._cond.wait(max(0.0, min(waiting) - now) if waiting else None)
        return None

    def _park(self, lane: _Lane, more: bool) -> None:
        """After a lane's batch: ready again if it had work (or was poked), else waiting for its next due time."""
        if more or lane.poked:
            lane.state = "ready"
            self._ready.append(lane)
            self._cond.notify()
        else:
            lane.state = "waiting"
            self._cond.notify()  # a thread waiting on an earlier due time recomputes

    def _surplus(self) -> bool:
        """Whether this thread is one more than the pool needs now (it was added for a slow listener)."""
        now = time.monotonic()
        stuck = sum(1 for started in list(self._busy.values()) if now - started > self.slow_after)
        return len(self._pool_threads) - stuck > self.threads

    def _run_lane(self, lane: _Lane) -> bool:
        """Claim a batch of the lane's deliveries and run them; whether it found work."""
        found = lane.listener
        try:
            claimed = self.bus.store.claim(lane.policies, self.batch, self.name)
        except EventStoreError as error:
            lane.failures += 1
            _log.warning("worker %s cannot claim deliveries for %r: %s", self.name, found.name, error)
            lane.due = time.monotonic() + min(30.0, 0.1 * 2**lane.failures)
            return False
        lane.failures = 0
        if not claimed:
            lane.due = time.monotonic() + self._idle(found)
            return False
        me = threading.get_ident()
        for index, one in enumerate(claimed):
            if self._stopping.is_set():
                self.bus.store.release(claimed[index:])
                break
            self._busy[me] = time.monotonic()
            try:
                self.run_one(one)
            finally:
                del self._busy[me]
        return True

    def _watch(self) -> None:
        """Add a pool thread while slow deliveries hold the pool's threads, so other listeners keep flowing."""
        while not self._stopping.wait(self.slow_after / 2):
            with self._cond:
                now = time.monotonic()
                stuck = sum(1 for started in list(self._busy.values()) if now - started > self.slow_after)
                free = len(self._pool_threads) - stuck
                wanted = self._ready or any(o.state == "waiting" and o.due <= now for o in self._lanes.values())
                if free < self.threads and len(self._pool_threads) < len(self._lanes) and wanted:
                    self._spawn()

    def _idle(self, found: Listener) -> float:
        """Seconds to wait for work: until the next retry is due, at most the bus's poll interval."""
        try:
            due = self.bus.store.next_due([found.name])
        except EventStoreError:
            return self.bus.poll
        return self.bus.poll if due is None else min(self.bus.poll, max(0.0, due - time.time()))

    def stop(self, timeout: float | None = None) -> bool:
        """Stop fetching, finish the deliveries in flight, give the rest back; wait up to ``timeout`` seconds.

        Returns:
            True when every thread stopped in time; False when a listener is still
            running (its delivery is handed out again after its timeout).
        """
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
            threads = [*self._pool_threads, *self._helpers]
            for lane in self._lanes.values():
                lane.stop_waking()
                lane.stop_waking = _nothing
        for wake in list(self._wakes):
            wake()
        deadline = time.monotonic() + (self.shutdown_timeout if timeout is None else timeout)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = [thread.name for thread in threads if thread.is_alive()]
        if busy:
            _log.warning("worker %s stopped waiting for %s", self.name, ", ".join(busy))
        return not busy

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # -- asyncio -----------------------------------------------------------------------------------------
    async def serve(self) -> None:
        """Run one task per listener until cancelled; then finish what is in flight (up to the shutdown timeout)."""
        tasks = [
            asyncio.create_task(self._alane(found), name=f"hookwise {found.name}") for found in self.listeners.values()
        ]
        try:
            await asyncio.wait(tasks)
        except asyncio.CancelledError:
            self._stopping.set()
            for wake in list(self._wakes):
                wake()
            _, pending = await asyncio.wait(tasks, timeout=self.shutdown_timeout)
            for task in pending:
                task.cancel()
            raise
        for task in tasks:
            task.result()

    async def _alane(self, found: Listener) -> None:
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def waker() -> None:
            loop.call_soon_threadsafe(wake.set)

        self._wakes.append(waker)
        stop_waking = self.bus.on_published(found.event.event_name, waker)
        policies = {found.name: found.policy}
        try:
            while not self._stopping.is_set():
                wake.clear()
                claimed = await asyncio.to_thread(self.bus.store.claim, policies, self.batch, self.name)
                if not claimed:
                    idle = await asyncio.to_thread(self._idle, found)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), idle)
                    continue
                for index, one in enumerate(claimed):
                    if self._stopping.is_set():
                        await asyncio.to_thread(self.bus.store.release, claimed[index:])
                        break
                    await self.arun_one(one)
        finally:
            stop_waking()

    # -- draining ----------------------------------------------------------------------------------------
    def _policies(self) -> dict[str, Policy]:
        return {name: found.policy for name, found in self.listeners.items()}

    def _drained(self, before: tuple[int, int, int]) -> Drained:
        return Drained(self.delivered - before[0], self.failed - before[1], self.dead - before[2])

    def _claim_due(self, retry_now: bool, made: int) -> list[Claimed]:
        store = self.bus.store
        claimed = store.claim(self._policies(), 256, f"drain {self.name}")
        if not claimed and retry_now and store.due_now(list(self.listeners)):
            claimed = store.claim(self._policies(), 256, f"drain {self.name}")
        if made + len(claimed) > DRAIN_LIMIT:
            store.release(claimed)
            msg = f"drain made {made} deliveries and more are due: do listeners publish events in a loop?"
            raise RuntimeError(msg)
        return claimed

    def drain(self, *, retry_now: bool = True) -> Drained:
        """Deliver everything due, in this thread, until nothing is (see :meth:`EventBus.drain`).

        Raises:
            RuntimeError: an async listener is registered and an event loop runs in this thread.
        """
        awaited = [found.name for found in self.listeners.values() if found.is_async]
        if awaited and _loop_running():
            msg = (
                f"an async listener ({', '.join(awaited)}) is registered and an event loop is running in this "
                f"thread: await bus.adrain() instead"
            )
            raise RuntimeError(msg)
        before = (self.delivered, self.failed, self.dead)
        made = 0
        try:
            while claimed := self._claim_due(retry_now, made):
                made += len(claimed)
                for one in claimed:
                    self.run_one(one)
        finally:
            loop: asyncio.AbstractEventLoop | None = getattr(self._loops, "loop", None)
            if loop is not None:
                loop.close()
                self._loops.loop = None
        return self._drained(before)

    async def adrain(self, *, retry_now: bool = True) -> Drained:
        """:meth:`drain`, awaited: async listeners run on the running loop."""
        before = (self.delivered, self.failed, self.dead)
        made = 0
        while claimed := self._claim_due(retry_now, made):
            made += len(claimed)
            for one in claimed:
                await self.arun_one(one, offload=False)
        return self._drained(before)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _utc(timestamp: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)


def _headers(text: str) -> dict[str, str]:
    if text == "{}":
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): str(v) for k, v in cast("dict[object, object]", loaded).items()}
