"""Registrations for the length of a ``with`` block: :func:`connected` and :func:`muted`.

Tests want a plugin in place for one test and gone after it, whatever the test
does (blinker's ``connected_to``), and a registered plugin silent for a while
without losing its place in the order (blinker's ``muted``). Both change the
manager only through the steps its own ``register``/``unregister`` take.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from hookwise._impl import HookImpl
from hookwise._plugins import PluginInfo, default_name
from hookwise.exceptions import RegistrationError

if TYPE_CHECKING:
    from _thread import RLock

    from hookwise._engine import HookEngine
    from hookwise._manager import HookManager


@contextmanager
def connected(manager: HookManager[Any], plugin: object, name: str | None) -> Generator[str]:
    """Register ``plugin`` for the block; unregister it after, however the block ends."""
    name = name or default_name(plugin)
    registered = manager.register(plugin, name=name)
    if registered is None:
        msg = f"connected(): the plugin name {name!r} is blocked, so nothing would be connected"
        raise RegistrationError(msg, plugin=name)
    try:
        yield registered
    finally:
        if manager.name_of(plugin) == registered:  # the block may have unregistered it itself
            manager.unregister(registered)


@contextmanager
def muted(
    lock: RLock,
    engines: Mapping[str, HookEngine],
    registered: Mapping[str, PluginInfo],
    find: Callable[[object], PluginInfo | None],
    plugins: tuple[object, ...],
) -> Generator[None]:
    """Take the plugins' implementations out of their hooks for the block, then put the same ones back.

    The implementations keep their registration sequence, so each returns to
    its place in the order. A historic call made meanwhile is not replayed to
    them: muted means they missed it. A plugin unregistered inside the block
    stays unregistered.
    """
    taken: list[tuple[str, tuple[HookImpl, ...]]] = []
    with lock:
        infos: list[PluginInfo] = []
        for plugin in plugins:
            info = find(plugin)
            if info is None:
                what = repr(plugin) if isinstance(plugin, str) else f"object {plugin!r}"
                msg = f"cannot mute {what}: no plugin of that name or identity is registered"
                raise RegistrationError(msg, plugin=plugin if isinstance(plugin, str) else default_name(plugin))
            infos.append(info)
        for info in infos:
            for hook in {impl.hook for impl in info.impls}:
                engine = engines.get(hook)
                if engine is not None:
                    engine.remove(info.impls)
            taken.append((info.name, info.impls))
    try:
        yield
    finally:
        with lock:
            for name, impls in taken:
                info = registered.get(name)
                if info is None or info.impls is not impls:
                    continue
                by_hook: dict[str, list[HookImpl]] = {}
                for impl in impls:
                    if impl.hook in engines:
                        by_hook.setdefault(impl.hook, []).append(impl)
                for hook, back in by_hook.items():
                    engines[hook].add(back)
