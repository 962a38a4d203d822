"""The plugin manager: specs, plugins, and one engine per hook.

``HookManager`` owns the specs and the registry of plugins; each hook's
implementations, order and callers live in a
:class:`~hookwise._engine.HookEngine`, which the manager hands what it needs
(its lock, the hook's instrumentation, where to publish the caller) and
changes only through its methods.
"""

from __future__ import annotations

import types
from _thread import RLock
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, Unpack, cast, overload

from hookwise._caller import HookCaller
from hookwise._engine import History, HookEngine
from hookwise._impl import HANDLER_OPTIONS, HandlerOptions, HookImpl, ImplOptions, validate, validated
from hookwise._order import Explanation, RegistrationOrder
from hookwise._plugins import Found, PluginInfo, check_new, default_name, identity, scan
from hookwise._results import Dispatched
from hookwise._scoped import connected, muted
from hookwise._spec import ON_BUDGET, ErrorPolicy, GuardrailOptions, HookSpec, Kind, OnBudget, iter_specs
from hookwise._text import did_you_mean
from hookwise._weak import weakened
from hookwise.exceptions import HookCallError, RegistrationError, SpecError

if TYPE_CHECKING:
    from hookwise._instrumentation import Instrumentation
    from hookwise._tracing import Monitor

from hookwise._guardrails import hidden_from_pytest

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's

P = ParamSpec("P")
Out = TypeVar("Out")
S = TypeVar("S")
T = TypeVar("T")
Handler = TypeVar("Handler", bound=Callable[..., Any])


class _Relay:
    """The object behind ``manager.call``: one attribute per hook, holding its caller function."""

    def __repr__(self) -> str:
        return f"<hook relay: {', '.join(sorted(vars(self)))}>"


class HookManager(Generic[S]):
    """Owns hook specs and plugins, and calls hooks.

    Create one per host, with the spec class whose hooks it calls::

        manager = HookManager(TodoHooks)
        manager.register(BudgetPlugin())
        result = manager.call.before_complete_task(task_id="t1", owner_id="u1", actor_id="u2")

    ``manager.call`` is typed as an instance of the spec class, so the type
    checker knows every hook's parameters and result type.

    Args:
        specs: a spec class (methods marked with :func:`hookspec`); more can
            be added with :meth:`add_specs` and :meth:`add_spec`.
        order: how implementations with equal band and priority are ordered:
            ``"fifo"`` (registration order, the default) or ``"lifo"`` (the
            latest registered runs first, as pluggy and Kedro do).
        budget: seconds each implementation of every hook may take (0.1 keeps
            handlers under 100 ms); a spec's own ``budget`` wins. ``None``: no
            budget, no timing.
        on_budget: over budget, ``"warn"`` (a ``BudgetWarning``, the default),
            ``"error"`` (``BudgetExceededError``, under the hook's error policy)
            or ``"veto"`` (intercept hooks; others raise).
        detect_reentry: raise ``ReentrancyError`` when a hook is called while
            it is already running on the same call stack (a spec's
            ``max_depth`` allows recursion on purpose). Costs a context-variable
            update per call, so it is off by default.

    Registering and unregistering is thread-safe, and never disturbs calls
    running in other threads: each call uses the caller it started with.
    """

    call: S
    """Typed access to the hooks: ``manager.call.<hook>(...)``."""

    @overload
    def __init__(
        self: HookManager[T],
        specs: type[T],
        /,
        *,
        order: RegistrationOrder = "fifo",
        budget: float | None = None,
        on_budget: OnBudget = "warn",
        detect_reentry: bool = False,
    ) -> None: ...
    @overload
    def __init__(
        self: HookManager[object],
        specs: None = None,
        /,
        *,
        order: RegistrationOrder = "fifo",
        budget: float | None = None,
        on_budget: OnBudget = "warn",
        detect_reentry: bool = False,
    ) -> None: ...
    def __init__(
        self,
        specs: type[Any] | None = None,
        /,
        *,
        order: RegistrationOrder = "fifo",
        budget: float | None = None,
        on_budget: OnBudget = "warn",
        detect_reentry: bool = False,
    ) -> None:
        if order not in ("fifo", "lifo"):
            msg = f"order must be 'fifo' or 'lifo', not {order!r}"
            raise ValueError(msg)
        if budget is not None and not budget > 0:
            msg = f"budget must be a positive number of seconds, not {budget!r}"
            raise ValueError(msg)
        if on_budget not in ON_BUDGET:
            msg = f"on_budget must be 'warn', 'error' or 'veto', not {on_budget!r}"
            raise ValueError(msg)
        self.order: RegistrationOrder = order
        self.budget = budget
        self.on_budget: OnBudget = on_budget
        self.detect_reentry = detect_reentry
        self._monitors: list[tuple[Monitor, frozenset[str] | None]] = []
        self._relay = _Relay()
        self.call = cast("S", self._relay)
        self._lock = RLock()
        self._engines: dict[str, HookEngine] = {}
        self._callers: dict[str, HookCaller[..., Any]] = {}
        self._attributes: dict[str, set[str]] = {}
        self._plugins: dict[str, PluginInfo] = {}
        self._identities: dict[object, str] = {}
        self._pending: dict[str, list[HookImpl]] = {}
        self._blocked: set[str] = set()
        self._seq = 0
        self._dead = False  # a weakly held plugin was collected and is still registered
        if specs is not None:
            self.add_specs(specs)

    # -- monitors and guardrails -------------------------------------------
    def add_monitor(self, monitor: Monitor, *, hooks: Iterable[str] | None = None) -> Callable[[], None]:
        """Call ``monitor`` with a :class:`TraceEvent` before and after each call and implementation.

        Args:
            monitor: a callable taking a ``TraceEvent`` (``TraceRecorder``, ``HookStats``, your own).
            hooks: the hook names to monitor; all hooks, present and future, by default.

        Returns:
            a function that removes the monitor again.

        A monitor that raises does not change the call: what it raised is
        reported after the call as a :class:`~hookwise.MonitorWarning`.
        Monitored hooks get instrumented callers; hooks without monitors (or
        guardrails) keep their plain callers.
        """
        selected = None if hooks is None else frozenset(hooks)
        with self._lock:
            self._monitors.append((monitor, selected))
            self._refresh(selected)

        def remove() -> None:
            self.remove_monitor(monitor)

        return remove

    def remove_monitor(self, monitor: Monitor) -> None:
        """Stop calling a monitor; removing one that is not there does nothing."""
        with self._lock:
            removed = [hooks for m, hooks in self._monitors if m == monitor]
            self._monitors = [(m, hooks) for m, hooks in self._monitors if m != monitor]
            for hooks in removed:
                self._refresh(hooks)

    def _refresh(self, hooks: frozenset[str] | None) -> None:
        for name, engine in self._engines.items():
            if hooks is None or name in hooks:
                engine.refresh()

    def _instrumentation(self, spec: HookSpec[..., Any]) -> Instrumentation | None:
        monitors = [m for m, hooks in self._monitors if hooks is None or spec.name in hooks]
        if not monitors and self.budget is None and not self.detect_reentry and not spec.instrumented:
            return None  # the common case, decided without importing the instrumentation
        from hookwise._instrumentation import Instrumentation

        return Instrumentation.for_hook(
            spec, monitors, budget=self.budget, on_budget=self.on_budget, detect_reentry=self.detect_reentry
        )

    # -- specs -------------------------------------------------------------
    def add_specs(self, specs: type[T]) -> T:
        """Add every hook a spec class declares; return the typed relay for them.

        Returns:
            the object behind ``manager.call``, typed as the spec class, so
            that ``manager.add_specs(MoreHooks).some_hook(...)`` type-checks.

        Raises:
            SpecError: the class declares no hooks, or a hook conflicts with
                one already declared under the same name.
        """
        found = iter_specs(specs)
        if not found:
            name = getattr(specs, "__qualname__", repr(specs))
            msg = f"{name} declares no hook specs; mark its methods with @hookspec"
            raise SpecError(msg, hook="")
        with self._lock:
            for spec in found:
                self._add(spec)
        return cast("T", self._relay)

    def add_spec(
        self,
        name: str,
        params: Sequence[str],
        *,
        kind: Kind = "collect",
        policy: ErrorPolicy | None = None,
        historic: bool = False,
        concurrent: bool = False,
        doc: str | None = None,
        **options: Unpack[GuardrailOptions],
    ) -> HookSpec[..., Any]:
        """Declare a hook by name and parameter names (string hook points such as ``"todos.before_complete_task"``).

        ``options`` are the guardrails of :func:`hookspec`: ``budget``, ``on_budget``,
        ``strict``, ``max_depth``.

        Raises:
            SpecError: a bad name, parameter, kind or option, or a different
                spec already declared under this name.
        """
        spec = HookSpec.from_names(
            name, params, kind=kind, policy=policy, historic=historic, concurrent=concurrent, doc=doc, **options
        )
        with self._lock:
            return self._add(spec)

    def _add(self, spec: HookSpec[..., Any]) -> HookSpec[..., Any]:
        existing = self._engines.get(spec.name)
        if existing is not None:
            if not existing.spec.same_shape(spec):
                msg = (
                    f"hook {spec.name!r} is already declared as {existing.spec.signature_text()} "
                    f"(kind {existing.spec.kind}, policy {existing.spec.policy}); the new declaration "
                    f"{spec.signature_text()} (kind {spec.kind}, policy {spec.policy}) differs"
                )
                raise SpecError(msg, hook=spec.name)
            self._attributes[spec.name].add(spec.attribute)
            setattr(self._relay, spec.attribute, existing.function)
            return existing.spec
        pending = self._pending.get(spec.name, [])
        for impl in pending:
            validate(impl, spec)
        attributes = self._attributes[spec.name] = {spec.attribute}
        relay = self._relay

        def publish(function: Callable[..., Any]) -> None:
            for attribute in attributes:
                setattr(relay, attribute, function)

        engine = HookEngine(spec, order=self.order, lock=self._lock, instrument=self._instrumentation, publish=publish)
        engine.add(pending)
        self._engines[spec.name] = engine
        self._callers[spec.name] = HookCaller(engine)
        self._pending.pop(spec.name, None)
        return spec

    # -- registration ------------------------------------------------------
    @overload
    def register(
        self, plugin: object, /, *, name: str | None = None, source: str = "code", weak: bool = False
    ) -> str | None: ...
    @overload
    def register(
        self,
        hook: str,
        handler: Callable[..., Any],
        /,
        *,
        name: str | None = None,
        source: str = "code",
        weak: bool = False,
        **options: Unpack[HandlerOptions],
    ) -> str | None: ...
    def register(
        self,
        plugin: object,
        handler: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        source: str = "code",
        weak: bool = False,
        **options: Unpack[HandlerOptions],
    ) -> str | None:
        """Register a plugin, or a single handler for a hook by name.

        ``register(plugin)`` registers every method or function of ``plugin``
        marked with :func:`hookimpl`. ``register("hook.name", handler,
        priority=10)`` registers one handler that receives the call's
        arguments as one read-only mapping, the *context*.

        Args:
            name: the plugin's unique name; by default a module's name, a
                class's or function's qualified name, or an instance's class name.
            source: where the plugin came from, for ``inspect`` (``"code"``).
            weak: hold the plugin (or handler) by weak reference: once it is
                collected it is unregistered (see ``docs/guide.md``).
            options: a handler's ordering options: ``priority``, ``tryfirst``,
                ``trylast``, ``before``, ``after``.

        Returns:
            the plugin's name, or ``None`` if that name is blocked.

        Raises:
            RegistrationError: the name or the object is already registered.
            PluginValidationError: an implementation does not fit its spec,
                or implements an unknown hook without ``optional=True``.
            OrderCycleError: the plugin's before/after constraints close a cycle.
        """
        if isinstance(plugin, str):
            if handler is None:
                msg = f"register({plugin!r}) needs a handler: register(hook_name, handler) or register(plugin_object)"
                raise TypeError(msg)
            checked = ImplOptions.of(options, where="register()", allowed=HANDLER_OPTIONS)
            return self._register(
                handler, name or default_name(handler), [(plugin, checked, handler, "mapping")], source, weak
            )
        if handler is not None:
            msg = f"register(plugin, handler): the first argument must be a hook name, not {plugin!r}"
            raise TypeError(msg)
        if options:
            msg = (
                f"register(plugin) takes no ordering options ({', '.join(options)}); "
                "give them to @hookimpl(...) on the plugin's implementations"
            )
            raise TypeError(msg)
        plugin_name = name or default_name(plugin)
        return self._register(plugin, plugin_name, scan(plugin, plugin_name, self._engines), source, weak)

    def _register(self, plugin: object, plugin_name: str, found: list[Found], source: str, weak: bool) -> str | None:
        """Register a plugin's implementations, all or nothing; replay historic calls to them afterwards."""
        replays: list[tuple[HookEngine, list[HookImpl], History]] = []
        with self._lock:
            if plugin_name in self._blocked:
                return None
            self._tidy()
            held = weakened(plugin, plugin_name, found, self._bury) if weak else plugin  # stand-ins in found
            info = PluginInfo(plugin_name, held, (), source)
            check_new(self._plugins, self._identities, plugin_name, info.key)
            impls: list[HookImpl] = []
            for hook, opts, fn, style in found:
                self._seq += 1
                engine = self._engines.get(hook)
                impl = HookImpl(plugin_name, held, fn, hook, opts, seq=self._seq, style=style)
                impls.append(validated(impl, None if engine is None else engine.spec, self._engines))
            by_hook: dict[str, list[HookImpl]] = {}
            for impl in impls:
                by_hook.setdefault(impl.hook, []).append(impl)
            commits: list[tuple[HookEngine, list[HookImpl], Callable[[], History]]] = []
            for hook, added in by_hook.items():
                engine = self._engines.get(hook)
                if engine is not None:
                    commits.append((engine, added, engine.prepare(added)))
            # Every check passed: nothing below raises before the plugin is in.
            info.impls = tuple(impls)
            self._plugins[plugin_name] = info
            self._identities[info.key] = plugin_name
            for engine, added, commit in commits:
                history = commit()
                if history:
                    replays.append((engine, added, history))
            for hook, added in by_hook.items():
                if hook not in self._engines:
                    self._pending.setdefault(hook, []).extend(added)
        for engine, added, history in replays:  # plugin code never runs under the lock
            try:
                engine.replay(added, history)
            except BaseException:
                with self._lock:
                    if self._plugins.get(plugin_name) is not None:
                        self._remove(self._plugins[plugin_name])
                raise
        return plugin_name

    def on(
        self, hook: str, /, *, name: str | None = None, weak: bool = False, **options: Unpack[HandlerOptions]
    ) -> Callable[[Handler], Handler]:
        """``register(hook, function, ...)`` as a decorator, for quick scripts: ``@hooks.on("a.hook", priority=10)``.

        The function is returned unchanged (``hooks.unregister(function)``
        removes it again). ``options`` are :meth:`register`'s for handlers,
        checked here, before any function is decorated.
        """
        ImplOptions.of(options, where="on()", allowed=HANDLER_OPTIONS)

        def decorate(handler: Handler) -> Handler:
            self.register(hook, handler, name=name, weak=weak, **options)
            return handler

        return decorate

    def connected(self, plugin: object, /, *, name: str | None = None) -> AbstractContextManager[str]:
        """Register ``plugin`` for a ``with`` block, unregister it after (``as`` gives its name); for tests."""
        return connected(self, plugin, name)

    def muted(self, *plugins: object) -> AbstractContextManager[None]:
        """Silence registered plugins (names or objects) for a ``with`` block; each keeps its place in the order."""
        return muted(self._lock, self._engines, self._plugins, self._find, plugins)

    def unregister(self, plugin: object) -> object:
        """Unregister a plugin, given by name or as the object; return the plugin object.

        Raises:
            RegistrationError: no such plugin is registered.
        """
        with self._lock:
            self._tidy()
            info = self._find(plugin)
            if info is None:
                what = repr(plugin) if isinstance(plugin, str) else f"object {plugin!r}"
                msg = f"cannot unregister {what}: no plugin of that name or identity is registered"
                raise RegistrationError(msg, plugin=plugin if isinstance(plugin, str) else default_name(plugin))
            self._remove(info)
            return info.plugin

    def _bury(self, _: object) -> None:
        """A weakly held plugin died: unregister it now if the lock is free, else at the next (un)registration."""
        self._dead = True
        lock, owned = self._lock, getattr(self._lock, "_is_owned")  # noqa: B009 - CPython's RLock has it; typeshed not
        if not owned() and lock.acquire(blocking=False):  # never wait in a collector's callback
            try:
                self._tidy()
            finally:
                lock.release()

    def _tidy(self) -> None:
        """Unregister the weakly held plugins that were collected (under the lock)."""
        if self._dead:
            self._dead = False
            for info in [info for info in self._plugins.values() if info.weak and info.plugin is None]:
                self._remove(info)

    def _find(self, plugin: object) -> PluginInfo | None:
        if isinstance(plugin, str):
            return self._plugins.get(plugin)
        name = self._identities.get(identity(plugin))
        return None if name is None else self._plugins.get(name)

    def _remove(self, info: PluginInfo) -> None:
        del self._plugins[info.name]
        self._identities.pop(info.key, None)
        for hook in {impl.hook for impl in info.impls}:
            engine = self._engines.get(hook)
            if engine is not None:
                engine.remove(info.impls)
                continue
            remaining = [i for i in self._pending.get(hook, []) if i.plugin_name != info.name]
            if remaining:
                self._pending[hook] = remaining
            else:
                self._pending.pop(hook, None)

    def block(self, name: str) -> None:
        """Block a plugin name: unregister it if registered, and ignore later registrations under it."""
        with self._lock:
            self._blocked.add(name)
            info = self._plugins.get(name)
            if info is not None:
                self._remove(info)

    def unblock(self, name: str) -> bool:
        """Allow a blocked name again; return whether it was blocked."""
        with self._lock:
            blocked = name in self._blocked
            self._blocked.discard(name)
            return blocked

    def is_blocked(self, name: str) -> bool:
        """Whether the plugin name is blocked."""
        return name in self._blocked

    @property
    def blocked(self) -> list[str]:
        """The blocked plugin names, sorted."""
        with self._lock:
            return sorted(self._blocked)

    # -- introspection -----------------------------------------------------
    @property
    def plugins(self) -> Mapping[str, object]:
        """Registered plugins by name, in registration order (a snapshot; collected weak ones left out)."""
        with self._lock:
            alive = {
                name: info.plugin for name, info in self._plugins.items() if not info.weak or info.plugin is not None
            }
            return types.MappingProxyType(alive)

    def plugin_info(self, name: str) -> PluginInfo:
        """The registration record of a plugin.

        Raises:
            RegistrationError: no plugin of that name is registered.
        """
        with self._lock:
            info = self._plugins.get(name)
            if info is None:
                msg = f"no plugin named {name!r} is registered (registered: {', '.join(self._plugins) or 'none'})"
                raise RegistrationError(msg, plugin=name)
            return info

    def plugin_hooks(self, name: str) -> list[str]:
        """The hooks a registered plugin implements, sorted.

        Raises:
            RegistrationError: no plugin of that name is registered.
        """
        return sorted({impl.hook for impl in self.plugin_info(name).impls})

    def name_of(self, plugin: object) -> str | None:
        """The name a plugin object (a bound method by its object and function) is registered under, or None."""
        with self._lock:
            info = self._find(plugin) if not isinstance(plugin, str) else None
            return None if info is None else info.name

    def is_registered(self, plugin: object) -> bool:
        """Whether a plugin (by name or object; a bound method by its object and function) is registered."""
        with self._lock:
            return self._find(plugin) is not None

    @property
    def pending(self) -> Mapping[str, list[str]]:
        """Implementations waiting for a spec (``optional=True``): hook name to plugin names (a snapshot)."""
        with self._lock:
            return types.MappingProxyType(
                {hook: [impl.plugin_name for impl in impls] for hook, impls in self._pending.items()}
            )

    @property
    def hook_names(self) -> list[str]:
        """Every declared hook's name, in declaration order."""
        with self._lock:
            return list(self._engines)

    @overload
    def hook(self, hook: HookSpec[P, Out], /) -> HookCaller[P, Out]: ...
    @overload
    def hook(self, hook: str, /) -> HookCaller[..., Any]: ...
    def hook(self, hook: HookSpec[Any, Any] | str, /) -> HookCaller[Any, Any]:
        """The caller of one hook, by name or by spec (``manager.hook(TodoHooks.before_complete_task)``).

        Raises:
            HookCallError: no hook of that name is declared.
        """
        name = hook if isinstance(hook, str) else hook.name
        caller = self._callers.get(name)
        if caller is None:
            declared = list(self._callers)
            msg = (
                f"no hook named {name!r} is declared{did_you_mean(name, declared)} "
                f"(declared: {', '.join(declared) or 'none'})"
            )
            raise HookCallError(msg, hook=name)
        return caller

    def explain(self, hook: HookSpec[Any, Any] | str) -> Explanation:
        """The effective order of a hook's implementations with the reason for each position."""
        return self.hook(hook).explain()

    # -- dispatching a context mapping ---------------------------------------
    def dispatch(self, hook: str, context: Mapping[str, Any]) -> Dispatched:
        """Dispatch an intercept or observe hook with its arguments in one mapping: ``hook(name).dispatch(context)``.

        Raises:
            HookCallError: unknown hook, a collect or first hook, or a context
                whose keys do not match the hook's parameters.
        """
        return self.hook(hook).dispatch(context)

    async def adispatch(self, hook: str, context: Mapping[str, Any]) -> Dispatched:
        """:meth:`dispatch`, awaited: async handlers are awaited.

        Raises:
            HookCallError: as :meth:`dispatch`.
        """
        return await self.hook(hook).adispatch(context)

    def __repr__(self) -> str:
        with self._lock:
            return f"<HookManager hooks={len(self._engines)} plugins={list(self._plugins)} order={self.order}>"
