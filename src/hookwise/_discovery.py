"""Finding plugins: entry points, settings tuples, and Kedro's order for both.

- :func:`load_entry_points` registers every plugin a group of entry points advertises.
- :func:`register_settings` registers a settings tuple (Kedro's ``HOOKS``).
- :func:`register_project_hooks` does both in Kedro's documented order: auto-discovered
  hooks run first, then the settings' ones, the last of the tuple first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from hookwise._manager import HookManager
from hookwise._plugins import PluginInfo, default_name
from hookwise.exceptions import (
    DisabledPluginWarning,
    EntryPointError,
    EntryPointWarning,
    PluginValidationError,
    RegistrationError,
)

if TYPE_CHECKING:
    import logging
    from importlib.metadata import EntryPoint


def _logger() -> logging.Logger:
    import logging  # keep `import hookwise` fast

    return logging.getLogger("hookwise")


OnError: TypeAlias = Literal["raise", "warn"]


class Registry(Protocol):
    """Where plugins are registered: a :class:`HookManager`, or an ``EventBus`` for listeners."""

    def register(self, plugin: object, /, *, name: str | None = None, source: str = "code") -> str | None:
        """Register ``plugin`` under ``name``; return its name (None when it is blocked)."""
        ...

    def plugin_info(self, name: str) -> PluginInfo:
        """A registered plugin's record."""
        ...

    def is_registered(self, plugin: object) -> bool:
        """Whether the object is registered."""
        ...

    def name_of(self, plugin: object) -> str | None:
        """The name the object is registered under."""
        ...

    @property
    def plugins(self) -> Mapping[str, object]:
        """The registered plugins by name."""
        ...


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it: ``Pipeline_Audit`` and ``pipeline.audit`` are ``pipeline-audit``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _distribution(entry_point: EntryPoint) -> tuple[str, str]:
    dist = entry_point.dist
    if dist is None:  # pragma: no cover - entry points always come from a distribution here
        return ("<unknown distribution>", "?")
    return (str(dist.metadata["Name"]), str(dist.version))


def _installed() -> set[str]:
    from importlib.metadata import distributions

    return {normalize(str(dist.metadata["Name"])) for dist in distributions()}


def _load(entry_point: EntryPoint, group: str) -> object:
    plugin = entry_point.load()
    if isinstance(plugin, type):
        msg = (
            f"{entry_point.value} is the class {plugin.__qualname__}; an entry point of group "
            f"{group!r} must name a plugin instance, such as `hooks = {plugin.__qualname__}()`"
        )
        raise PluginValidationError(msg, plugin=entry_point.name, hook="")
    return plugin


def load_entry_points(
    manager: Registry,
    group: str,
    *,
    disable: Iterable[str] = (),
    on_error: OnError = "raise",
    reverse: bool = False,
) -> list[PluginInfo]:
    """Register every plugin advertised under an entry-point group.

    Entry points are registered by distribution name, then entry-point name
    (alphabetical order, as Kedro does), each under its entry-point name.

    Args:
        manager: where to register them: a :class:`HookManager`, or an ``EventBus``
            (the entry points then name listener plugins).
        group: the entry-point group, the host's choice (``"pipeline.hooks"``).
        disable: distribution names whose plugins are not registered (Kedro's
            ``DISABLE_HOOKS_FOR_PLUGINS``), matched after PEP 503 normalization.
            A name that matches no installed distribution gets a
            :class:`DisabledPluginWarning`.
        on_error: ``"raise"`` (default) raises :class:`EntryPointError` for an
            entry point that fails to import or register; ``"warn"`` skips it
            with an :class:`EntryPointWarning`.
        reverse: register in reverse alphabetical order.

    Returns:
        the registered plugins, in registration order; each one's ``source``
        names the entry point, its group, distribution and version.

    Raises:
        EntryPointError: an entry point failed to load or register (the
            original exception is chained).
    """
    import warnings
    from importlib.metadata import entry_points

    logger = _logger()
    disabled = {normalize(name): name for name in disable}
    if disabled:
        installed = _installed()
        for key, name in disabled.items():
            if key not in installed:
                msg = f"{name!r} is listed to disable but no installed distribution has that name (group {group!r})"
                warnings.warn(DisabledPluginWarning(msg), stacklevel=2)
    found = sorted(entry_points(group=group), key=lambda ep: (normalize(_distribution(ep)[0]), ep.name))
    if reverse:
        found.reverse()
    loaded: list[PluginInfo] = []
    for entry_point in found:
        dist, version = _distribution(entry_point)
        if normalize(dist) in disabled:
            logger.info("entry point %r of %s %s is disabled", entry_point.name, dist, version)
            continue
        where = f"entry point {entry_point.name} = {entry_point.value} [{group}] from {dist} {version}"
        try:
            registered = manager.register(_load(entry_point, group), name=entry_point.name, source=where)
        except Exception as error:
            failure = EntryPointError(
                f"cannot load {where}: {type(error).__name__}: {error}",
                group=group,
                entry_point=entry_point.name,
                distribution=dist,
                version=version,
            )
            if on_error == "warn":
                warnings.warn(EntryPointWarning(str(failure)), stacklevel=2)
                continue
            raise failure from error
        if registered is None:
            logger.info("entry point %r of %s %s is blocked", entry_point.name, dist, version)
            continue
        logger.info("loaded %s", where)
        loaded.append(manager.plugin_info(registered))
    return loaded


def register_settings(manager: Registry, hooks: Sequence[object], *, setting: str = "HOOKS") -> list[str]:
    """Register the plugins of a settings tuple (Kedro's ``HOOKS = (ProjectHooks(), ...)``), in order.

    ``manager`` is a :class:`HookManager`, or an ``EventBus`` for a tuple of listener plugins.

    Each is named as :meth:`HookManager.register` would name it; a second instance of the
    same class gets ``#2`` (``ProjectHooks#2``), and so on, as Kedro on pluggy accepts them.

    Raises:
        PluginValidationError: an item is a class where an instance is expected.
        RegistrationError: the same object is listed twice.
    """
    names: list[str] = []
    for index, hook in enumerate(hooks):
        if isinstance(hook, type):
            msg = (
                f"settings {setting}[{index}] is the class {hook.__qualname__}; {setting} holds plugin "
                f"instances: write {hook.__qualname__}()"
            )
            raise PluginValidationError(msg, plugin=hook.__qualname__, hook="")
        if manager.is_registered(hook):
            msg = (
                f"settings {setting}[{index}] is an object already registered (as a plugin named "
                f"{manager.name_of(hook)!r}); list each plugin instance once"
            )
            raise RegistrationError(msg, plugin=default_name(hook))
        base = default_name(hook)
        name, count = base, 1
        while name in manager.plugins and manager.plugins[name] is not hook:
            count += 1
            name = f"{base}#{count}"
        registered = manager.register(hook, name=name, source=f"settings {setting}[{index}]")
        if registered is not None:
            names.append(registered)
    return names


def register_project_hooks(
    manager: HookManager[Any],
    settings_hooks: Sequence[object] = (),
    *,
    entry_point_group: str | None = None,
    disable: Iterable[str] = (),
    on_error: OnError = "raise",
) -> list[str]:
    """Register a settings tuple and the entry-point plugins in Kedro's documented order.

    Auto-discovered (entry-point) hooks run first, in reverse alphabetical
    order of distribution; then the settings' hooks, last first: with
    ``HOOKS = (hook_a, hook_b)``, ``hook_b`` runs before ``hook_a``, as Kedro documents.
    This holds for FIFO and LIFO managers alike (priorities and tryfirst/trylast
    still come first).

    Returns:
        the registered plugin names, in the order they run.
    """
    lifo = manager.order == "lifo"

    def entry_point_plugins() -> list[str]:
        if entry_point_group is None:
            return []
        loaded = load_entry_points(manager, entry_point_group, disable=disable, on_error=on_error, reverse=not lifo)
        return [info.name for info in loaded]

    if lifo:
        settings = register_settings(manager, settings_hooks)
        plugins = entry_point_plugins()
        return [*reversed(plugins), *reversed(settings)]
    plugins = entry_point_plugins()
    settings = register_settings(manager, list(reversed(settings_hooks)))
    return [*plugins, *settings]


_IRREGULAR_PARTICIPLES = frozenset(
    """run built made done sent written read set put begun seen found gone shown known given taken chosen drawn
    held kept left lost met paid said sold told thought brought bought caught taught won broken spoken frozen
    hidden bound wound split shut cut hit let quit spun torn worn""".split()  # noqa: SIM905 - a word list reads best as words
)


def naming_advice(names: Iterable[str]) -> list[str]:
    """Advice for hook names that do not follow Kedro's naming convention (advice, never enforced).

    The convention: ``<before|after>_<noun>_<past participle>`` (``before_node_run``,
    ``after_catalog_created``) and ``on_<noun>_error`` (``on_node_error``). For a
    dotted name (``todos.before_complete_task``) the last part is checked.
    """
    advice: list[str] = []
    for name in names:
        words = name.rsplit(".", 1)[-1].split("_")
        if words[0] == "on" and len(words) >= 3 and words[-1] == "error":
            continue
        if words[0] in ("before", "after") and len(words) >= 3:
            last = words[-1]
            if last.endswith("ed") or last in _IRREGULAR_PARTICIPLES:
                continue
            advice.append(
                f"hook {name!r}: end a {words[0]}-hook's name with a past participle, "
                f"{words[0]}_<noun>_<past participle> (before_node_run, after_catalog_created)"
            )
            continue
        advice.append(
            f"hook {name!r}: name hooks <before|after>_<noun>_<past participle> (before_node_run) "
            "or on_<noun>_error (on_node_error)"
        )
    return advice
