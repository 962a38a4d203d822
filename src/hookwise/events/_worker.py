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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast, final

from hookwise._text import told
from hookwise.events._event import Delivery, Event, decode, rebuild
from hookwise.events._listeners import count, seconds
from hookwise.events._pool import Lane, LanePool
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
        self.listeners: dict[str, Listener] = {found.name: found for found in listeners}
        self.batch: int = count("Worker()", "batch", batch)
        self.threads: int = count("Worker()", "threads", threads)
        self.slow_after: float = seconds("Worker()", "slow_after", slow_after)
        self.shutdown_timeout = shutdown_timeout
        self.name: str = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.delivered: int = 0
        self.failed: int = 0
        self.dead: int = 0
        self._counting = threading.Lock()
        self._stopping = threading.Event()
        self._wakes: list[Callable[[], None]] = []
        self._loops = threading.local()
        self._lanes = {found.name: Lane(found) for found in listeners}
        self._decoded: dict[str, dict[str, Any]] = {}
        """Recently decoded payloads of scalar fields, by event id: each listener of an event decodes it once."""
        self._pool: LanePool | None = None

    def __repr__(self) -> str:
        return f"<Worker {self.name} listeners={sorted(self.listeners)} delivered={self.delivered}>"

    # -- one delivery ------------------------------------------------------------------------------------
    def _open(self, claimed: Claimed) -> tuple[Listener, Event, Delivery]:
        found = self.listeners[claimed.listener]
        envelope = claimed.envelope
        fields = self._decoded.get(envelope.id)
        if fields is None:
            fields = decode(envelope.payload)
            if "[" not in envelope.payload and envelope.payload.count("{") == 1:  # scalars only: safe to share
                if len(self._decoded) >= 1024:
                    self._decoded.clear()
                self._decoded[envelope.id] = fields
        event = rebuild(found.event, fields)
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

    def _record(self, claimed: Claimed, error: Exception | None) -> None:
        """Write a delivery's outcome to the store: done, or failed (a retry or a dead letter)."""
        if error is None:
            self._done(claimed)
        else:
            self._failed(claimed, error)

    def _outcome(self, claimed: Claimed) -> Exception | None:
        """Run one claimed delivery in this thread; what the listener raised, or None."""
        try:
            found, event, delivery = self._open(claimed)
            if found.is_async:
                self._loop().run_until_complete(self.bus.adeliver(found, event, delivery))
            else:
                self.bus.deliver(found, event, delivery)
        except Exception as error:  # noqa: BLE001 - a listener's failure is recorded, never raised here
            return error
        return None

    async def _aoutcome(self, claimed: Claimed, *, offload: bool) -> Exception | None:
        """:meth:`_outcome`, awaited; with ``offload``, a sync listener runs in a thread."""
        try:
            found, event, delivery = self._open(claimed)
            if found.is_async:
                await self.bus.adeliver(found, event, delivery)
            elif offload:
                await asyncio.to_thread(self.bus.deliver, found, event, delivery)
            else:
                self.bus.deliver(found, event, delivery)
        except Exception as error:  # noqa: BLE001 - a listener's failure is recorded, never raised here
            return error
        return None

    def run_one(self, claimed: Claimed) -> None:
        """Run one claimed delivery in this thread and record its outcome.

        Raises:
            EventStoreError: the outcome could not be recorded (the delivery runs again later).
        """
        self._record(claimed, self._outcome(claimed))

    # -- when the store fails ------------------------------------------------------------------------------
    def _recorded(self, lane: Lane, claimed: Claimed, error: Exception | None) -> bool:
        """Record an outcome; if the store refuses, keep it to record once the store answers again."""
        try:
            self._record(claimed, error)
        except EventStoreError as failure:
            lane.unrecorded.append((claimed, error))
            self._store_failed(lane, failure)
            return False
        return True

    def _settle(self, lane: Lane) -> bool:
        """Record the outcomes the store refused before, in order; False while it still refuses."""
        while lane.unrecorded:
            claimed, error = lane.unrecorded[0]
            try:
                self._record(claimed, error)
            except EventStoreError as failure:
                self._store_failed(lane, failure)
                return False
            lane.unrecorded.popleft()
        return True

    def _store_failed(self, lane: Lane, error: EventStoreError) -> None:
        """The store failed (a broker restarting, a locked file): the lane waits, longer each time, up to 30 s."""
        lane.failures += 1
        wait = min(30.0, 0.05 * 2**lane.failures)
        lane.due = time.monotonic() + wait
        name = lane.listener.name
        _log.warning("worker %s: listener %r waits %.1f s for the store: %s", self.name, name, wait, error)

    def _give_back(self, claimed: Sequence[Claimed]) -> None:
        try:
            self.bus.store.release(claimed)
        except EventStoreError as error:  # they are handed out again when their leases end
            _log.warning("worker %s cannot give back %d deliveries: %s", self.name, len(claimed), error)

    def _loop(self) -> asyncio.AbstractEventLoop:
        """This thread's event loop for async listeners (a thread lane or a drain outside any loop)."""
        loop: asyncio.AbstractEventLoop | None = getattr(self._loops, "loop", None)
        if loop is None:
            loop = self._loops.loop = asyncio.new_event_loop()
        return loop

    # -- threads -----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start delivering in threads: the lanes on an elastic pool (``_pool.py``)."""
        pool = self._pool = LanePool(
            list(self._lanes.values()),
            self._run_lane,
            threads=self.threads,
            slow_after=self.slow_after,
            tick=self._relay,
            tick_every=self.bus.poll,
            stopping=self._stopping,
            name=self.name,
        )
        pool.on_exit = self._close_loop
        for lane in self._lanes.values():
            lane.stop_waking = self.bus.on_published(lane.listener.event.event_name, pool.poker(lane))
        pool.start()

    def _close_loop(self) -> None:
        loop: asyncio.AbstractEventLoop | None = getattr(self._loops, "loop", None)
        if loop is not None:
            loop.close()
            self._loops.loop = None

    def _batch(self, lane: Lane) -> list[Claimed] | None:
        """The lane's next batch: what it held when the store failed, or a fresh claim; None when the store
        fails or nothing is due (the lane's due time is set)."""
        if not self._settle(lane):
            return None
        if lane.held:
            claimed, lane.held = lane.held, []
            return claimed
        try:
            claimed = self.bus.store.claim(lane.policies, self.batch, self.name)
        except EventStoreError as error:
            self._store_failed(lane, error)
            return None
        lane.failures = 0
        if not claimed:
            lane.due = time.monotonic() + self._idle(lane.listener)
            return None
        return claimed

    def _run_lane(self, lane: Lane) -> bool:
        """Run a batch of the lane's deliveries; whether it found work."""
        claimed = self._batch(lane)
        if claimed is None:
            return False
        for index, one in enumerate(claimed):
            if self._stopping.is_set():
                self._give_back(claimed[index:])
                break
            assert self._pool is not None  # noqa: S101 - lanes run in threads once the pool started
            with self._pool.running():
                error = self._outcome(one)
            if not self._recorded(lane, one, error):
                lane.held = claimed[index + 1 :]
                return False
        return True

    def _relay(self) -> None:
        try:
            self.bus.store.relay()
        except EventStoreError as error:
            _log.warning("worker %s cannot relay the outbox: %s", self.name, error)

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
        for lane in self._lanes.values():
            lane.stop_waking()
            lane.stop_waking = lambda: None
        for wake in list(self._wakes):
            wake()
        deadline = time.monotonic() + (self.shutdown_timeout if timeout is None else timeout)
        busy = self._pool.stop(deadline) if self._pool is not None else []
        for lane in self._lanes.values():
            if lane.unrecorded and not self._settle(lane):
                _log.warning(
                    "worker %s: %d outcomes unrecorded; delivered again later", self.name, len(lane.unrecorded)
                )
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
        tasks = [asyncio.create_task(self._alane(lane), name=f"hookwise {name}") for name, lane in self._lanes.items()]
        tasks.append(asyncio.create_task(self._arelay(), name="hookwise relay"))
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

    async def _arelay(self) -> None:
        """Every ``poll`` seconds, relay the events waiting in an outbox (a broker's store)."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        self._wakes.append(lambda: _soon(loop, stop.set))
        while not self._stopping.is_set():
            await asyncio.to_thread(self._relay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.bus.poll)

    async def _alane(self, lane: Lane) -> None:
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def waker() -> None:
            loop.call_soon_threadsafe(wake.set)

        self._wakes.append(waker)
        stop_waking = self.bus.on_published(lane.listener.event.event_name, waker)
        try:
            while not self._stopping.is_set():
                wake.clear()
                claimed = await asyncio.to_thread(self._batch, lane)
                if claimed is None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), max(0.0, lane.due - time.monotonic()))
                    continue
                for index, one in enumerate(claimed):
                    if self._stopping.is_set():
                        await asyncio.to_thread(self._give_back, claimed[index:])
                        break
                    error = await self._aoutcome(one, offload=True)
                    if not await asyncio.to_thread(self._recorded, lane, one, error):
                        lane.held = claimed[index + 1 :]
                        break
        finally:
            stop_waking()

    # -- draining ----------------------------------------------------------------------------------------
    def _policies(self) -> dict[str, Policy]:
        return {name: found.policy for name, found in self.listeners.items()}

    def _drained(self, before: tuple[int, int, int]) -> Drained:
        return Drained(self.delivered - before[0], self.failed - before[1], self.dead - before[2])

    def _claim_due(self, retry_now: bool, made: int) -> list[Claimed]:
        store = self.bus.store
        store.relay()
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
                self._record(one, await self._aoutcome(one, offload=False))
        return self._drained(before)


def _soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], object]) -> None:
    loop.call_soon_threadsafe(callback)


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
