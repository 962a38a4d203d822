"""pluggy's plugin manager, on hookwise hook callers and engines."""

from __future__ import annotations

import inspect
import warnings
from _thread import RLock
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

from hookwise import HookSpec as EngineSpec
from hookwise._engine import HookEngine, Instrumentation
from hookwise.compat.pluggy._callers import COMPILE_AFTER, PLUGGY, engine_spec, multicall
from hookwise.compat.pluggy._hooks import (
    HookCaller,
    HookExec,
    HookImpl,
    HookimplOpts,
    HookRelay,
    HookspecOpts,
    Namespace,
    SubsetHookCaller,
    normalize_hookimpl_opts,
)
from hookwise.compat.pluggy._route import AfterTrace, BeforeTrace, HookcallMonitor, Impls, Route, monitoring
from hookwise.compat.pluggy._tracing import TagTracer, TagTracerSub

if TYPE_CHECKING:
    import importlib.metadata

    from hookwise import Monitor, OnBudget

from hookwise._guardrails import hidden_from_pytest

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's


class PluginValidationError(Exception):
    """A plugin failed validation.

    Attributes:
        plugin: the plugin which failed validation.
    """

    def __init__(self, plugin: object, message: str) -> None:
        super().__init__(message)
        self.plugin = plugin


class DistFacade:
    """Emulate a pkg_resources Distribution."""

    def __init__(self, dist: importlib.metadata.Distribution) -> None:
        self._dist = dist

    @property
    def project_name(self) -> str:
        """The distribution's name."""
        name: str = self.metadata["name"]
        return name

    def __getattr__(self, attr: str, default: Any | None = None) -> Any:
        return getattr(self._dist, attr, default)

    def __dir__(self) -> list[str]:
        return sorted([*dir(self._dist), "_dist", "project_name"])


def _formatdef(func: Callable[..., object]) -> str:
    return f"{func.__name__}{inspect.signature(func)}"


class PluginManager:
    """Core class which manages registration of plugin objects and 1:N hook calling.

    Args:
        project_name: the short project name, matching the markers' (``HookimplMarker(project_name)``).
    """

    def __init__(
        self,
        project_name: str,
        *,
        budget: float | None = None,
        on_budget: OnBudget = "warn",
        detect_reentry: bool = False,
    ) -> None:
        self.project_name: Final = project_name
        self._name2plugin: dict[str, object | None] = {}
        self._plugin_distinfo: list[tuple[object, DistFacade]] = []
        self.hook: Final = HookRelay()
        self.trace: Final[TagTracerSub] = TagTracer().get("pluginmanage")
        self._lock = RLock()
        self._route = Route(self._lock, self._make_engine)
        self._monitors: dict[
            HookExec, tuple[HookcallMonitor, HookExec]
        ] = {}  # add_hookcall_monitoring's: what each wraps
        self._engines: list[HookEngine] = []
        self._instrument = self._instrumentation  # one bound method for every engine, not one each
        self._hookwise_monitors: list[tuple[Monitor, frozenset[str] | None]] = []
        self._budget = budget
        self._on_budget: OnBudget = on_budget
        self._detect_reentry = detect_reentry
        self._inner: HookExec = self._execute

    # -- execution ------------------------------------------------------------------------
    @property
    def _inner_hookexec(self) -> HookExec:
        """What runs a hook call: the engine, or what hookcall monitoring wrapped around it."""
        return self._inner

    @_inner_hookexec.setter
    def _inner_hookexec(self, value: HookExec) -> None:
        with self._lock:
            self._inner = value
            monitor, inner = self._monitors.get(value, (None, None))
            # hook callers skip hook_execute when nothing wraps it, and run one monitor of ours in place
            self._route.set_direct(value == self._execute, monitor if inner == self._execute else None)

    def _hookexec(
        self, hook_name: str, methods: Sequence[HookImpl], kwargs: Mapping[str, object], firstresult: bool
    ) -> object | list[object]:
        return self._inner(hook_name, methods, kwargs, firstresult)

    def _execute(
        self, hook_name: str, methods: Sequence[HookImpl], kwargs: Mapping[str, object], firstresult: bool
    ) -> object | list[object]:
        """The default executor: a hook caller's own implementations run its engine's caller; other lists run once."""
        if type(methods) is not Impls:  # a list of the host's making: called once
            return multicall(hook_name, methods, kwargs, firstresult, self._instrumentation)
        if methods.engine is not None:  # a hook caller's own implementations
            return methods.engine.function(**kwargs)  # type: ignore[no-any-return]
        run = methods.run
        if run is None or methods.generation != self._route.generation:  # call_extra's, made once per generation
            run = methods.prepare(hook_name, firstresult, self._instrumentation, self._route.generation)
        methods.check(kwargs)
        return run(**kwargs)  # type: ignore[no-any-return]

    def _new_hook(
        self, name: str, specmodule_or_class: Namespace | None = None, spec_opts: HookspecOpts | None = None
    ) -> HookCaller:
        return HookCaller(name, self._hookexec, specmodule_or_class, spec_opts, route=self._route)

    def _make_engine(self, name: str) -> HookEngine:
        """A hook's engine, made at its first call (under the lock): hooks never called cost no engine."""
        engine = HookEngine(
            engine_spec(name, [], firstresult=False),
            order="lifo",
            lock=self._lock,
            instrument=self._instrument,
            dialect=PLUGGY,
            compile_after=COMPILE_AFTER,
        )
        self._engines.append(engine)
        return engine

    # -- hookwise's monitors and guardrails, on pluggy hooks ----------------------------------
    def add_monitor(self, monitor: Monitor, *, hooks: Iterable[str] | None = None) -> Callable[[], None]:
        """hookwise: call ``monitor`` with a ``TraceEvent`` around each hook call and implementation.

        The same monitors as ``hookwise.HookManager.add_monitor`` (``TraceRecorder``,
        ``HookStats``, ``OpenTelemetryMonitor``); returns a function that removes it.
        """
        selected = None if hooks is None else frozenset(hooks)
        with self._lock:
            self._hookwise_monitors.append((monitor, selected))
            self._refresh()

        def remove() -> None:
            self.remove_monitor(monitor)

        return remove

    def remove_monitor(self, monitor: Monitor) -> None:
        """hookwise: stop calling a monitor added with :meth:`add_monitor`."""
        with self._lock:
            self._hookwise_monitors = [(m, hooks) for m, hooks in self._hookwise_monitors if m != monitor]
            self._refresh()

    def _refresh(self) -> None:
        self._route.generation += 1  # what call_extra made for the old monitors is made again
        for engine in self._engines:
            engine.refresh()
        for caller in self._route.callers:
            caller.rerouted(self._route)  # a compiled front calls what the engines had

    def _instrumentation(self, spec: EngineSpec[..., Any]) -> Instrumentation | None:
        monitors = [m for m, hooks in self._hookwise_monitors if hooks is None or spec.name in hooks]
        return Instrumentation.for_hook(
            spec, monitors, budget=self._budget, on_budget=self._on_budget, detect_reentry=self._detect_reentry
        )

    # -- registration -----------------------------------------------------------
    def register(self, plugin: object, name: str | None = None) -> str | None:
        """Register a plugin and return its name (``None`` if the name is blocked).

        Raises:
            ValueError: the name or the plugin is already registered.
            PluginValidationError: an implementation does not fit its spec.
        """
        plugin_name = name or self.get_canonical_name(plugin)
        if plugin_name in self._name2plugin:
            if self._name2plugin.get(plugin_name, -1) is None:
                return None
            msg = f"Plugin name already registered: {plugin_name}={plugin}\n{self._name2plugin}"
            raise ValueError(msg)
        if plugin in self._name2plugin.values():
            msg = f"Plugin already registered under a different name: {plugin_name}={plugin}\n{self._name2plugin}"
            raise ValueError(msg)
        found: list[tuple[str, HookImpl]] = []
        for attribute in dir(plugin):
            opts = self.parse_hookimpl_opts(plugin, attribute)
            if opts is None:
                continue
            normalize_hookimpl_opts(opts)
            hookimpl = HookImpl(plugin, plugin_name, getattr(plugin, attribute), opts)
            hook_name = opts.get("specname") or attribute
            hook: HookCaller | None = getattr(self.hook, hook_name, None)
            if hook is not None and hook.has_spec():
                self._verify_hook(hook, hookimpl)
            found.append((hook_name, hookimpl))
        # Every check passed: register (hookwise does not leave a half-registered plugin behind).
        self._name2plugin[plugin_name] = plugin
        for hook_name, hookimpl in found:
            hook = getattr(self.hook, hook_name, None)
            if hook is None:
                hook = self._new_hook(hook_name)
                setattr(self.hook, hook_name, hook)
            elif hook.has_spec():
                hook._maybe_apply_history(hookimpl)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - pluggy's own protocol between manager and hooks
            hook._add_hookimpl(hookimpl)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - pluggy's own protocol between manager and hooks
        return plugin_name

    def parse_hookimpl_opts(self, plugin: object, name: str) -> HookimplOpts | None:
        """The hookimpl options of ``plugin.name``, or None to skip it (override to customize)."""
        method: object = getattr(plugin, name)
        if not inspect.isroutine(method):
            return None
        try:
            res: object = getattr(method, self.project_name + "_impl", None)
        except Exception:  # noqa: BLE001  # pragma: no cover - an attribute that fails to read, as pluggy tolerates
            res = {}
        return cast("HookimplOpts", res) if isinstance(res, dict) else None

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any | None:
        """Unregister a plugin (by object or name) and its implementations; return it, or None if unknown."""
        if name is None:
            if plugin is None:
                msg = "one of name or plugin needs to be specified"
                raise AssertionError(msg)
            name = self.get_name(plugin)
            if name is None:
                msg = "plugin is not registered"
                raise AssertionError(msg)
        if plugin is None:
            plugin = self.get_plugin(name)
            if plugin is None:
                return None
        for hookcaller in self.get_hookcallers(plugin) or ():
            hookcaller._remove_plugin(plugin)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - pluggy's own protocol between manager and hooks
        if self._name2plugin.get(name):
            del self._name2plugin[name]
        return plugin

    def set_blocked(self, name: str) -> None:
        """Block registrations of the given name; unregister it if registered."""
        self.unregister(name=name)
        self._name2plugin[name] = None

    def is_blocked(self, name: str) -> bool:
        """Whether the name is blocked."""
        return name in self._name2plugin and self._name2plugin[name] is None

    def unblock(self, name: str) -> bool:
        """Unblock a name; return whether it was blocked."""
        if self._name2plugin.get(name, -1) is None:
            del self._name2plugin[name]
            return True
        return False

    # -- specs ---------------------------------------------------------------------
    def add_hookspecs(self, module_or_class: Namespace) -> None:
        """Add the hook specifications marked in ``module_or_class``.

        Raises:
            ValueError: it has none, or one is already specified.
            PluginValidationError: an implementation registered earlier does not fit.
        """
        names: list[str] = []
        for name in dir(module_or_class):
            spec_opts = self.parse_hookspec_opts(module_or_class, name)
            if spec_opts is None:
                continue
            hook: HookCaller | None = getattr(self.hook, name, None)
            if hook is None:
                setattr(self.hook, name, self._new_hook(name, module_or_class, spec_opts))
            else:
                hook.set_specification(module_or_class, spec_opts)
                for hookfunction in hook.get_hookimpls():
                    self._verify_hook(hook, hookfunction)
            names.append(name)
        if not names:
            msg = f"did not find any {self.project_name!r} hooks in {module_or_class!r}"
            raise ValueError(msg)

    def parse_hookspec_opts(self, module_or_class: Namespace, name: str) -> HookspecOpts | None:
        """The hookspec options of ``module_or_class.name``, or None (override to customize)."""
        method = getattr(module_or_class, name)
        opts: HookspecOpts | None = getattr(method, self.project_name + "_spec", None)
        return opts

    def _verify_hook(self, hook: HookCaller, hookimpl: HookImpl) -> None:
        if hook.is_historic() and (hookimpl.hookwrapper or hookimpl.wrapper):
            raise PluginValidationError(
                hookimpl.plugin,
                f"Plugin {hookimpl.plugin_name!r}\nhook {hook.name!r}\n"
                "historic incompatible with yield/wrapper/hookwrapper",
            )
        spec = hook.spec
        if spec is None:  # pragma: no cover - only hooks with specs are verified
            return
        if spec.warn_on_impl:
            _warn_for_function(spec.warn_on_impl, hookimpl.function)
        notinspec = set(hookimpl.argnames) - set(spec.argnames)
        if notinspec:
            raise PluginValidationError(
                hookimpl.plugin,
                f"Plugin {hookimpl.plugin_name!r} for hook {hook.name!r}\n"
                f"hookimpl definition: {_formatdef(hookimpl.function)}\n"
                f"Argument(s) {notinspec} are declared in the hookimpl but can not be found in the hookspec",
            )
        if spec.warn_on_impl_args:
            for argname in hookimpl.argnames:
                warning = spec.warn_on_impl_args.get(argname)
                if warning is not None:
                    _warn_for_function(warning, hookimpl.function)
        if (hookimpl.wrapper or hookimpl.hookwrapper) and not inspect.isgeneratorfunction(hookimpl.function):
            raise PluginValidationError(
                hookimpl.plugin,
                f"Plugin {hookimpl.plugin_name!r} for hook {hook.name!r}\n"
                f"hookimpl definition: {_formatdef(hookimpl.function)}\n"
                "Declared as wrapper=True or hookwrapper=True but function is not a generator function",
            )
        if hookimpl.wrapper and hookimpl.hookwrapper:
            raise PluginValidationError(
                hookimpl.plugin,
                f"Plugin {hookimpl.plugin_name!r} for hook {hook.name!r}\n"
                f"hookimpl definition: {_formatdef(hookimpl.function)}\n"
                "The wrapper=True and hookwrapper=True options are mutually exclusive",
            )

    def check_pending(self) -> None:
        """Raise :class:`PluginValidationError` for implementations of unknown hooks not marked optional."""
        for name in self.hook.__dict__:
            if name[0] == "_":
                continue
            hook: HookCaller = getattr(self.hook, name)
            if not hook.has_spec():
                for hookimpl in hook.get_hookimpls():
                    if not hookimpl.optionalhook:
                        raise PluginValidationError(
                            hookimpl.plugin, f"unknown hook {name!r} in plugin {hookimpl.plugin!r}"
                        )

    # -- discovery ---------------------------------------------------------------------
    def load_setuptools_entrypoints(self, group: str, name: str | None = None) -> int:
        """Register the plugins of an entry-point group (only ``name``, if given); return how many."""
        import importlib.metadata

        count = 0
        for dist in list(importlib.metadata.distributions()):
            for entry_point in dist.entry_points:
                if (
                    entry_point.group != group
                    or (name is not None and entry_point.name != name)
                    or self.get_plugin(entry_point.name)
                    or self.is_blocked(entry_point.name)
                ):
                    continue
                plugin = entry_point.load()
                self.register(plugin, name=entry_point.name)
                self._plugin_distinfo.append((plugin, DistFacade(dist)))
                count += 1
        return count

    def list_plugin_distinfo(self) -> list[tuple[object, DistFacade]]:
        """``(plugin, distinfo)`` pairs of the plugins loaded from entry points."""
        return list(self._plugin_distinfo)

    def list_name_plugin(self) -> list[tuple[str, object]]:
        """``(name, plugin)`` pairs of every registered (or blocked: ``None``) name."""
        return list(self._name2plugin.items())

    # -- lookups -----------------------------------------------------------------------
    def get_plugins(self) -> set[Any]:
        """Every registered plugin object."""
        return {plugin for plugin in self._name2plugin.values() if plugin is not None}

    def is_registered(self, plugin: object) -> bool:
        """Whether the plugin is registered."""
        return any(plugin == value for value in self._name2plugin.values())

    def get_canonical_name(self, plugin: object) -> str:
        """The plugin's ``__name__``, or its ``id()`` as a string."""
        name: str | None = getattr(plugin, "__name__", None)
        return name or str(id(plugin))

    def get_plugin(self, name: str) -> Any | None:
        """The plugin registered under ``name``, or None."""
        return self._name2plugin.get(name)

    def has_plugin(self, name: str) -> bool:
        """Whether a plugin is registered under ``name``."""
        return self.get_plugin(name) is not None

    def get_name(self, plugin: object) -> str | None:
        """The name the plugin is registered under, or None."""
        for name, value in self._name2plugin.items():
            if plugin == value:
                return name
        return None

    def get_hookcallers(self, plugin: object) -> list[HookCaller] | None:
        """The hook callers with implementations from ``plugin``, or None if it is not registered."""
        if self.get_name(plugin) is None:
            return None
        return [
            caller
            for caller in self.hook.__dict__.values()
            if any(impl.plugin is plugin for impl in caller.get_hookimpls())
        ]

    # -- monitoring ----------------------------------------------------------------------
    def add_hookcall_monitoring(self, before: BeforeTrace, after: AfterTrace) -> Callable[[], None]:
        """Call ``before(hook_name, hook_impls, kwargs)`` and ``after(outcome, hook_name, hook_impls, kwargs)``
        around every hook call; return a function that removes them again."""
        oldcall = self._inner_hookexec
        traced_hookexec = monitoring((before, after), oldcall)
        self._monitors[traced_hookexec] = ((before, after), oldcall)
        self._inner_hookexec = traced_hookexec

        def undo() -> None:
            self._inner_hookexec = oldcall
            self._monitors.pop(traced_hookexec, None)

        return undo

    def enable_tracing(self) -> Callable[[], None]:
        """Trace hook calls to ``self.trace.root`` (its ``"hook"`` tag); return an undo function."""
        return self.add_hookcall_monitoring(*self.trace.root.hook_monitor())

    def subset_hook_caller(self, name: str, remove_plugins: Iterable[object]) -> HookCaller:
        """A caller of hook ``name`` that leaves out the given plugins' implementations (it follows later changes)."""
        orig: HookCaller = getattr(self.hook, name)
        plugins_to_remove = {plugin for plugin in remove_plugins if hasattr(plugin, name)}
        if plugins_to_remove:
            return SubsetHookCaller(orig, plugins_to_remove)
        return orig


def _warn_for_function(warning: Warning, function: Callable[..., object]) -> None:
    code = function.__code__
    warnings.warn_explicit(warning, type(warning), lineno=code.co_firstlineno, filename=code.co_filename)
