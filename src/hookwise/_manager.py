"""The plugin manager: specs, plugins, and one compiled caller per hook.

``HookManager`` and ``HookCaller`` are one unit: the manager drives its
callers' private state (implementations, compiled function) under its lock.
"""
# pyright: reportPrivateUsage=false

from __future__ import annotations

import types
from _thread import RLock
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, ParamSpec, TypeVar, Unpack, cast, final, overload

from hookwise._dispatch import build_caller
from hookwise._impl import HookImpl, ImplOptions, Style, impl_options, validate
from hookwise._order import Explanation, RegistrationOrder, explain, sort_impls
from hookwise._results import CallRecord, DispatchResult, HookResult
from hookwise._spec import ErrorPolicy, GuardrailOptions, HookSpec, Kind, iter_specs

if TYPE_CHECKING:
    from hookwise._guardrails import Instrumentation, OnBudget
    from hookwise._tracing import Monitor
from hookwise.exceptions import HookCallError, PluginValidationError, RegistrationError, SpecError

P = ParamSpec("P")
Out = TypeVar("Out")
S = TypeVar("S")
T = TypeVar("T")


class _Plan(NamedTuple):
    impls: list[HookImpl]
    ordered: tuple[HookImpl, ...] | None
    constrained: bool


class _Relay:
    """The object behind ``manager.call``: one attribute per hook, holding its compiled caller."""

    def __repr__(self) -> str:
        return f"<hook relay: {', '.join(sorted(vars(self)))}>"


@final
class HookCaller(Generic[P, Out]):
    """One hook of a manager: call it, inspect its implementations, explain their order.

    Get it with :meth:`HookManager.hook`. Calling it is the same as calling
    ``manager.call.<hook>``, with one attribute look-up more.

    Attributes:
        name: the hook's name.
        spec: the hook's spec.
    """

    __slots__ = (
        "_afn",
        "_astub",
        "_attrs",
        "_constrained",
        "_fn",
        "_history",
        "_impls",
        "_manager",
        "_ordered",
        "_provenance",
        "_stub",
        "name",
        "spec",
    )

    def __init__(self, manager: HookManager[Any], spec: HookSpec[P, Out]) -> None:
        self._manager = manager
        self.name = spec.name
        self.spec = spec
        self._attrs: set[str] = set()
        self._impls: list[HookImpl] = []
        self._ordered: tuple[HookImpl, ...] | None = ()
        self._constrained = False
        self._history: list[dict[str, Any]] | None = [] if spec.historic else None
        self._provenance: dict[bool, Callable[..., Any]] = {}

        # Stand-ins for the compiled callers after a registration: the first call compiles.
        def stub(*args: Any, **kwargs: Any) -> Any:
            return self._compile(is_async=False)(*args, **kwargs)

        async def astub(*args: Any, **kwargs: Any) -> Any:
            return await self._compile(is_async=True)(*args, **kwargs)

        self._stub: Callable[..., Any] = stub
        self._astub: Callable[..., Any] = astub
        self._afn = astub
        self._fn = stub
        self._set(stub)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Out:
        """Call the hook's implementations; the result follows the hook's kind.

        Raises:
            HookCallError: the hook has async implementations; await :meth:`acall`.
        """
        result: Out = self._fn(*args, **kwargs)
        return result

    async def acall(self, *args: P.args, **kwargs: P.kwargs) -> Out:
        """Await the hook's implementations, sync and async alike (all together for concurrent hooks)."""
        result: Out = await self._afn(*args, **kwargs)
        return result

    def call_with_provenance(self, *args: P.args, **kwargs: P.kwargs) -> CallRecord[Out]:
        """Call the hook and also record which plugin returned what.

        Returns:
            a :class:`CallRecord` whose ``result`` is what the plain call
            returns and whose ``results`` lists every non-None value an
            implementation returned, with its plugin, in call order (before
            wrappers saw them).
        """
        recorded: list[HookResult[Any]] = []
        result: Out = self._provenance_caller(is_async=False)(*args, _hw_prov=recorded, **kwargs)
        return CallRecord(result, recorded)

    async def acall_with_provenance(self, *args: P.args, **kwargs: P.kwargs) -> CallRecord[Out]:
        """:meth:`call_with_provenance`, awaited."""
        recorded: list[HookResult[Any]] = []
        result: Out = await self._provenance_caller(is_async=True)(*args, _hw_prov=recorded, **kwargs)
        return CallRecord(result, recorded)

    def _provenance_caller(self, *, is_async: bool) -> Callable[..., Any]:
        fn = self._provenance.get(is_async)
        if fn is None:
            with self._manager._lock:
                fn = self._provenance[is_async] = self._build(provenance=True, is_async=is_async)
        return fn

    @property
    def implementations(self) -> tuple[HookImpl, ...]:
        """Every implementation in effective order: wrappers (outermost first), then plain ones."""
        with self._manager._lock:
            return self._order()

    @property
    def plugins(self) -> list[str]:
        """The implementing plugins' names in effective order (wrappers first)."""
        return [impl.plugin_name for impl in self.implementations]

    def explain(self) -> Explanation:
        """The effective order with the reason for each position (``str()`` it for text)."""
        return explain(self.name, self.implementations, self._manager.order)

    # -- driven by the manager, under its lock ----------------------------------
    def _plan(self, impls: list[HookImpl], added: Sequence[HookImpl] | None = None) -> _Plan:
        """A new set of implementations, sorted now if before/after constraints could form a cycle.

        Without constraints no cycle is possible and sorting waits for the next
        call, so that registering n plugins costs O(n), not O(n^2 log n).
        ``added`` is what was just added to the current set; without it, every
        implementation is looked at (after a removal).
        """
        if added is None:
            constrained = any(impl.before or impl.after for impl in impls)
        else:
            constrained = self._constrained or any(impl.before or impl.after for impl in added)
        return _Plan(impls, self._sort(impls) if constrained else None, constrained)

    def _sort(self, impls: Sequence[HookImpl]) -> tuple[HookImpl, ...]:
        wrappers = sort_impls(self.name, [i for i in impls if i.wrapper], self._manager.order)
        plain = sort_impls(self.name, [i for i in impls if not i.wrapper], self._manager.order)
        return (*wrappers, *plain)

    def _order(self) -> tuple[HookImpl, ...]:
        if self._ordered is None:
            self._ordered = self._sort(self._impls)
        return self._ordered

    def _install(self, plan: _Plan) -> None:
        """Take a new set of implementations; the callers are compiled on their next call."""
        self._impls = plan.impls
        self._ordered = plan.ordered
        self._constrained = plan.constrained
        self._provenance = {}
        self._afn = self._astub
        self._set(self._stub)

    def _set(self, fn: Callable[..., Any]) -> None:
        """Install the sync caller on the relay; its ``acall`` attribute is the async one."""
        setattr(fn, "acall", self._afn)  # noqa: B010 - an attribute of the function object
        self._fn = fn
        relay = self._manager._relay
        for attr in self._attrs:
            setattr(relay, attr, fn)

    def _build(self, *, provenance: bool = False, is_async: bool = False) -> Callable[..., Any]:
        ordered = self._order()
        plain = [i for i in ordered if not i.wrapper]
        wrappers = [i for i in ordered if i.wrapper]
        setup = self._manager._instrumentation(self.spec)
        if setup is None:  # the plain caller: nothing else on the call path
            return build_caller(
                self.spec, plain, wrappers, provenance=provenance, history=self._history, is_async=is_async
            )
        from hookwise._guardrails import instrument_call, instrument_impl  # only hooks that use them

        functions = [instrument_impl(self.spec, impl, setup) for impl in plain] if setup.monitors else None
        caller = build_caller(
            self.spec,
            plain,
            wrappers,
            provenance=provenance,
            history=self._history,
            is_async=is_async,
            functions=functions,
            budget=setup.budget,
            on_budget=setup.on_budget,
        )
        return instrument_call(self.spec, caller, setup, is_async=is_async)

    def _refresh(self) -> None:
        """Recompile on the next call with the same implementations (monitors or guardrails changed)."""
        self._provenance = {}
        self._afn = self._astub
        self._set(self._stub)

    def _compile(self, *, is_async: bool) -> Callable[..., Any]:
        with self._manager._lock:
            if is_async and self._afn is self._astub:
                self._afn = self._build(is_async=True)
                setattr(self._fn, "acall", self._afn)  # noqa: B010 - an attribute of the function object
            elif not is_async and self._fn is self._stub:
                self._set(self._build())
            return self._afn if is_async else self._fn

    def _check_replayable(self, impls: Sequence[HookImpl]) -> None:
        """Replays run at registration, synchronously: a late async implementation cannot take them."""
        if not self._history:
            return
        for impl in impls:
            if impl.is_async and not impl.wrapper:
                msg = (
                    f"plugin {impl.plugin_name!r}: {impl.qualname} is async, and historic hook {self.name!r} "
                    f"would replay its {len(self._history)} past call(s) to it now, at registration, which "
                    "cannot await; register it before the first call, or make it sync"
                )
                raise PluginValidationError(msg, plugin=impl.plugin_name, hook=self.name)

    def _replay(self, impls: Sequence[HookImpl]) -> None:
        """Call late implementations of a historic hook with every remembered call."""
        if not self._history:
            return
        plain = [i for i in impls if not i.wrapper]
        if not plain:
            return
        replay = build_caller(self.spec, plain)
        for kwargs in list(self._history):
            replay(**kwargs)

    def __repr__(self) -> str:
        return f"<HookCaller {self.spec.signature_text()} kind={self.spec.kind} impls={len(self._impls)}>"


@final
class PluginInfo:
    """A registered plugin: its name, the object, its implementations and where it came from."""

    __slots__ = ("impls", "name", "plugin", "source")

    def __init__(self, name: str, plugin: object, impls: tuple[HookImpl, ...], source: str) -> None:
        self.name = name
        self.plugin = plugin
        self.impls = impls
        self.source = source

    def __repr__(self) -> str:
        return f"<PluginInfo {self.name!r} hooks={[i.hook for i in self.impls]} source={self.source!r}>"


def _suggest(name: str, known: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest known name, or nothing."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _default_name(plugin: object) -> str:
    if isinstance(plugin, types.ModuleType):
        return plugin.__name__
    import inspect

    named = plugin if isinstance(plugin, type) or inspect.isroutine(plugin) else type(plugin)
    qualname = str(getattr(named, "__qualname__", repr(named)))
    # Names defined inside a function read better without the "<locals>" path.
    return qualname.rpartition("<locals>.")[2]


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
        budget: seconds each implementation of every hook may take (seed 004:
            0.1); a spec's own ``budget`` wins. ``None``: no budget, no timing.
        on_budget: over budget, ``"warn"`` (a ``BudgetWarning``, the default),
            ``"error"`` (``BudgetExceededError``, under the hook's error policy)
            or ``"veto"`` (intercept hooks; others raise).
        detect_reentry: raise ``ReentrancyError`` when a hook is called while
            it is already running on the same call stack (a spec's
            ``max_depth`` allows recursion on purpose). Costs a context-variable
            update per call, so it is off by default.

    Registering and unregistering is thread-safe, and never disturbs calls
    running in other threads: each call uses the caller compiled before it
    started.
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
        if on_budget not in ("warn", "error", "veto"):
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
        self._hooks: dict[str, HookCaller[..., Any]] = {}
        self._plugins: dict[str, PluginInfo] = {}
        self._pending: dict[str, list[HookImpl]] = {}
        self._blocked: set[str] = set()
        self._seq = 0
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

        Monitored hooks are recompiled with instrumentation; hooks without
        monitors (or guardrails) keep their plain callers.
        """
        selected = None if hooks is None else frozenset(hooks)
        with self._lock:
            self._monitors.append((monitor, selected))
            self._refresh_hooks(selected)

        def remove() -> None:
            self.remove_monitor(monitor)

        return remove

    def remove_monitor(self, monitor: Monitor) -> None:
        """Stop calling a monitor; removing one that is not there does nothing."""
        with self._lock:
            kept = [(m, hooks) for m, hooks in self._monitors if m is not monitor]
            removed = [hooks for m, hooks in self._monitors if m is monitor]
            self._monitors = kept
            for hooks in removed:
                self._refresh_hooks(hooks)

    def _refresh_hooks(self, hooks: frozenset[str] | None) -> None:
        for name, caller in self._hooks.items():
            if hooks is None or name in hooks:
                caller._refresh()

    def _instrumentation(self, spec: HookSpec[..., Any]) -> Instrumentation | None:
        monitors = tuple(m for m, hooks in self._monitors if hooks is None or spec.name in hooks)
        if not monitors and self.budget is None and not self.detect_reentry and not spec.instrumented:
            return None  # the common case, decided without importing the guardrails
        from hookwise._guardrails import Instrumentation

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
        """Declare a hook by name and parameter names (seed 004's string hook points).

        ``options`` are the guardrails of :func:`hookspec`: ``budget``, ``on_budget``,
        ``strict``, ``max_depth``.

        Example::

            manager.add_spec("todos.before_complete_task", ["task_id", "owner_id", "actor_id"], kind="intercept")

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
        existing = self._hooks.get(spec.name)
        if existing is not None:
            if not existing.spec.same_shape(spec):
                msg = (
                    f"hook {spec.name!r} is already declared as {existing.spec.signature_text()} "
                    f"(kind {existing.spec.kind}, policy {existing.spec.policy}); the new declaration "
                    f"{spec.signature_text()} (kind {spec.kind}, policy {spec.policy}) differs"
                )
                raise SpecError(msg, hook=spec.name)
            existing._attrs.add(spec.attribute)
            existing._set(existing._fn)
            return existing.spec
        pending = self._pending.get(spec.name, [])
        for impl in pending:
            validate(impl, spec)
        caller: HookCaller[..., Any] = HookCaller(self, spec)
        plan = caller._plan(list(pending))
        self._hooks[spec.name] = caller
        caller._attrs.add(spec.attribute)
        caller._install(plan)
        self._pending.pop(spec.name, None)
        return spec

    # -- registration ------------------------------------------------------
    @overload
    def register(self, plugin: object, /, *, name: str | None = None, source: str = "code") -> str | None: ...
    @overload
    def register(
        self,
        hook: str,
        handler: Callable[..., Any],
        /,
        *,
        name: str | None = None,
        priority: int = 0,
        tryfirst: bool = False,
        trylast: bool = False,
        before: str | Sequence[str] = (),
        after: str | Sequence[str] = (),
        source: str = "code",
    ) -> str | None: ...
    def register(
        self,
        plugin: object,
        handler: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        priority: int = 0,
        tryfirst: bool = False,
        trylast: bool = False,
        before: str | Sequence[str] = (),
        after: str | Sequence[str] = (),
        source: str = "code",
    ) -> str | None:
        """Register a plugin, or a single handler for a hook by name.

        ``register(plugin)`` registers every method or function of ``plugin``
        marked with :func:`hookimpl`. ``register("hook.name", handler,
        priority=10)`` registers one handler that receives the call's
        arguments as one read-only mapping, the *context* (seed 004's
        handlers).

        Args:
            name: the plugin's unique name; by default a module's name, a
                class's or function's qualified name, or an instance's class name.
            priority, tryfirst, trylast, before, after: ordering options of a handler.
            source: where the plugin came from, for ``inspect`` (``"code"``).

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
            options = ImplOptions(priority=priority, tryfirst=tryfirst, trylast=trylast, before=before, after=after)
            found: list[tuple[str, ImplOptions, Callable[..., Any], Style]] = [(plugin, options, handler, "context")]
            plugin_name = name or _default_name(handler)
            obj: object = handler
        else:
            if handler is not None:
                msg = f"register(plugin, handler): the first argument must be a hook name, not {plugin!r}"
                raise TypeError(msg)
            plugin_name = name or _default_name(plugin)
            obj = plugin
            found = [(o.specname or attr, o, fn, "params") for attr, o, fn in self._scan(plugin, plugin_name)]
        return self._register_found(obj, plugin_name, found, source)

    def _register_found(
        self,
        plugin: object,
        plugin_name: str,
        found: Sequence[tuple[str, ImplOptions, Callable[..., Any], Style]],
        source: str,
    ) -> str | None:
        """Register a plugin's implementations: ``(hook, options, function, style)`` each."""
        with self._lock:
            if plugin_name in self._blocked:
                return None
            self._check_new(plugin_name, plugin)
            impls = [
                self._make_impl(plugin_name, plugin, fn, hook=hook, options=opts, style=style)
                for hook, opts, fn, style in found
            ]
            self._commit(PluginInfo(plugin_name, plugin, tuple(impls), source))
        return plugin_name

    def _check_new(self, name: str, plugin: object) -> None:
        if name in self._plugins:
            msg = f"a plugin named {name!r} is already registered; pass name= to register another"
            raise RegistrationError(msg, plugin=name)
        for info in self._plugins.values():
            if info.plugin is plugin:
                msg = f"plugin {name!r} is already registered, as {info.name!r}"
                raise RegistrationError(msg, plugin=name)

    def _scan(self, plugin: object, plugin_name: str) -> Iterator[tuple[str, ImplOptions, Callable[..., Any]]]:
        import inspect

        for attr in dir(plugin):
            try:
                raw = inspect.getattr_static(plugin, attr)
            except AttributeError:  # pragma: no cover - dynamic attributes
                continue
            options = impl_options(raw)
            if options is None:
                continue
            if isinstance(plugin, type) and inspect.isfunction(raw):
                msg = (
                    f"plugin {plugin_name!r} is a class, and its hook implementation {attr!r} is an "
                    f"instance method; register an instance, {plugin.__qualname__}(), or make it a staticmethod"
                )
                raise PluginValidationError(msg, plugin=plugin_name, hook=options.specname or attr)
            yield attr, options, getattr(plugin, attr)

    def _make_impl(
        self, plugin_name: str, plugin: object, fn: Callable[..., Any], *, hook: str, options: ImplOptions, style: Style
    ) -> HookImpl:
        self._seq += 1
        impl = HookImpl(plugin_name, plugin, fn, hook, options, seq=self._seq, style=style)
        caller = self._hooks.get(hook)
        if caller is not None:
            validate(impl, caller.spec)
        elif not options.optional:
            hint = _suggest(hook, self._hooks)
            known = ", ".join(sorted(self._hooks)) or "none"
            msg = (
                f"plugin {plugin_name!r}: {impl.qualname} implements hook {hook!r}, which has no spec{hint} "
                f"(known hooks: {known}); mark it @hookimpl(optional=True) if the hook may not exist"
            )
            raise PluginValidationError(msg, plugin=plugin_name, hook=hook)
        return impl

    def _commit(self, info: PluginInfo) -> None:
        by_hook: dict[str, list[HookImpl]] = {}
        for impl in info.impls:
            by_hook.setdefault(impl.hook, []).append(impl)
        plans: dict[str, _Plan] = {}
        for hook, added in by_hook.items():
            caller = self._hooks.get(hook)
            if caller is not None:
                caller._check_replayable(added)
                plans[hook] = caller._plan([*caller._impls, *added], added)
        # Every check passed: nothing below raises before the plugin is in.
        self._plugins[info.name] = info
        for hook, added in by_hook.items():
            if hook in plans:
                self._hooks[hook]._install(plans[hook])
            else:
                self._pending.setdefault(hook, []).extend(added)
        for hook, added in by_hook.items():
            if hook in plans:
                self._hooks[hook]._replay(added)

    def unregister(self, plugin: object) -> object:
        """Unregister a plugin, given by name or as the object; return the plugin object.

        Raises:
            RegistrationError: no such plugin is registered.
        """
        with self._lock:
            info = self._find(plugin)
            if info is None:
                what = repr(plugin) if isinstance(plugin, str) else f"object {plugin!r}"
                msg = f"cannot unregister {what}: no plugin of that name or identity is registered"
                raise RegistrationError(msg, plugin=plugin if isinstance(plugin, str) else _default_name(plugin))
            self._remove(info)
            return info.plugin

    def _find(self, plugin: object) -> PluginInfo | None:
        if isinstance(plugin, str):
            return self._plugins.get(plugin)
        for info in self._plugins.values():
            if info.plugin is plugin:
                return info
        return None

    def _remove(self, info: PluginInfo) -> None:
        del self._plugins[info.name]
        hooks = {impl.hook for impl in info.impls}
        for hook in hooks:
            caller = self._hooks.get(hook)
            if caller is None:
                self._pending[hook] = [i for i in self._pending.get(hook, []) if i.plugin_name != info.name]
                continue
            impls = [i for i in caller._impls if i.plugin_name != info.name]
            caller._install(caller._plan(impls))

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
            if name in self._blocked:
                self._blocked.discard(name)
                return True
            return False

    def is_blocked(self, name: str) -> bool:
        """Whether the plugin name is blocked."""
        return name in self._blocked

    @property
    def blocked(self) -> list[str]:
        """The blocked plugin names, sorted."""
        return sorted(self._blocked)

    # -- introspection -----------------------------------------------------
    @property
    def plugins(self) -> Mapping[str, object]:
        """Registered plugins by name, in registration order (a snapshot)."""
        return types.MappingProxyType({name: info.plugin for name, info in self._plugins.items()})

    def plugin_info(self, name: str) -> PluginInfo:
        """The registration record of a plugin.

        Raises:
            RegistrationError: no plugin of that name is registered.
        """
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

    def is_registered(self, plugin: object) -> bool:
        """Whether a plugin (by name or object) is registered."""
        return self._find(plugin) is not None

    @property
    def hook_names(self) -> list[str]:
        """Every declared hook's name, in declaration order."""
        return list(self._hooks)

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
        caller = self._hooks.get(name)
        if caller is None:
            hint = _suggest(name, self._hooks)
            msg = f"no hook named {name!r} is declared{hint} (declared: {', '.join(self._hooks) or 'none'})"
            raise HookCallError(msg, hook=name)
        return caller

    def explain(self, hook: HookSpec[Any, Any] | str) -> Explanation:
        """The effective order of a hook's implementations with the reason for each position."""
        return self.hook(hook).explain()

    # -- seed 004's dispatcher ---------------------------------------------
    def dispatch(self, hook: str, context: Mapping[str, Any]) -> DispatchResult:
        """Dispatch an intercept or observe hook with its arguments in one mapping (seed 004).

        Example::

            result = manager.dispatch("todos.before_complete_task", {"task_id": t, "owner_id": o, "actor_id": a})
            if result.vetoed:
                raise OperationVetoed(result.reason)

        Returns:
            the intercept hook's result; for an observe hook, an allowed
            result holding the arguments.

        Raises:
            HookCallError: unknown hook, a collect or first hook, or a context
                whose keys do not match the hook's parameters.
        """
        caller = self._dispatchable(hook, context)
        result = caller._fn(**context)
        return self._dispatched(caller, context, result)

    async def adispatch(self, hook: str, context: Mapping[str, Any]) -> DispatchResult:
        """:meth:`dispatch`, awaited: async handlers are awaited.

        Raises:
            HookCallError: as :meth:`dispatch`.
        """
        caller = self._dispatchable(hook, context)
        result = await caller._afn(**context)
        return self._dispatched(caller, context, result)

    def _dispatchable(self, hook: str, context: Mapping[str, Any]) -> HookCaller[..., Any]:
        caller = self.hook(hook)
        spec = caller.spec
        if spec.kind not in ("intercept", "observe"):
            msg = (
                f"dispatch() calls intercept and observe hooks; {hook!r} is a {spec.kind} hook: "
                f"call manager.hook({hook!r})(**context)"
            )
            raise HookCallError(msg, hook=hook)
        names = spec.param_names
        if set(context) != set(names):
            unknown = sorted(set(context) - set(names))
            missing = [p.name for p in spec.params if p.required and p.name not in context]
            if unknown or missing:
                problems: list[str] = []
                if unknown:
                    problems.append(f"unknown keys {unknown}")
                if missing:
                    problems.append(f"missing keys {missing}")
                msg = f"dispatch of {spec.signature_text()}: the context has {' and '.join(problems)}"
                raise HookCallError(msg, hook=hook)
        return caller

    @staticmethod
    def _dispatched(caller: HookCaller[..., Any], context: Mapping[str, Any], result: Any) -> DispatchResult:
        if caller.spec.kind == "observe":
            return DispatchResult(caller.name, types.MappingProxyType(dict(context)))
        return cast("DispatchResult", result)

    def __repr__(self) -> str:
        return f"<HookManager hooks={len(self._hooks)} plugins={list(self._plugins)} order={self.order}>"
