"""Plugins and handlers held by weak reference (``register(..., weak=True)``), as blinker holds receivers.

A weak registration keeps no reference to the plugin: each implementation is
called through a stand-in that looks the method (or the handler) up through a
weak reference and has its signature, name and kind (sync, coroutine,
generator wrapper). Once the plugin is collected, its stand-ins do nothing (a
wrapper passes the outcome through) and the manager unregisters it: at once
when it can take its lock without waiting, otherwise at its next registration
or unregistration. Nothing waits for a lock in a garbage collector's callback.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from hookwise._guardrails import hidden_from_pytest
from hookwise._plugins import Found, WeakPlugin, reference
from hookwise.exceptions import PluginValidationError

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's


def weakened(plugin: object, plugin_name: str, found: list[Found], on_death: Callable[[object], None]) -> WeakPlugin:
    """Turn ``found`` into weakly held stand-ins, in place; return what stands for ``plugin``.

    Raises:
        PluginValidationError: an async generator wrapper (which a stand-in cannot delegate to).
        TypeError: the plugin or a handler cannot be referenced weakly.
    """
    import inspect  # keep `import hookwise` fast

    held = WeakPlugin(plugin, on_death)
    for index, (hook, options, function, style) in enumerate(found):
        if inspect.isasyncgenfunction(function):
            msg = (
                f"plugin {plugin_name!r}: async generator wrapper {function.__qualname__} of hook {hook!r} cannot be "
                "held weakly; register the plugin without weak=True"
            )
            raise PluginValidationError(msg, plugin=plugin_name, hook=hook)
        found[index] = (hook, options, stand_in(function, plugin_name), style)
    return held


def stand_in(function: Callable[..., Any], plugin_name: str) -> Callable[..., Any]:
    """A function like ``function`` (signature, names, kind) that calls it through a weak reference."""
    import inspect  # keep `import hookwise` fast

    ref = reference(function)
    stand: Callable[..., Any]
    if inspect.isgeneratorfunction(function):

        def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            target = ref()
            if target is None:  # collected: let the outcome through
                return (yield)
            generator: Generator[Any, Any, Any] = target(*args, **kwargs)
            return (yield from generator)

        stand = wrapper
    elif inspect.iscoroutinefunction(function):

        async def coroutine(*args: Any, **kwargs: Any) -> Any:
            target = ref()
            return None if target is None else await target(*args, **kwargs)

        stand = coroutine
    else:

        def call(*args: Any, **kwargs: Any) -> Any:
            target = ref()
            return None if target is None else target(*args, **kwargs)

        stand = call
    setattr(stand, "__signature__", inspect.signature(function))  # noqa: B010 - functions take any attribute
    stand.__name__ = getattr(function, "__name__", plugin_name)
    stand.__qualname__ = getattr(function, "__qualname__", plugin_name)
    stand.__module__ = getattr(function, "__module__", None) or __name__
    stand.__doc__ = getattr(function, "__doc__", None)
    return stand
