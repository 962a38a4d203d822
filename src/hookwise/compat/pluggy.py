"""pluggy's public API on the hookwise engine.

Hosts and plugins written for pluggy move to hookwise by changing one import::

    import pluggy                             # before
    from hookwise.compat import pluggy        # after

Markers, the plugin manager, hook callers, results, wrappers (new- and
old-style), historic hooks, ``call_extra``, subset callers, monitoring and
tracing behave as pluggy 1.6 documents them, with the same exception types and
messages. Each hook's implementations are called by a hookwise compiled
caller, in pluggy's order (last registered first, tryfirst and trylast
bands, wrappers around them). Differences are listed in the migration guide
(``docs/migrating-from-pluggy.md``).
"""

from __future__ import annotations

# pyright: reportPrivateUsage=false
# The manager and its hook callers are one unit, as in pluggy.
import inspect
import itertools
import warnings
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, Final, cast, final

from hookwise._dispatch import build_caller
from hookwise._impl import HookImpl as _EngineImpl
from hookwise._impl import ImplOptions
from hookwise._order import sort_impls
from hookwise._spec import HookSpec as _EngineSpec
from hookwise._spec import Param
from hookwise.compat._pluggy_support import (
    HookCallError,
    HookimplMarker,
    HookimplOpts,
    HookspecMarker,
    HookspecOpts,
    PluggyTeardownRaisedWarning,
    PluggyWarning,
    PluginValidationError,
    Result,
    TagTracer,
    TagTracerSub,
    normalize_hookimpl_opts,
    varnames,
)

if TYPE_CHECKING:
    import importlib.metadata

__all__ = [
    "HookCallError",
    "HookCaller",
    "HookImpl",
    "HookRelay",
    "HookimplMarker",
    "HookimplOpts",
    "HookspecMarker",
    "HookspecOpts",
    "PluggyTeardownRaisedWarning",
    "PluggyWarning",
    "PluginManager",
    "PluginValidationError",
    "Result",
    "__version__",
]

__version__ = "1.6.0"
"""The version of pluggy's API this layer offers."""

_Namespace = Any  # a module or a class
_BeforeTrace = Callable[[str, Sequence["HookImpl"], Mapping[str, object]], None]
_AfterTrace = Callable[[Result[Any], str, Sequence["HookImpl"], Mapping[str, object]], None]
_MISSING: Final = object()
"""The default of every parameter of the compiled caller: pluggy lets a call leave out arguments no
implementation takes (with a warning); implementations that take one are checked before the call."""
_seq = itertools.count(1)
_HISTORIC_CALL: Final = "Cannot directly call a historic hook - use call_historic instead."


def _wrapfail(generator: Any, message: str) -> RuntimeError:
    code = generator.gi_code
    return RuntimeError(f"wrap_controller at {code.co_name!r} {code.co_filename}:{code.co_firstlineno} {message}")


def _old_style(function: Callable[..., Any], hook_name: str, plugin_name: str) -> Callable[..., Any]:
    """A new-style wrapper that runs an old-style hookwrapper, which receives a :class:`Result`."""

    def run(*args: Any) -> Generator[None, Any, Any]:
        teardown = function(*args)
        try:
            next(teardown)
        except StopIteration:
            raise _wrapfail(teardown, "did not yield") from None
        try:
            result: Result[Any] = Result((yield), None)
        except BaseException as error:  # noqa: BLE001 - handed to the old-style wrapper, as pluggy does
            result = Result(None, error)
        try:
            teardown.send(result)
        except StopIteration:
            pass
        except BaseException as error:
            message = (
                "A plugin raised an exception during an old-style hookwrapper teardown.\n"
                f"Plugin: {plugin_name}, Hook: {hook_name}\n{type(error).__name__}: {error}\n"
                "For more information see "
                "https://pluggy.readthedocs.io/en/stable/api_reference.html#pluggy.PluggyTeardownRaisedWarning"
            )
            warnings.warn(PluggyTeardownRaisedWarning(message), stacklevel=6)
            raise
        else:
            raise _wrapfail(teardown, "has second yield")
        finally:
            teardown.close()
        return result.get_result()

    return run


@final
class HookImpl:
    """A hook implementation in a :class:`HookCaller`."""

    __slots__ = (
        "_engine",
        "argnames",
        "function",
        "hookwrapper",
        "kwargnames",
        "optionalhook",
        "opts",
        "plugin",
        "plugin_name",
        "tryfirst",
        "trylast",
        "wrapper",
    )

    def __init__(
        self, plugin: object, plugin_name: str, function: Callable[..., Any], hook_impl_opts: HookimplOpts
    ) -> None:
        self.function = function
        self.argnames, self.kwargnames = varnames(function)
        self.plugin = plugin
        self.opts = hook_impl_opts
        self.plugin_name = plugin_name
        self.wrapper = hook_impl_opts["wrapper"]
        self.hookwrapper = hook_impl_opts["hookwrapper"]
        self.optionalhook = hook_impl_opts["optionalhook"]
        self.tryfirst = hook_impl_opts["tryfirst"]
        self.trylast = hook_impl_opts["trylast"]
        self._engine: _EngineImpl | None = None

    def _as_engine(self, hook_name: str, seq: int) -> _EngineImpl:
        """This implementation for the hookwise engine, in pluggy's order.

        pluggy runs the last registered first, except in the trylast band,
        where the first registered runs first: a priority equal to the
        registration number gives that band its order.
        """
        if self._engine is None:
            wrapper = self.wrapper or self.hookwrapper
            function = _old_style(self.function, hook_name, self.plugin_name) if self.hookwrapper else self.function
            options = ImplOptions(
                priority=seq if self.trylast else 0, tryfirst=self.tryfirst, trylast=self.trylast, wrapper=wrapper
            )
            engine = _EngineImpl(self.plugin_name, self.plugin, function, hook_name, options, seq=seq)
            engine.argnames = self.argnames
            self._engine = engine
        return self._engine

    def __repr__(self) -> str:
        return f"<HookImpl plugin_name={self.plugin_name!r}, plugin={self.plugin!r}>"


@final
class HookSpec:
    """A hook specification: where it was declared and its options."""

    __slots__ = ("argnames", "function", "kwargnames", "name", "namespace", "opts", "warn_on_impl", "warn_on_impl_args")

    def __init__(self, namespace: _Namespace, name: str, opts: HookspecOpts) -> None:
        self.namespace = namespace
        self.function: Callable[..., object] = getattr(namespace, name)
        self.name = name
        self.argnames, self.kwargnames = varnames(self.function)
        self.opts = opts
        self.warn_on_impl = opts.get("warn_on_impl")
        self.warn_on_impl_args = opts.get("warn_on_impl_args")


@final
class HookRelay:
    """The object behind ``pm.hook``: one :class:`HookCaller` attribute per hook."""

    __slots__ = ("__dict__",)

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> HookCaller: ...


class HookCaller:
    """A caller of all registered implementations of a hook, through a hookwise compiled caller."""

    __slots__ = (
        "_call_history",
        "_compiled",
        "_hookimpls",
        "_manager",
        "_needed",
        "_required",
        "_version",
        "name",
        "spec",
    )

    def __init__(
        self,
        name: str,
        manager: PluginManager,
        specmodule_or_class: _Namespace | None = None,
        spec_opts: HookspecOpts | None = None,
    ) -> None:
        self.name: Final = name
        self._manager = manager
        self._hookimpls: list[tuple[int, HookImpl]] = []
        self._call_history: list[tuple[Mapping[str, object], Callable[[Any], None] | None]] | None = None
        self._compiled: Callable[..., Any] | None = None
        self._needed: AbstractSet[str] = frozenset()  # what the implementations take
        self._required: AbstractSet[str] = frozenset()  # that, and what the spec declares
        self._version = 0  # bumped by every change of implementations or spec
        self.spec: HookSpec | None = None
        if specmodule_or_class is not None:
            if spec_opts is None:
                msg = "spec_opts are needed with specmodule_or_class"
                raise AssertionError(msg)
            self.set_specification(specmodule_or_class, spec_opts)

    def has_spec(self) -> bool:
        """Whether the hook has a specification."""
        return self.spec is not None

    def set_specification(self, specmodule_or_class: _Namespace, spec_opts: HookspecOpts) -> None:
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

    def _changed(self) -> None:
        self._compiled = None
        self._version += 1

    def is_historic(self) -> bool:
        """Whether this caller is historic."""
        return self._call_history is not None

    def get_hookimpls(self) -> list[HookImpl]:
        """The registered implementations, in pluggy's order: plain ones, then wrappers, each last-called first."""
        ordered = self._ordered(self._hookimpls)
        plain = [impl for impl in ordered if not (impl.wrapper or impl.hookwrapper)]
        wrappers = [impl for impl in ordered if impl.wrapper or impl.hookwrapper]
        return [*reversed(plain), *reversed(wrappers)]

    def _ordered(self, hookimpls: Sequence[tuple[int, HookImpl]]) -> list[HookImpl]:
        """Call order: wrappers (outermost first), then plain implementations, as the engine sorts them."""
        engines = {impl._as_engine(self.name, seq): impl for seq, impl in hookimpls}
        plain = sort_impls(self.name, [e for e in engines if not e.wrapper], "lifo")
        wrappers = sort_impls(self.name, [e for e in engines if e.wrapper], "lifo")
        return [engines[engine] for engine in (*wrappers, *plain)]

    def _add_hookimpl(self, hookimpl: HookImpl) -> None:
        self._hookimpls.append((next(_seq), hookimpl))
        self._changed()

    def _remove_plugin(self, plugin: object) -> None:
        for index, (_, impl) in enumerate(self._hookimpls):
            if impl.plugin == plugin:
                del self._hookimpls[index]
                self._changed()
                return
        msg = f"plugin {plugin!r} not found"
        raise ValueError(msg)

    def _build(self, hookimpls: Sequence[tuple[int, HookImpl]]) -> tuple[Callable[..., Any], AbstractSet[str]]:
        """A compiled caller for these implementations, and the arguments they need."""
        ordered = self._ordered(hookimpls)
        names = list(self.spec.argnames) if self.spec is not None else []
        for impl in ordered:
            names.extend(name for name in impl.argnames if name not in names)
        firstresult = bool(self.spec and self.spec.opts.get("firstresult"))
        spec: _EngineSpec[..., Any] = _EngineSpec(
            self.name, [Param(name, default=_MISSING) for name in names], kind="first" if firstresult else "collect"
        )
        engines = [impl._engine for impl in ordered if impl._engine is not None]
        caller = build_caller(
            spec,
            [e for e in engines if not e.wrapper],
            [e for e in engines if e.wrapper],
            extra_kwargs=True,
            notes=False,
            wrapfail=lambda _wrapper, generator, message: _wrapfail(generator, message),
        )
        return caller, frozenset(name for impl in ordered for name in impl.argnames)

    def _caller(self) -> Callable[..., Any]:
        if self._compiled is None:
            self._compiled, self._needed = self._build(self._hookimpls)
            self._required = self._needed | set(self.spec.argnames if self.spec else ())
        return self._compiled

    def _verify_all_args_are_provided(self, kwargs: Mapping[str, object]) -> None:
        if self.spec is None:
            return
        missing = [name for name in self.spec.argnames if name not in kwargs]
        if missing:
            notincall = ", ".join(repr(name) for name in missing)
            warnings.warn(
                f"Argument(s) {notincall} which are declared in the hookspec cannot be found in this hook call",
                stacklevel=3,
            )

    def _check_needed(self, kwargs: Mapping[str, object], impls: Sequence[HookImpl]) -> None:
        """pluggy's error for an argument an implementation takes and the call leaves out."""
        for impl in impls:
            for name in impl.argnames:
                if name not in kwargs:
                    msg = f"hook call must provide argument {name!r}"
                    raise HookCallError(msg)

    def _execute(self, caller: Callable[..., Any], kwargs: Mapping[str, object]) -> Any:
        monitors = self._manager._monitors
        if not monitors:
            return caller(**kwargs)
        return self._manager._monitored(self, caller, kwargs)

    def __call__(self, **kwargs: object) -> Any:
        """Call the hook with keyword arguments; return the list of results (or the first, for firstresult hooks)."""
        if self._call_history is not None:
            raise AssertionError(_HISTORIC_CALL)
        caller = self._compiled
        if caller is None:
            caller = self._caller()
        if not kwargs.keys() >= self._required:
            self._verify_all_args_are_provided(kwargs)
            if not kwargs.keys() >= self._needed:
                self._check_needed(kwargs, self._call_order())
        if self._manager._monitors:
            return self._manager._monitored(self, caller, kwargs)
        return caller(**kwargs)

    def _call_order(self) -> list[HookImpl]:
        return list(reversed(self.get_hookimpls()))

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
        self._verify_all_args_are_provided(kwargs)
        self._call_history.append((kwargs, result_callback))
        caller = self._caller()
        if not kwargs.keys() >= self._needed:
            self._check_needed(kwargs, self._call_order())
        results: list[Any] = self._execute(caller, kwargs)
        if result_callback is not None:
            for result in results:
                result_callback(result)

    def call_extra(self, methods: Sequence[Callable[..., object]], kwargs: Mapping[str, object]) -> Any:
        """Call the hook with some additional, temporary implementations (run before the others)."""
        if self._call_history is not None:
            raise AssertionError(_HISTORIC_CALL)
        self._verify_all_args_are_provided(kwargs)
        opts: HookimplOpts = {
            "wrapper": False,
            "hookwrapper": False,
            "optionalhook": False,
            "trylast": False,
            "tryfirst": False,
            "specname": None,
        }
        extra = [(next(_seq), HookImpl(None, "<temp>", method, opts)) for method in methods]
        hookimpls = [*self._hookimpls, *extra]
        caller, _ = self._build(hookimpls)
        self._check_needed(kwargs, list(reversed([impl for impl in self._ordered(hookimpls) if not impl.wrapper])))
        return self._execute(caller, kwargs)

    def _maybe_apply_history(self, method: HookImpl) -> None:
        if self._call_history is None:
            return
        for kwargs, result_callback in self._call_history:
            self._check_needed(kwargs, [method])
            result = method.function(*(kwargs[name] for name in method.argnames))
            if result is not None and result_callback is not None:
                result_callback(result)

    def __repr__(self) -> str:
        return f"<HookCaller {self.name!r}>"


class _SubsetHookCaller(HookCaller):
    """A proxy to another HookCaller that calls every implementation except the given plugins'."""

    __slots__ = ("_orig", "_remove_plugins", "_seen")

    def __init__(self, orig: HookCaller, remove_plugins: AbstractSet[object]) -> None:
        super().__init__(orig.name, orig._manager)
        self._orig = orig
        self._remove_plugins = remove_plugins
        self._seen = -1  # the original's version this caller was built for
        self.spec = orig.spec
        self._call_history = orig._call_history

    def _sync(self) -> None:
        if self._seen != self._orig._version:
            self._hookimpls = [(s, i) for s, i in self._orig._hookimpls if i.plugin not in self._remove_plugins]
            self.spec = self._orig.spec
            self._compiled = None
            self._seen = self._orig._version

    def _caller(self) -> Callable[..., Any]:
        self._sync()
        return super()._caller()

    def __call__(self, **kwargs: object) -> Any:
        """Call the hook, leaving out the removed plugins' implementations."""
        self._sync()
        return super().__call__(**kwargs)

    def get_hookimpls(self) -> list[HookImpl]:
        """The original's implementations, without the removed plugins'."""
        self._sync()
        return super().get_hookimpls()

    def __repr__(self) -> str:
        return f"<_SubsetHookCaller {self.name!r}>"


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

    def __init__(self, project_name: str) -> None:
        self.project_name: Final = project_name
        self._name2plugin: dict[str, object | None] = {}
        self._plugin_distinfo: list[tuple[object, DistFacade]] = []
        self.hook: Final = HookRelay()
        self.trace: Final[TagTracerSub] = TagTracer().get("pluginmanage")
        self._monitors: list[tuple[_BeforeTrace, _AfterTrace]] = []

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
                hook = HookCaller(hook_name, self)
                setattr(self.hook, hook_name, hook)
            elif hook.has_spec():
                hook._maybe_apply_history(hookimpl)
            hook._add_hookimpl(hookimpl)
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
            hookcaller._remove_plugin(plugin)
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
    def add_hookspecs(self, module_or_class: _Namespace) -> None:
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
                setattr(self.hook, name, HookCaller(name, self, module_or_class, spec_opts))
            else:
                hook.set_specification(module_or_class, spec_opts)
                for hookfunction in hook.get_hookimpls():
                    self._verify_hook(hook, hookfunction)
            names.append(name)
        if not names:
            msg = f"did not find any {self.project_name!r} hooks in {module_or_class!r}"
            raise ValueError(msg)

    def parse_hookspec_opts(self, module_or_class: _Namespace, name: str) -> HookspecOpts | None:
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
    def add_hookcall_monitoring(self, before: _BeforeTrace, after: _AfterTrace) -> Callable[[], None]:
        """Call ``before(hook_name, hook_impls, kwargs)`` and ``after(outcome, hook_name, hook_impls, kwargs)``
        around every hook call; return a function that removes them again."""
        entry = (before, after)
        self._monitors.append(entry)

        def undo() -> None:
            if entry in self._monitors:
                self._monitors.remove(entry)

        return undo

    def _monitored(self, hook: HookCaller, caller: Callable[..., Any], kwargs: Mapping[str, object]) -> Any:
        impls = hook.get_hookimpls()

        def call(level: int) -> Any:
            if level < 0:
                return caller(**kwargs)
            before, after = self._monitors[level]
            before(hook.name, impls, kwargs)
            outcome = Result[Any].from_call(lambda: call(level - 1))
            after(outcome, hook.name, impls, kwargs)
            return outcome.get_result()

        return call(len(self._monitors) - 1)

    def enable_tracing(self) -> Callable[[], None]:
        """Trace hook calls to ``self.trace.root`` (its ``"hook"`` tag); return an undo function."""
        hooktrace = self.trace.root.get("hook")

        def before(hook_name: str, methods: Sequence[HookImpl], kwargs: Mapping[str, object]) -> None:  # noqa: ARG001
            hooktrace.root.indent += 1
            hooktrace(hook_name, kwargs)

        def after(
            outcome: Result[Any],
            hook_name: str,
            methods: Sequence[HookImpl],  # noqa: ARG001 - pluggy's monitor signature
            kwargs: Mapping[str, object],  # noqa: ARG001
        ) -> None:
            if outcome.exception is None:
                hooktrace("finish", hook_name, "-->", outcome.get_result())
            hooktrace.root.indent -= 1

        return self.add_hookcall_monitoring(before, after)

    def subset_hook_caller(self, name: str, remove_plugins: Iterable[object]) -> HookCaller:
        """A caller of hook ``name`` that leaves out the given plugins' implementations."""
        orig: HookCaller = getattr(self.hook, name)
        plugins_to_remove = {plugin for plugin in remove_plugins if hasattr(plugin, name)}
        if plugins_to_remove:
            return _SubsetHookCaller(orig, plugins_to_remove)
        return orig


def _warn_for_function(warning: Warning, function: Callable[..., object]) -> None:
    code = function.__code__
    warnings.warn_explicit(warning, type(warning), lineno=code.co_firstlineno, filename=code.co_filename)
