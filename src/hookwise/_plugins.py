"""Plugins: what a registered plugin is, what identifies it, and the implementations it offers."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any, final

from hookwise._impl import ArgumentStyle, HookImpl, ImplOptions, impl_options
from hookwise.exceptions import PluginValidationError

Found = tuple[str, ImplOptions, Callable[..., Any], ArgumentStyle]
"""One implementation a plugin offers: ``(hook, options, function, style)``."""


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


def scan(plugin: object, plugin_name: str) -> Iterator[Found]:
    """The implementations a plugin object, class or module holds, by attribute name."""
    if isinstance(plugin, types.ModuleType):
        scopes: list[Mapping[str, Any]] = [vars(plugin)]
    else:
        cls = plugin if isinstance(plugin, type) else type(plugin)
        scopes = [vars(klass) for klass in reversed(cls.__mro__)]
        if not isinstance(plugin, type):
            scopes.append(getattr(plugin, "__dict__", {}))
    attributes: dict[str, Any] = {}
    for scope in scopes:
        attributes.update(scope)
    for attribute in sorted(attributes):
        raw = attributes[attribute]
        options = impl_options(raw)
        if options is None:
            continue
        if isinstance(plugin, type) and isinstance(raw, types.FunctionType):
            msg = (
                f"plugin {plugin_name!r} is a class, and its hook implementation {attribute!r} is an "
                f"instance method; register an instance, {plugin.__qualname__}(), or make it a staticmethod"
            )
            raise PluginValidationError(msg, plugin=plugin_name, hook=options.specname or attribute)
        yield options.specname or attribute, options, getattr(plugin, attribute), "named"
