"""pluggy's hook implementations and specs, and the hook callers behind ``pm.hook`` (markers: ``_markers.py``).

A :class:`HookCaller` keeps its implementations in pluggy's order (``get_hookimpls()``) and mirrors them into a
hookwise engine, made at its first call, which calls them (how a call gets there: ``_route.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, ClassVar, Final, cast, final

from hookwise import HookImpl as EngineImpl
from hookwise._engine import HookEngine
from hookwise.compat.pluggy._callers import (
    COMPILE_AFTER,
    MISSING,
    NO_NAMES,
    check_arguments,
    engine_options,
    engine_spec,
    hookwrapper_impl,
    interned,
)
from hookwise.compat.pluggy._markers import (
    HookimplMarker,
    HookimplOpts,
    HookSpec,
    HookspecMarker,
    HookspecOpts,
    normalize_hookimpl_opts,
    varnames,
)
from hookwise.compat.pluggy._result import Result
from hookwise.compat.pluggy._route import Impls, Route

__all__ = [  # pluggy._hooks's names, the markers included
    "HookCaller",
    "HookExec",
    "HookImpl",
    "HookRelay",
    "HookSpec",
    "HookimplMarker",
    "HookimplOpts",
    "HookspecMarker",
    "HookspecOpts",
    "Namespace",
    "SubsetHookCaller",
    "normalize_hookimpl_opts",
    "varnames",
]

from hookwise._guardrails import hidden_from_pytest, warn_outside

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's

Namespace = Any  # a module or a class
HookExec = Callable[[str, Sequence["HookImpl"], Mapping[str, object], bool], object]
"""pluggy's executor: ``(hook_name, hook_impls, kwargs, firstresult)``."""
_HISTORIC_CALL: Final = "Cannot directly call a historic hook - use call_historic instead."
_CallHistory = list[tuple[Mapping[str, object], Callable[[Any], None] | None]]


@final
class HookImpl(EngineImpl):
    """A hook implementation in a :class:`HookCaller`.

    pluggy's attributes, over the engine's own implementation type: the engine calls it as it is (no second
    object per implementation, for pytest's thousands of short-lived managers), except an old-style
    hookwrapper, which it runs through an adapter (:func:`~hookwise.compat.pluggy._callers.hookwrapper_impl`).
    ``kwargnames`` is pluggy's (the parameters with defaults, never passed); the engine's ``kwonly`` stays empty.
    """

    __slots__ = ("_engine", "hookwrapper", "kwargnames", "optionalhook", "opts", "tryfirst", "trylast", "wrapper")
    argnames: tuple[str, ...]
    kwargnames: tuple[str, ...]
    wrapper: bool
    tryfirst: bool
    trylast: bool

    def __init__(
        self, plugin: object, plugin_name: str, function: Callable[..., Any], hook_impl_opts: HookimplOpts
    ) -> None:
        seq = next(_registrations)  # made as registered: the order of registration
        super().__init__(plugin_name, plugin, function, "", engine_options(hook_impl_opts, seq), seq=seq)
        # pluggy's attributes where the engine's type has read-only properties of the same meaning (kwargnames:
        # pluggy's meaning, see above): readable alike, and settable, as pluggy's are
        self.argnames, self.kwargnames = varnames(function)  # pyright: ignore[reportIncompatibleMethodOverride]
        self.opts: HookimplOpts = hook_impl_opts
        self.wrapper = hook_impl_opts["wrapper"]  # pyright: ignore[reportIncompatibleMethodOverride]
        self.hookwrapper: bool = hook_impl_opts["hookwrapper"]
        self.optionalhook: bool = hook_impl_opts["optionalhook"]
        self.tryfirst = hook_impl_opts["tryfirst"]  # pyright: ignore[reportIncompatibleMethodOverride]
        self.trylast = hook_impl_opts["trylast"]  # pyright: ignore[reportIncompatibleMethodOverride]
        self._engine: EngineImpl | None = None  # an old-style hookwrapper's adapter

    def for_engine(self, hook_name: str) -> EngineImpl:
        """This implementation as the hookwise engine calls it: itself, or (old-style hookwrappers) its adapter."""
        if not self.hook:
            self.hook = hook_name
        if not self.hookwrapper:
            return self
        if self._engine is None:
            self._engine = hookwrapper_impl(self, hook_name)
        return self._engine

    def __repr__(self) -> str:
        return f"<HookImpl plugin_name={self.plugin_name!r}, plugin={self.plugin!r}>"


_registrations = itertools.count(1)  # across managers


@final
class HookRelay:
    """The object behind ``pm.hook``: one :class:`HookCaller` attribute per hook."""

    __slots__ = ("__dict__",)

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> HookCaller: ...


# Calls of a compiled hook before its caller also becomes its HookCaller's __call__ (a second compile: the hooks
# of short-lived managers, such as pytest's in-process runs make by the thousand, never pay for it); counted from
# a change, after the COMPILE_AFTER calls that compile the hook.
_FRONT_AFTER: Final = 64

_DIRECT: Final = 1  # a caller's front is its hook's compiled caller
_MONITORED: Final = 2  # a caller's front runs a hookcall monitor around its engine (_MonitoredHookCaller)

_EXTRA_CACHE: Final = 16  # how many sets of call_extra functions a hook caller keeps the callers of


class HookCaller:
    """A caller of all registered implementations of a hook specification, through the hookwise engine.

    Args:
        name: the hook's name.
        hook_execute: pluggy's executor, ``(hook_name, hook_impls, kwargs, firstresult)``.
        specmodule_or_class, spec_opts: the hook's specification, if known.
        engine: the hookwise engine that calls the implementations (given by
            hookwise's ``PluginManager``).
        route: whether calls may go to the engine directly.
    """

    __slots__ = (
        "_added",
        "_call_history",
        "_engine",
        "_extras",
        "_front",
        "_front_due",
        "_hookexec",
        "_hookimpls",
        "_impls",
        "_names",
        "_needed",
        "_required",
        "_route",
        "_stale",
        "_version",
        "_wrappers",
        "name",
        "spec",
    )

    def __init__(
        self,
        name: str,
        hook_execute: HookExec,
        specmodule_or_class: Namespace | None = None,
        spec_opts: HookspecOpts | None = None,
        *,
        engine: HookEngine | None = None,
        route: Route | None = None,
    ) -> None:
        self.name: Final = name
        self._hookexec: Final = hook_execute
        # pluggy's order, called in reverse: trylast, normal, tryfirst plain implementations, then wrappers alike.
        self._hookimpls: list[HookImpl] = []
        self._call_history: _CallHistory | None = None
        self._engine = engine  # or made at the first call (a manager's hooks that are never called have none)
        self._route = route if engine is not None or (route is not None and route.make_engine is not None) else None
        self._front = 0  # what this caller's class calls directly: nothing, _DIRECT or _MONITORED
        self._front_due = 0  # calls until a compiled caller becomes the front (0: none waits)
        if self._route is not None and self._fronts:
            self._route.callers.append(self)
        self._impls: Impls | None = None
        self._extras: dict[tuple[Callable[..., object], ...], Impls] = {}  # call_extra's, by extra functions
        self._needed: AbstractSet[str] = NO_NAMES  # what the implementations take
        self._required: AbstractSet[str] = NO_NAMES  # that, and what the spec declares
        self._names: tuple[str, ...] = ()  # the engine spec's parameters: the spec's, then the implementations'
        # added since the engine was up to date (None: rebuild it; while none were, no list for the GC to walk)
        self._added: list[HookImpl] | tuple[()] | None = None
        self._version = 0  # counts changes of implementations and spec
        self._stale = True  # changed since the engine and the arguments were brought up to date (or never were)
        self._wrappers = 0  # how many of the implementations are wrappers (they come last)
        self.spec: HookSpec | None = None
        if specmodule_or_class is not None:
            if spec_opts is None:
                msg = "spec_opts are needed with specmodule_or_class"
                raise AssertionError(msg)
            self.set_specification(specmodule_or_class, spec_opts)
        if self._route is not None and self._route.monitor is not None:  # made while a monitor is on
            self._make_monitored_front(self._route)

    def has_spec(self) -> bool:
        """Whether the hook has a specification."""
        return self.spec is not None

    def set_specification(self, specmodule_or_class: Namespace, spec_opts: HookspecOpts) -> None:
        """Set the hook's specification.

        Raises:
            ValueError: the hook already has one.
        """
        if self.spec is not None:
            msg = f"Hook {self.spec.name!r} is already registered within namespace {self.spec.namespace}"
            raise ValueError(msg)
        self.spec = HookSpec(specmodule_or_class, self.name, spec_opts)
        if spec_opts.get("historic"):
            self._call_history = []
        self._changed()

    def is_historic(self) -> bool:
        """Whether this caller is historic."""
        return self._call_history is not None

    def _firstresult(self) -> bool:
        return bool(self.spec and self.spec.opts.get("firstresult"))

    def _changed(self, added: HookImpl | None = None) -> None:
        """The implementations or the spec changed: what calls them catches up at the next call (:meth:`_catch_up`).

        ``added``: the change only added this implementation (the engine then gets just the new ones).
        """
        self._version += 1
        self._impls = None
        self._extras = {}
        self._stale = True
        pending = self._added
        if added is None:
            self._added = None
        elif isinstance(pending, list):
            pending.append(added)
        elif pending is not None:
            self._added = [added]
        if self._front == _DIRECT:
            self.drop_front()  # it knows the implementations and the arguments they need

    def _catch_up(self) -> None:
        """Bring the arguments a call needs, and the engine, up to date with the implementations and the spec.

        Deferred from each change to the next call: a manager registers its plugins one after another (pytest, about
        40 per run), and a hook costs one update however many changes came before its call, none if never called.
        """
        route = self._route
        if route is None:  # a caller without an engine: only the arguments
            self._update()
            return
        with route.lock:
            if self._stale:
                self._update()

    def _update(self) -> None:
        added, engine = self._added, self._engine_now()
        fresh: Sequence[HookImpl]
        if added is None:  # a new engine, a removal or a new spec: everything again
            names, fresh = [*self.spec.argnames] if self.spec else [], self._hookimpls
        else:  # additions only (a host registering while it calls): only theirs
            names, fresh = [*self._names], added
        for impl in fresh:
            names.extend(name for name in impl.argnames if name not in names)
        known = () if added is None else self._needed
        self._needed = interned({*known, *(name for impl in fresh for name in impl.argnames)})
        self._required, self._names = interned(names), tuple(names)
        if engine is not None:
            spec = engine_spec(self.name, names, firstresult=self._firstresult())
            if spec is not engine.spec:
                engine.set_spec(spec)
            converted = [impl.for_engine(self.name) for impl in fresh]
            if added is None:
                engine.replace(converted)
            else:
                engine.add(converted)
            if self._fronts:
                self._rearm()
        self._added, self._stale = (), False

    def _engine_now(self) -> HookEngine | None:
        """The engine; made now if the manager makes them on demand and this caller has none yet."""
        engine, route = self._engine, self._route
        if engine is None and route is not None and route.make_engine is not None:
            engine = self._engine = route.make_engine(self.name)
        return engine

    def get_hookimpls(self) -> list[HookImpl]:
        """The registered implementations, in pluggy's order (the last is called first)."""
        return self._hookimpls.copy()

    def _current(self) -> Impls:
        """The implementations as handed to ``hook_execute``: a copy, carrying the engine that calls them."""
        impls = self._impls
        if impls is None:
            impls = self._impls = Impls(self._hookimpls, self._engine)
        return impls

    def _add_hookimpl(self, hookimpl: HookImpl) -> None:
        """Add an implementation in pluggy's place for it."""
        impls = self._hookimpls
        wrappers_from = len(impls) - self._wrappers  # the wrappers come last
        start, end = (wrappers_from, len(impls)) if hookimpl.hookwrapper or hookimpl.wrapper else (0, wrappers_from)
        self._wrappers += hookimpl.hookwrapper or hookimpl.wrapper
        if hookimpl.trylast:
            impls.insert(start, hookimpl)
        elif hookimpl.tryfirst:
            impls.insert(end, hookimpl)
        else:
            i = end - 1
            while i >= start and impls[i].tryfirst:  # after the last non-tryfirst implementation
                i -= 1
            impls.insert(i + 1, hookimpl)
        self._changed(hookimpl)

    def _remove_plugin(self, plugin: object) -> None:
        for index, impl in enumerate(self._hookimpls):
            if impl.plugin == plugin:
                del self._hookimpls[index]
                self._wrappers -= impl.hookwrapper or impl.wrapper
                self._changed()
                return
        msg = f"plugin {plugin!r} not found"
        raise ValueError(msg)

    def _verify_all_args_are_provided(self, kwargs: Mapping[str, object]) -> None:
        if self.spec is None:
            return
        missing = [name for name in self.spec.argnames if name not in kwargs]
        if missing:
            notincall = ", ".join(repr(name) for name in missing)
            warn_outside(
                UserWarning(
                    f"Argument(s) {notincall} which are declared in the hookspec cannot be found in this hook call"
                )
            )

    def _check(self, kwargs: Mapping[str, object]) -> None:
        """A call that leaves out arguments: warn for the spec's, raise for those an implementation takes."""
        self._verify_all_args_are_provided(kwargs)
        if not kwargs.keys() >= self._needed:
            check_arguments(kwargs, list(reversed(self._hookimpls)))

    def __call__(self, **kwargs: object) -> Any:
        """Call the hook with keyword arguments; return the list of results (or the first, for firstresult hooks)."""
        if self._call_history is not None:
            raise AssertionError(_HISTORIC_CALL)
        if self._stale:
            self._catch_up()
        if not kwargs.keys() >= self._required:
            self._check(kwargs)
        route = self._route
        if route is not None:
            if route.direct:
                if self._front_due:
                    self._front_due -= 1
                    if not self._front_due:
                        self._make_front()
                return self._engine.function(**kwargs)  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
            if route.monitor is not None and self._front != _MONITORED and self._fronts:
                self._make_monitored_front(route)  # for the next calls
        return self._hookexec(self.name, self._current(), kwargs, self._firstresult())

    # -- the front: this caller's own __call__, the compiled caller or a monitor around the engine ------------------
    _fronts: ClassVar[bool] = True  # subset callers keep __call__

    def _rearm(self) -> None:
        """The engine's caller changed (under the lock): a compiled caller's front goes, and the next comes after
        enough direct calls for the engine to compile (no callback from the engine: one bound method less per hook).

        A monitored front stays: it calls whatever caller the engine has.
        """
        if self._front == _DIRECT:
            self.drop_front()
        self._front_due = COMPILE_AFTER + _FRONT_AFTER if self._call_history is None else 0

    def rerouted(self, route: Route) -> None:
        """Hookcall monitoring came or went (under the lock): the front follows at once."""
        self.drop_front()
        if route.monitor is not None:
            self._make_monitored_front(route)
        else:
            self._rearm()

    def _make_front(self) -> None:
        """Install the compiled caller, with a guard for incomplete calls, as ``__call__`` of this caller's class.

        ``pm.hook.name(**kwargs)`` then runs the implementations with no frame of the compat layer in between (a
        per-caller subclass holds it as a static method); dropped on any change, and when monitoring comes or goes.
        """
        engine, route = self._engine, self._route
        if engine is None or route is None:  # pragma: no cover - only callers with an engine get here
            return

        def install(function: Callable[..., Any]) -> None:
            if route.direct and self._call_history is None:
                self._install_front(function)

        engine.guarded(self._incomplete, install)
        if self._front != _DIRECT:  # not compiled yet (or changed meanwhile): another try later
            self._front_due = _FRONT_AFTER

    def _make_monitored_front(self, route: Route) -> None:
        """Make this caller a :class:`_MonitoredHookCaller` while a monitor of this layer is on."""
        with route.lock:
            monitor = route.monitor
            if monitor is not None and self._route is not None and not self._front and self._fronts:
                object.__setattr__(self, "__class__", _MonitoredHookCaller)  # one class for all: no type per caller
                self._front = _MONITORED

    def _install_front(self, function: Callable[..., Any]) -> None:
        cls = type(self)
        if cls is HookCaller or cls is _MonitoredHookCaller:  # shared classes: never given a caller's function
            cls = type("HookCaller", (HookCaller,), {"__slots__": (), "__module__": __name__, "__doc__": self.__doc__})
            object.__setattr__(self, "__class__", cls)  # this caller only
        cls.__call__ = staticmethod(function)  # type: ignore[method-assign]
        self._front = _DIRECT

    def drop_front(self) -> None:
        """Go back to the compat layer's own ``__call__``."""
        if self._front == _MONITORED:
            object.__setattr__(self, "__class__", HookCaller)
        elif self._front:
            del type(self).__call__  # the class stays this caller's, for its next compiled front
        self._front = 0

    def _incomplete(self, values: Mapping[str, object]) -> Any:
        """A call through the front that left arguments out: pluggy's warning or error, then the call."""
        return HookCaller.__call__(self, **{name: value for name, value in values.items() if value is not MISSING})

    def call_historic(
        self, result_callback: Callable[[Any], None] | None = None, kwargs: Mapping[str, object] | None = None
    ) -> None:
        """Call the hook for the registered plugins and remember the call for those registered later.

        ``result_callback`` is called with each non-None result.
        """
        if self._call_history is None:
            msg = f"hook {self.name!r} is not historic"
            raise AssertionError(msg)
        kwargs = kwargs or {}
        self._call_history.append((kwargs, result_callback))
        if self._stale:
            self._catch_up()
        self._check(kwargs)
        results = self._hookexec(self.name, self._current(), kwargs, False)
        if result_callback is not None and isinstance(results, list):
            for result in cast("list[object]", results):
                result_callback(result)

    def call_extra(self, methods: Sequence[Callable[..., object]], kwargs: Mapping[str, object]) -> Any:
        """Call the hook with some additional, temporary implementations (run before the other plain ones)."""
        if self._stale:
            self._catch_up()
        try:
            impls = self._extras.get(key := tuple(methods))
        except TypeError:  # an unhashable callable: made for this call only
            impls, key = None, None
        if impls is None:
            if self._call_history is not None:
                raise AssertionError(_HISTORIC_CALL)
            if not methods:
                return self(**kwargs)  # pytest calls pytest_generate_tests so when a module defines none
            impls = self._with_extra(methods)
            if key is not None:
                if len(self._extras) >= _EXTRA_CACHE:
                    self._extras.clear()
                self._extras[key] = impls
        if not kwargs.keys() >= impls.required:
            self._check(kwargs)
            impls.check(kwargs)
        route, run = self._route, impls.run
        if route is not None and route.direct and run is not None and impls.generation == route.generation:
            return run(**kwargs)
        return self._hookexec(self.name, impls, kwargs, self._firstresult())

    def _with_extra(self, methods: Sequence[Callable[..., object]]) -> Impls:
        """The implementations with ``methods`` added as pluggy's ``call_extra`` adds them."""
        opts = HookimplOpts(
            wrapper=False, hookwrapper=False, optionalhook=False, trylast=False, tryfirst=False, specname=None
        )
        impls = self._hookimpls.copy()
        for method in methods:
            i = len(impls) - 1
            while i >= 0 and (impls[i].hookwrapper or impls[i].wrapper or impls[i].tryfirst):
                i -= 1  # after the last plain, non-tryfirst implementation: called before the others
            impls.insert(i + 1, HookImpl(None, "<temp>", method, opts))
        return Impls.of(impls, self._required)

    def _maybe_apply_history(self, method: HookImpl) -> None:
        """Replay the remembered calls to a new implementation, through ``hook_execute`` (so monitors see them)."""
        if not self._call_history:
            return
        replayed = Impls.of([method])  # one caller for every replay to it
        for kwargs, result_callback in self._call_history:
            results = self._hookexec(self.name, replayed, kwargs, False)
            if results and result_callback is not None and isinstance(results, list):
                result_callback(cast("list[object]", results)[0])

    def __repr__(self) -> str:
        return f"<HookCaller {self.name!r}>"


class _MonitoredHookCaller(HookCaller):
    """A :class:`HookCaller` while one of this layer's monitors wraps the manager's own executor (``_route.py``).

    Its ``__call__`` is ``traced_hookexec`` with the executor's work (the engine's caller) and the outcome done in
    place; the caller's class stays this one while the monitor does, so every call runs through the same frames, as
    pluggy's do (pytest compares the tracebacks of consecutive calls). Incomplete calls go to ``_incomplete``.
    """

    __slots__ = ()

    def __call__(self, **kwargs: object) -> Any:
        monitor = self._route.monitor  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess] - callers with a route only
        if self._stale:
            self._catch_up()
        if monitor is None or self._call_history is not None or not kwargs.keys() >= self._required:
            return self._incomplete(kwargs)
        before, after = monitor
        impls = self._impls
        if impls is None:
            impls = self._current()
        before(self.name, impls, kwargs)
        outcome = _new(Result)
        try:
            outcome._result = self._engine.function(**kwargs)  # type: ignore[union-attr]  # noqa: SLF001  # pyright: ignore[reportOptionalMemberAccess] - made by the catch-up
            outcome._exception = outcome._traceback = None  # noqa: SLF001
        except BaseException as error:  # noqa: BLE001 - handed to ``after``, then raised again, as pluggy does
            outcome._result = None  # noqa: SLF001
            outcome._exception, outcome._traceback = error, error.__traceback__  # noqa: SLF001
        after(outcome, self.name, impls, kwargs)
        if outcome._exception is None:  # noqa: SLF001 - Result.get_result, in place
            return outcome._result  # noqa: SLF001
        raise outcome._exception.with_traceback(outcome._traceback)  # noqa: SLF001


_new: Any = object.__new__  # a Result without __init__'s frame: _MonitoredHookCaller sets its slots


from hookwise.compat.pluggy._subset import SubsetHookCaller  # noqa: E402 - it subclasses HookCaller, above

_SubsetHookCaller = SubsetHookCaller  # pluggy's name
