"""One hook's implementations, their order, and the functions that call them: the engine.

:class:`HookEngine` is the internal API every face builds on (the native
``HookManager``, ``hookwise.compat.pluggy``, lifecycle hooks through the
manager, event delivery): a face hands it a spec, a lock, where to get the
hook's instrumentation, and where to publish its caller; then adds and
removes implementations and calls :attr:`HookEngine.function`.

Registration is rare and calls are hot, but some hosts register while they
call (pytest registers a plugin per ``conftest.py`` during collection). So a
change costs little: an implementation is inserted in order (a binary search
and a list insert), and the next call interprets the new plan at once
(``_interpreter.py``); only a plan that is called :data:`COMPILE_AFTER` times
unchanged is compiled (``_codegen.py``), outside the lock, and swapped in. A
call in progress keeps the function it started with.
"""

from __future__ import annotations

import bisect
import copy
import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast, final

from hookwise._codegen import compile_binder, compile_plan, generate
from hookwise._guardrails import hidden_from_pytest
from hookwise._impl import POSITIONAL, POSITIONAL_ONLY, HookImpl, parameters
from hookwise._instrumentation import Instrumentation
from hookwise._interpreter import AsyncEntry, Entry, ainterpret, interpret
from hookwise._order import RegistrationOrder, sort_impls
from hookwise._outcomes import Outcomes, refuse_sync, with_failures
from hookwise._plan import HOOKWISE, CallPlan, Dialect
from hookwise._results import PluginResult
from hookwise._spec import HookSpec
from hookwise.exceptions import HookCallError, HookErrorGroup, PluginValidationError

if TYPE_CHECKING:
    from _thread import RLock

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's

__all__ = [
    "COMPILE_AFTER",
    "HOOKWISE",
    "POSITIONAL",
    "POSITIONAL_ONLY",
    "Dialect",
    "HookEngine",
    "Instrumentation",
    "parameters",
    "runner",
]

COMPILE_AFTER: Final = int(os.environ.get("HOOKWISE_COMPILE_AFTER", "8"))
"""Calls of an unchanged plan that are interpreted before it is compiled (0: compile at once).

Compiling costs about 30 us per implementation; interpreting costs about
60 ns more per implementation and call than the compiled caller, so a plan
pays for its compilation only after hundreds of calls. Eight keeps hooks that
are called once or twice (start-up hooks, most of a test run) from ever
compiling, while hot hooks compile almost at once. The environment variable
``HOOKWISE_COMPILE_AFTER`` overrides it (the test suite runs once with 1).
"""


class Shape(NamedTuple):
    """A shape of call: awaited or not, recording provenance or not."""

    is_async: bool
    provenance: bool


SYNC: Final = Shape(is_async=False, provenance=False)
ASYNC: Final = Shape(is_async=True, provenance=False)

_NOTHING_COMPILED: Final[frozenset[Shape]] = frozenset()  # one for every engine (each frozenset() is new)
_NONE: Final[dict[Any, Any]] = {}  # an engine's tiers and binders until it has one (never written: replaced)

History = list[tuple[dict[str, Any], Any]]
"""A historic hook's past calls: the arguments of each, with what the face attached to it."""


def runner(
    spec: HookSpec[..., Any],
    impls: Sequence[HookImpl],
    wrappers: Sequence[HookImpl] = (),
    *,
    instrumentation: Instrumentation | None = None,
    dialect: Dialect = HOOKWISE,
    is_async: bool = False,
    compile_after: int | None = None,
    on_compile: Callable[[Callable[..., Any]], None] | None = None,
) -> Callable[[dict[str, Any]], Any]:
    """A function that calls these implementations (wrappers outermost first), interpreted, per call.

    For a face that holds its own order for a call (pluggy's ``_multicall``
    and ``call_extra``), or calls one implementation at a time (event
    delivery): the plan is built once, so each call costs the interpreter's
    loop; with ``compile_after``, a sync function compiles the plan once it
    has been called that many times, as a hook's engine does, and hands the
    compiled caller (which takes the arguments as keywords) to ``on_compile``. With
    ``is_async`` the function is a coroutine function that awaits async
    implementations; without, async implementations make each call raise.
    """
    plan = CallPlan(
        spec, tuple(impls), tuple(wrappers), instrumentation=instrumentation, is_async=is_async, dialect=dialect
    )
    outcomes = Outcomes(plan)
    if is_async:

        async def run_async(values: dict[str, Any]) -> Any:
            return await ainterpret(plan, outcomes, values, None)

        return run_async
    if plan.async_impls:
        refuse = refuse_sync(plan)
        return lambda values: refuse(**values)

    if compile_after is None:

        def run(values: dict[str, Any]) -> Any:
            return interpret(plan, outcomes, values, None)

        return run
    calls = 0
    compiled: Callable[..., Any] | None = None

    def run_then_compile(values: dict[str, Any]) -> Any:
        nonlocal calls, compiled
        if compiled is not None:
            return compiled(**values)
        calls += 1
        if calls > compile_after:
            compiled = compile_plan(plan)
            if on_compile is not None:
                on_compile(compiled)
        return interpret(plan, outcomes, values, None)

    return run_then_compile


def _key(order: RegistrationOrder) -> Callable[[HookImpl], tuple[int, int, int]]:
    if order == "fifo":
        return lambda impl: (impl.band, impl.priority, impl.seq)
    return lambda impl: (impl.band, impl.priority, -impl.seq)


@final
class HookEngine:
    """One hook: its spec, its implementations in effective order, and its callers.

    Args:
        spec: the hook's spec.
        order: how implementations of equal band and priority are ordered.
        lock: the face's registration lock; held around every change and plan.
        instrument: the hook's instrumentation now (monitors, budgets, ...), or ``None``.
        publish: called with the sync caller whenever it changes (a face's relay attribute).
        dialect: the face's dialect.
        compile_after: calls of an unchanged plan before it is compiled (:data:`COMPILE_AFTER`; 0: at once).

    The face serialises changes under ``lock``; calls take no lock.
    """

    __slots__ = (
        "_astub",
        "_binders",
        "_compile_after",
        "_compiled",
        "_history",
        "_instrument",
        "_instrumentation",
        "_lock",
        "_plain",
        "_publish",
        "_sort",
        "_sync",
        "_tiers",
        "_version",
        "_wrappers",
        "acall",
        "afunction",
        "dialect",
        "function",
        "order",
        "spec",
    )

    def __init__(
        self,
        spec: HookSpec[..., Any],
        *,
        order: RegistrationOrder,
        lock: RLock,
        instrument: Callable[[HookSpec[..., Any]], Instrumentation | None],
        publish: Callable[[Callable[..., Any]], None] | None = None,
        dialect: Dialect = HOOKWISE,
        compile_after: int = COMPILE_AFTER,
    ) -> None:
        self.spec: HookSpec[..., Any] = spec
        self._compile_after = compile_after
        self.order: RegistrationOrder = order
        self.dialect: Dialect = dialect
        self._lock = lock
        self._instrument = instrument
        self._publish = publish
        self._plain: list[HookImpl] = []
        self._wrappers: list[HookImpl] | tuple[HookImpl, ...] = ()  # a list once it has any (most hooks never do)
        self._sort = False  # True once before/after constraints are involved: a full sort, not insertion
        self._version = 0
        self._sync: Callable[..., Any] | None = None  # the SYNC caller (most hooks have no other: no dict for one)
        self._tiers: dict[Shape, Callable[..., Any]] = _NONE  # the callers of the other shapes
        self._compiled: frozenset[Shape] = _NOTHING_COMPILED
        self._binders: dict[bool, Callable[..., Any]] = _NONE
        self._instrumentation: tuple[int, Instrumentation | None] = (-1, None)
        self._history: History | None = [] if spec.historic else None
        self._astub = _AsyncStub(self)
        self.acall: Callable[..., Any] | None = None  # the awaited caller, as on every published caller
        self.function: Callable[..., Any] = self
        self.afunction: Callable[..., Any] = self._astub
        if self._history is not None:
            self.function = self._historic_entry()
            self.afunction = self._ahistoric_entry()
            setattr(self.function, "acall", self.afunction)  # noqa: B010 - an attribute of the function object
            if publish is not None:
                publish(self.function)
        self._changed()

    # -- reading ------------------------------------------------------------------------------
    @property
    def ordered(self) -> tuple[HookImpl, ...]:
        """Every implementation in effective order: wrappers (outermost first), then plain ones."""
        with self._lock:
            return (*self._wrappers, *self._plain)

    @property
    def version(self) -> int:
        """Counts the changes: implementations, spec or instrumentation."""
        return self._version

    @property
    def history(self) -> History | None:
        """A historic hook's past calls (a copy), or ``None`` for other hooks."""
        with self._lock:
            return None if self._history is None else list(self._history)

    def source(self) -> str:
        """The generated source of the sync caller for the implementations registered now."""
        with self._lock:
            plan = self._plan(SYNC)
        return generate(plan).source

    def on_publish(self, publish: Callable[[Callable[..., Any]], None]) -> None:
        """Call ``publish`` with the sync caller whenever it changes (for a face given the engine ready-made)."""
        self._publish = publish

    def guarded(
        self, incomplete: Callable[[dict[str, Any]], Any], install: Callable[[Callable[..., Any]], None]
    ) -> None:
        """Compile the sync caller of the current implementations with ``incomplete``'s guard, and ``install`` it.

        For a face that calls the compiled caller directly and checks
        incomplete calls itself (see :func:`~hookwise._codegen.generate`):
        nothing is done while the hook is interpreted or historic, and
        ``install`` is called under the lock only if nothing changed meanwhile.
        """
        with self._lock:
            if SYNC not in self._compiled or self._history is not None:
                return
            version = self._version
            plan = self._plan(SYNC)
        function = compile_plan(plan, incomplete=incomplete)
        with self._lock:
            if version == self._version:
                install(function)

    @property
    def compiled(self) -> bool:
        """Whether the sync caller of the current implementations is compiled (not interpreted, not pending)."""
        return SYNC in self._compiled

    # -- changing (under the face's lock) --------------------------------------------------------------
    def prepare(self, added: Sequence[HookImpl]) -> Callable[[], History]:
        """Check that ``added`` can join the hook; return the function that adds them.

        The function returns the historic calls to replay to them (empty for
        other hooks); replay them with :meth:`replay` once the lock is released.

        Raises:
            OrderCycleError: their before/after constraints close a cycle; nothing changed.
            PluginValidationError: a historic hook was called already and one of them is
                async (replays run at registration, which cannot await).
        """
        self._check_replayable(added)
        if self._sort or any(impl.before or impl.after for impl in added):
            plain = sort_impls(self.spec.name, [*self._plain, *(i for i in added if not i.wrapper)], self.order)
            wrappers = sort_impls(self.spec.name, [*self._wrappers, *(i for i in added if i.wrapper)], self.order)

            def replace() -> History:
                self._plain, self._wrappers, self._sort = plain, wrappers or (), True
                return self._changed()

            return replace

        def insert() -> History:
            key = _key(self.order)
            for impl in added:
                if not impl.wrapper:
                    bisect.insort_right(self._plain, impl, key=key)
                    continue
                wrappers = self._wrappers if isinstance(self._wrappers, list) else []
                bisect.insort_right(wrappers, impl, key=key)
                self._wrappers = wrappers
            return self._changed()

        return insert

    def _check_replayable(self, added: Sequence[HookImpl]) -> None:
        history = self.history
        if not history:
            return
        for impl in added:
            if impl.is_async and not impl.wrapper:
                msg = (
                    f"plugin {impl.plugin_name!r}: {impl.qualname} is async, and historic hook {self.spec.name!r} "
                    f"would replay its {len(history)} past call(s) to it at registration, which cannot await; "
                    "register it before the first call, or make it sync"
                )
                raise PluginValidationError(msg, plugin=impl.plugin_name, hook=self.spec.name)

    def add(self, added: Sequence[HookImpl]) -> History:
        """:meth:`prepare` and add at once; returns the historic calls to replay."""
        return self.prepare(added)()

    def remove(self, impls: Iterable[HookImpl]) -> None:
        """Remove these implementations (matched by identity)."""
        gone = {id(impl) for impl in impls}
        plain = [impl for impl in self._plain if id(impl) not in gone]
        wrappers = [impl for impl in self._wrappers if id(impl) not in gone]
        if self._sort:
            self._sort = any(impl.before or impl.after for impl in (*plain, *wrappers))
            plain = sort_impls(self.spec.name, plain, self.order)
            wrappers = sort_impls(self.spec.name, wrappers, self.order)
        self._plain, self._wrappers = plain, wrappers or ()
        self._changed()

    def replace(self, impls: Sequence[HookImpl]) -> History:
        """Make ``impls`` the implementations, as removing every one and adding these would (for a face that
        keeps its own list and hands it over whole); returns the historic calls to replay."""
        self._plain, self._wrappers, self._sort = [], (), False
        if any(impl.before or impl.after for impl in impls):
            return self.add(impls)  # their constraints sort them
        self._check_replayable(impls)
        key = _key(self.order)  # one sort, as inserting them one by one would order them
        self._plain = sorted((impl for impl in impls if not impl.wrapper), key=key)
        self._wrappers = sorted((impl for impl in impls if impl.wrapper), key=key) or ()
        return self._changed()

    def derive(self) -> HookEngine:
        """A new engine with this one's spec, order, lock, instrumentation and dialect, and no implementations."""
        return HookEngine(
            self.spec,
            order=self.order,
            lock=self._lock,
            instrument=self._instrument,
            dialect=self.dialect,
            compile_after=self._compile_after,
        )

    def set_spec(self, spec: HookSpec[..., Any]) -> None:
        """Replace the spec (the implementations were validated against it by the face)."""
        self.spec = spec
        self._binders = _NONE
        self._changed()

    def refresh(self) -> None:
        """The hook's instrumentation changed: the next call builds its callers again."""
        self._changed()

    def _changed(self) -> History:
        """Under the face's lock: the stand-ins become the callers (what ``_install`` does for both, inline: a
        registration changes every hook its plugin implements)."""
        self._version += 1
        self._sync, self._tiers = None, _NONE
        self._compiled = _NOTHING_COMPILED
        if self._history is not None:
            return list(self._history)
        self.function, self.afunction = self, self._astub  # stand-ins (see __call__)
        self.acall = self._astub
        if self._publish is not None:
            self._publish(self)
        return []

    # -- calling ------------------------------------------------------------------------------------
    def current(self, shape: Shape) -> Callable[..., Any]:
        """The caller of ``shape`` for the current implementations (prepared now if there is none yet)."""
        return (self._sync if shape == SYNC else self._tiers.get(shape)) or self._prepare(shape)

    def provenance_function(self, *, is_async: bool) -> Callable[..., Any]:
        """The caller that records provenance (it takes ``_hw_prov=list`` as well as the arguments)."""
        return self.current(Shape(is_async=is_async, provenance=True))

    def call_robust(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[PluginResult[Any]]:
        """Call every implementation whatever another raises: each value or exception, with its plugin.

        The plan is the hook's, under the ``isolate`` policy and recording
        provenance, run by the reference interpreter (robust calls are rare).
        """
        plan, values = self._robust_plan(args, kwargs, is_async=False)
        recorded: list[PluginResult[Any]] = []
        try:
            interpret(plan, Outcomes(plan), values, recorded)
        except HookErrorGroup as group:
            return with_failures(plan, recorded, group)
        return recorded

    async def acall_robust(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[PluginResult[Any]]:
        """:meth:`call_robust`, awaited."""
        plan, values = self._robust_plan(args, kwargs, is_async=True)
        recorded: list[PluginResult[Any]] = []
        try:
            await ainterpret(plan, Outcomes(plan), values, recorded)
        except HookErrorGroup as group:
            return with_failures(plan, recorded, group)
        return recorded

    def _robust_plan(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], *, is_async: bool
    ) -> tuple[CallPlan, dict[str, Any]]:
        if self._history is not None:
            msg = f"call_robust() does not call historic hook {self.spec.name!r}: its calls are remembered and replayed"
            raise HookCallError(msg, hook=self.spec.name)
        values: dict[str, Any] = self.binder(False)(*args, **kwargs)[0]
        with self._lock:
            plan = self._plan(Shape(is_async=is_async, provenance=True))
        spec = copy.copy(plan.spec)
        spec.policy = "isolate"
        plan = CallPlan(
            spec,
            plan.impls,
            plan.wrappers,
            instrumentation=plan.instrumentation,
            is_async=is_async,
            provenance=True,
            dialect=plan.dialect,
        )
        if not is_async and plan.async_impls:
            refuse_sync(plan)()
        return plan, values

    def call_historic(self, values: dict[str, Any], tag: object = None) -> Any:
        """Call a historic hook and remember the call, so that implementations added later get it too.

        Recording the call and choosing the caller (with the implementations it
        calls) happen under the face's lock, as every change does: a call made
        while implementations are added reaches them exactly once, live or
        replayed. The implementations run after the lock is released.
        """
        with self._lock:
            assert self._history is not None  # noqa: S101 - only historic hooks have this entry
            self._history.append((values, tag))
            function = self.current(SYNC)
        return function(**values)

    def replay(self, added: Sequence[HookImpl], history: History) -> list[tuple[Any, Any]]:
        """Call the plain implementations in ``added`` with each past call: ``(tag, result)`` each.

        The replay goes through the hook's instrumentation, as any call does.
        """
        plain = tuple(impl for impl in added if not impl.wrapper)
        if not plain or not history:
            return []
        with self._lock:
            instrumentation = self._current_instrumentation()
        plan = CallPlan(self.spec, plain, instrumentation=instrumentation, dialect=self.dialect)
        outcomes = Outcomes(plan)
        return [(tag, interpret(plan, outcomes, dict(values), None)) for values, tag in history]

    # -- tiers ----------------------------------------------------------------------------------------
    def _current_instrumentation(self) -> Instrumentation | None:
        version, instrumentation = self._instrumentation
        if version != self._version:
            instrumentation = self._instrument(self.spec)
            self._instrumentation = (self._version, instrumentation)
        return instrumentation

    def _plan(self, shape: Shape) -> CallPlan:
        return CallPlan(
            self.spec,
            tuple(self._plain),
            tuple(self._wrappers),
            instrumentation=self._current_instrumentation(),
            is_async=shape.is_async,
            provenance=shape.provenance,
            dialect=self.dialect,
        )

    def _prepare(self, shape: Shape) -> Callable[..., Any]:
        """The caller for the current implementations: interpreted now, compiled after enough calls."""
        with self._lock:
            version = self._version
            plan = self._plan(shape)
        function: Callable[..., Any]
        if not shape.is_async and plan.async_impls:
            function = refuse_sync(plan)
        elif self._compile_after <= 0:
            function = compile_plan(plan)
            self._install(shape, function, version, compiled=True)
            return function
        else:
            function = self._interpreted(plan, shape, version)
        self._install(shape, function, version)
        return function

    def _interpreted(self, plan: CallPlan, shape: Shape, version: int) -> Callable[..., Any]:
        kind = AsyncEntry if shape.is_async else Entry
        return kind(plan, self, after=self._compile_after, shape=shape, version=version)

    def compile_entry(self, entry: Any) -> Callable[..., Any]:
        """An interpreted caller (an ``Entry`` this engine made) was called ``compile_after`` times: compile its plan
        and install it. (``Any``: the public API reaches this engine, and the interpreter's types are private.)"""
        compiled = compile_plan(entry.plan)
        self._install(cast("Shape", entry.shape), compiled, entry.version, compiled=True)  # as _interpreted made it
        return compiled

    def binder(self, provenance: bool) -> Callable[..., Any]:
        """The spec's compiled argument binder (with provenance or not), compiled on first need."""
        binder = self._binders.get(provenance)
        if binder is None:
            binder = compile_binder(self.spec, self.dialect, provenance=provenance)
            self._binders = {**self._binders, provenance: binder}  # a new dict: the empty one is shared
        return binder

    def _install(self, shape: Shape, function: Callable[..., Any], version: int, *, compiled: bool = False) -> None:
        """Make ``function`` the caller of ``shape``, unless the implementations changed meanwhile."""
        with self._lock:
            if version != self._version:
                return
            if function is not self and function is not self._astub:
                if shape == SYNC:
                    self._sync = function
                else:
                    self._tiers = {**self._tiers, shape: function}  # a new dict: the empty one is shared
            if compiled:
                self._compiled |= {shape}
            historic = self._history is not None
            if shape == SYNC and not historic:
                self.function = function
                setattr(function, "acall", self.afunction)  # noqa: B010 - an attribute of the function object
                if self._publish is not None:
                    self._publish(function)
            elif shape == ASYNC and not historic:
                self.afunction = function
                setattr(self.function, "acall", function)  # noqa: B010 - an attribute of the function object

    # -- historic entries ----------------------------------------------------------------------------------
    def _historic_entry(self) -> Callable[..., Any]:
        def historic(*args: Any, **kwargs: Any) -> Any:
            values, _ = self.binder(False)(*args, **kwargs)
            return self.call_historic(values)

        return historic

    def _ahistoric_entry(self) -> Callable[..., Any]:
        async def ahistoric(*args: Any, **kwargs: Any) -> Any:
            values, _ = self.binder(False)(*args, **kwargs)
            with self._lock:  # as call_historic
                assert self._history is not None  # noqa: S101 - only historic hooks have this entry
                self._history.append((values, None))
                function = self.current(ASYNC)
            return await function(**values)

        return ahistoric

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The sync stand-in installed after a change (``function`` is the engine itself): its first call prepares
        the new caller; later calls (through a reference kept to it) go to whatever caller is installed by then.
        The engine itself, not an object of its own: pytest's managers hold hundreds of engines."""
        return self.current(SYNC)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<HookEngine {self.spec.name} impls={len(self._plain)} wrappers={len(self._wrappers)}>"


@final
class _AsyncStub:
    """:meth:`HookEngine.__call__` for awaited calls: the async stand-in installed after a change."""

    __slots__ = ("engine",)

    def __init__(self, engine: HookEngine) -> None:
        self.engine = engine

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return await self.engine.current(ASYNC)(*args, **kwargs)
