"""Plugins: what a registered plugin is, what identifies it, and the implementations it offers."""

from __future__ import annotations

import types
import weakref
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar, final

from hookwise._impl import ArgumentStyle, HookImpl, ImplOptions, impl_options
from hookwise._text import shown
from hookwise.exceptions import PluginValidationError, RegistrationError

Options = TypeVar("Options")

Found = tuple[str, ImplOptions, Callable[..., Any], ArgumentStyle]
"""One implementation a plugin offers: ``(hook, options, function, style)``."""


@final
class WeakPlugin:
    """What a weak registration holds instead of its plugin: a weak reference, and the plugin's identity."""

    __slots__ = ("key", "ref")

    def __init__(self, plugin: object, on_death: Callable[[object], None]) -> None:
        self.ref: weakref.ref[Any] = reference(plugin, on_death)
        self.key: object = identity(plugin)

    def __call__(self) -> object:
        """The plugin, or ``None`` once it was collected."""
        return self.ref()

    def __repr__(self) -> str:
        return f"<WeakPlugin {self.ref()!r}>"


def reference(target: object, on_death: Callable[[object], None] | None = None) -> weakref.ref[Any]:
    """A weak reference to ``target`` (a ``WeakMethod`` for a bound method), calling ``on_death`` when it dies.

    Raises:
        TypeError: ``target`` cannot be referenced weakly.
    """
    if isinstance(target, types.MethodType):
        return weakref.WeakMethod(target, on_death)
    try:
        return weakref.ref(target, on_death)
    except TypeError:
        msg = f"{type(target).__name__} objects cannot be held weakly (weak=True); register {shown(target)} as usual"
        raise TypeError(msg) from None


@final
class PluginInfo:
    """A registered plugin: its name, the object, its implementations and where it came from.

    Attributes:
        name: the registered name.
        impls: its implementations.
        source: where it came from (``"code"``, ``"entry point ..."``, ...).
        weak: it is held by weak reference (``register(..., weak=True)``).
        key: what identifies it among the registered plugins (see :func:`identity`).
    """

    __slots__ = ("_plugin", "impls", "key", "name", "source", "weak")

    def __init__(self, name: str, plugin: object, impls: tuple[HookImpl, ...], source: str) -> None:
        self.name: str = name
        self._plugin = plugin
        self.impls: tuple[HookImpl, ...] = impls
        self.source: str = source
        self.weak: bool = isinstance(plugin, WeakPlugin)
        self.key: object = plugin.key if isinstance(plugin, WeakPlugin) else identity(plugin)

    @property
    def plugin(self) -> object:
        """The plugin object (``None`` once a weakly held plugin was collected)."""
        plugin = self._plugin
        return plugin() if isinstance(plugin, WeakPlugin) else plugin

    def __repr__(self) -> str:
        return f"<PluginInfo {self.name!r} hooks={[i.hook for i in self.impls]} source={self.source!r}>"


def default_name(plugin: object) -> str:
    """A plugin's name when none is given: a module's name, a class's or function's qualified name, an
    instance's class name."""
    if isinstance(plugin, types.ModuleType):
        return plugin.__name__
    named = plugin if isinstance(plugin, type | types.FunctionType | types.MethodType) else type(plugin)
    qualname = str(getattr(named, "__qualname__", repr(named)))
    # Names defined inside a function read better without the "<locals>" path.
    return qualname.rpartition("<locals>.")[2]


def identity(plugin: object) -> object:
    """What identifies a registered plugin: a bound method by its object and function (as blinker and
    Django match receivers), anything else by its identity."""
    if isinstance(plugin, types.MethodType):
        return ("method", id(plugin.__self__), plugin.__func__)
    return id(plugin)


def marked(
    plugin: object, plugin_name: str, read: Callable[[object], Options | None], what: str = "hook implementation"
) -> list[tuple[str, Options, Any]]:
    """The attributes of a plugin marked with options ``read`` finds: ``(attribute, options, value)``.

    A marked function registered as the plugin itself is its one attribute. Used
    for hook implementations (:func:`scan`) and event listeners alike.

    Raises:
        PluginValidationError: a class was given whose marked attribute is an instance method.
    """
    if isinstance(plugin, types.FunctionType | types.MethodType):
        options = read(plugin)
        return [] if options is None else [(plugin.__name__, options, plugin)]
    found: list[tuple[str, Options, Any]] = []
    attributes = _attributes(plugin)
    for attribute in sorted(attributes):
        raw = attributes[attribute]
        options = read(raw)
        if options is None:
            continue
        if isinstance(plugin, type) and isinstance(raw, types.FunctionType):
            msg = (
                f"plugin {plugin_name!r} is a class, and its {what} {attribute!r} is an instance method; "
                f"register an instance, {plugin.__qualname__}(), or make it a staticmethod"
            )
            raise PluginValidationError(msg, plugin=plugin_name, hook=attribute)
        found.append((attribute, options, getattr(plugin, attribute)))
    return found


def scan(plugin: object, plugin_name: str, known: Collection[str] = ()) -> list[Found]:
    """The implementations a plugin holds: the marked attributes of an object, class or module, by name,
    or the function itself when a marked function is registered as a plugin.

    Raises:
        PluginValidationError: the plugin holds no implementation (a plugin that does nothing
            is a mistake: an unmarked function or method, an object of the wrong kind); the
            message names its methods that look like hooks (``known``) but are not marked.
    """
    found: list[Found] = [
        (options.specname or attribute, options, value, "named")
        for attribute, options, value in marked(plugin, plugin_name, impl_options)
    ]
    if not found:
        attributes = _attributes(plugin)
        raise _nothing(plugin, plugin_name, [name for name in attributes if name in known])
    return found


def _attributes(plugin: object) -> dict[str, Any]:
    if isinstance(plugin, types.ModuleType):
        return dict(vars(plugin))
    if isinstance(plugin, types.FunctionType | types.MethodType):
        return {}
    cls = plugin if isinstance(plugin, type) else type(plugin)
    attributes: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        attributes.update(vars(klass))
    if not isinstance(plugin, type):
        attributes.update(getattr(plugin, "__dict__", {}))
    return attributes


def describe(plugin: object) -> str:
    """What a plugin object is, for messages: ``the function f``, ``the module m``, ``<...> of type T``."""
    if isinstance(plugin, types.FunctionType | types.MethodType):
        return f"the function {plugin.__qualname__.rpartition('<locals>.')[2]}"
    if isinstance(plugin, types.ModuleType):
        return f"the module {plugin.__name__}"
    if isinstance(plugin, type):
        return f"the class {plugin.__qualname__}"
    return f"{shown(plugin, 60)} of type {type(plugin).__qualname__}"


def _nothing(plugin: object, plugin_name: str, unmarked: list[str]) -> PluginValidationError:
    """The error for a plugin with no implementation, saying what it is and what was probably meant."""
    what = describe(plugin)
    if isinstance(plugin, types.FunctionType | types.MethodType):
        advice = (
            f"mark it with @hookimpl to implement the hook {plugin.__name__!r}, or register it for a hook by "
            f"name: register('hook.name', {plugin.__name__})"
        )
    elif unmarked:
        advice = f"mark its {', '.join(repr(name) for name in unmarked)} with @hookimpl"
    else:
        advice = "mark the methods or functions that implement hooks with @hookimpl"
    msg = f"plugin {plugin_name!r} ({what}) has no hook implementations: {advice}"
    return PluginValidationError(msg, plugin=plugin_name, hook="")


def check_new(plugins: Mapping[str, PluginInfo], identities: Mapping[object, str], name: str, key: object) -> None:
    """Refuse a second plugin of one name, or one object registered twice.

    Raises:
        RegistrationError: the name or the object (identified by ``key``) is registered.
    """
    if name in plugins:
        msg = f"a plugin named {name!r} is already registered; pass name= to register another"
        raise RegistrationError(msg, plugin=name)
    known = identities.get(key)
    if known is not None:
        msg = f"plugin {name!r} is already registered, as {known!r}"
        raise RegistrationError(msg, plugin=name)
