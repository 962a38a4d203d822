"""Lifecycle configuration: ``pyproject.toml`` tables and environment switches.

Tables (in file order)::

    [tool.<app>.hooks.<name>]                    # global hooks, for every target
    [tool.<app>.targets.<target>.hooks.<name>]   # hooks of one target

Keys: ``path`` (a hook file, relative to the project root), ``enable-by-default``
(a boolean), ``dependencies`` (PEP 508 requirement strings); any other key is
the hook's own configuration. A hook configured globally and for a target
runs once, at its global position, with the target table merged over the
global one key by key.

Environment switches, with the host's prefix: ``<PREFIX>_NO_HOOKS``,
``<PREFIX>_HOOKS_ONLY``, ``<PREFIX>_HOOKS_ENABLE`` and
``<PREFIX>_HOOK_ENABLE_<NAME>`` (NAME upper-cased, ``-`` and ``.`` made ``_``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, cast, final

from hookwise._text import shown
from hookwise.exceptions import LifecycleConfigError

RESERVED_KEYS: Final = ("path", "enable-by-default", "dependencies")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})

# PEP 508, as far as a build tool checks it: a name, extras, a version specifier or URL, markers.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REQUIREMENT = re.compile(
    rf"^\s*{_NAME}\s*(\[\s*{_NAME}(\s*,\s*{_NAME})*\s*\])?\s*"
    r"((\(?\s*(===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*(,\s*(===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)*\)?)"
    r"|(@\s*\S+))?\s*(;\s*\S.*)?$"
)


def env_name(prefix: str, hook: str) -> str:
    """The variable that enables one hook: ``HOOKWISE_HOOK_ENABLE_HOOK_A`` for ``hook-a``."""
    return f"{prefix}_HOOK_ENABLE_{re.sub(r'[-.]', '_', hook).upper()}"


def env_flag(environ: Mapping[str, str], name: str) -> bool | None:
    """A boolean environment variable: 1/0, true/false, yes/no, on/off in any case; None when unset.

    Raises:
        LifecycleConfigError: any other value, naming the variable.
    """
    value = environ.get(name)
    if value is None:
        return None
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    msg = f"environment variable {name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off"
    raise LifecycleConfigError(msg, source=name)


def switch(environ: Mapping[str, str], variable: str, explicit: bool | None) -> tuple[bool, str]:
    """A mode switch and where its value came from: an explicit argument wins over its variable (off when unset).

    Raises:
        LifecycleConfigError: the variable is not a boolean.
    """
    if explicit is not None:
        return explicit, "argument"
    value = env_flag(environ, variable)
    return bool(value), variable if value is not None else "default"


def decide(
    config: HookConfig, environ: Mapping[str, str], prefix: str, *, no_hooks: bool | None = None
) -> tuple[bool, str]:
    """Whether one configured hook runs, and why: the one place the switches' precedence is written.

    1. no-hooks mode: the ``no_hooks`` argument, else ``<PREFIX>_NO_HOOKS``: nothing runs;
    2. ``<PREFIX>_HOOKS_ENABLE``: every hook runs;
    3. ``<PREFIX>_HOOK_ENABLE_<NAME>``: this hook runs or not;
    4. the hook's ``enable-by-default`` (true unless configured otherwise).

    Raises:
        LifecycleConfigError: a variable is not a boolean.
    """
    none_variable = f"{prefix}_NO_HOOKS"
    off, source = switch(environ, none_variable, no_hooks)
    if off:
        return (
            False,
            "no hooks run (no-hooks mode)" if source == "argument" else f"{source}={environ[source]}: no hooks run",
        )
    all_variable = f"{prefix}_HOOKS_ENABLE"
    if env_flag(environ, all_variable):
        return True, f"{all_variable}={environ[all_variable]}: every hook"
    variable = env_name(prefix, config.name)
    enable_one = env_flag(environ, variable)
    if enable_one is not None:
        return enable_one, f"{variable}={environ[variable]}"
    default = "true" if config.enable_by_default else "false"
    origin = "configuration" if "enable-by-default" in config.options else "default"
    return config.enable_by_default, f"enable-by-default = {default} ({origin})"


@final
class HookConfig:
    """One configured hook: its name, where it runs, its merged configuration and options."""

    __slots__ = ("dependencies", "enable_by_default", "name", "options", "path", "scope")

    def __init__(self, name: str, scope: str, table: Mapping[str, Any], source: str) -> None:
        self.name: str = name
        self.scope: str = scope  # "global" or "target"
        self.options: dict[str, Any] = dict(table)
        self.path: str | None = None
        self.enable_by_default: bool = True
        self.dependencies: list[str] = []
        self._read(source)

    def merge(self, table: Mapping[str, Any], source: str) -> None:
        """Merge a target's table over this (global) one, key by key."""
        self.options.update(table)
        self._read(source)

    def _read(self, source: str) -> None:
        where = f"{source}: hook {self.name!r}"
        path = self.options.get("path")
        if path is not None and not isinstance(path, str):
            msg = f"{where}: path must be a string, not {path!r}"
            raise LifecycleConfigError(msg, source=source, hook=self.name)
        self.path = path
        enable = self.options.get("enable-by-default", True)
        if not isinstance(enable, bool):
            msg = f"{where}: enable-by-default must be true or false (a TOML boolean), not {enable!r}" + (
                f"; write enable-by-default = {enable.strip().lower()}" if isinstance(enable, str) else ""
            )
            raise LifecycleConfigError(msg, source=source, hook=self.name)
        self.enable_by_default = enable
        dependencies: object = self.options.get("dependencies", [])
        if not isinstance(dependencies, list) or not all(
            isinstance(d, str) for d in cast("list[object]", dependencies)
        ):
            msg = f"{where}: dependencies must be a list of requirement strings, not {dependencies!r}"
            raise LifecycleConfigError(msg, source=source, hook=self.name)
        requirements = cast("list[str]", dependencies)
        for requirement in requirements:
            check_requirement(requirement, f"{where}: dependencies")
        self.dependencies = list(requirements)

    @property
    def config(self) -> dict[str, Any]:
        """The configuration a hook sees: every key of its (merged) tables."""
        return dict(self.options)


def check_requirement(requirement: str, where: str) -> None:
    """Raise :class:`LifecycleConfigError` if ``requirement`` is not a PEP 508 requirement string."""
    if not _REQUIREMENT.match(requirement):
        msg = f"{where}: {requirement!r} is not a requirement string (PEP 508), such as 'cython>=3' or 'numpy[extra]'"
        raise LifecycleConfigError(msg, source=where)


@final
class ProjectConfig:
    """The lifecycle tables of one project, for one app name."""

    __slots__ = ("app", "file", "global_hooks", "targets")

    def __init__(self, app: str, file: Path, global_hooks: dict[str, Any], targets: dict[str, dict[str, Any]]) -> None:
        self.app: str = app
        self.file: Path = file
        self.global_hooks: dict[str, Any] = global_hooks
        self.targets: dict[str, dict[str, Any]] = targets

    @classmethod
    def load(cls, root: Path, app: str) -> ProjectConfig:
        """Read ``root/pyproject.toml`` (a project without one has no configured hooks).

        Raises:
            LifecycleConfigError: the file is not TOML, or the tables have the wrong shape.
        """
        import tomllib

        file = root / "pyproject.toml"
        if not file.is_file():
            return cls(app, file, {}, {})
        try:
            document = tomllib.loads(file.read_text(encoding="utf-8"))
        except UnicodeDecodeError as error:
            msg = f"{file}: not UTF-8 text (byte {error.start}: {error.reason}); TOML files are UTF-8"
            raise LifecycleConfigError(msg, source=str(file)) from error
        except tomllib.TOMLDecodeError as error:
            msg = f"{file}: not valid TOML: {error}"
            raise LifecycleConfigError(msg, source=str(file)) from error
        tool = _table(document.get("tool", {}), f"{file}: [tool]", file)
        section = _table(tool.get(app, {}), f"{file}: [tool.{app}]", file)
        global_hooks = _table(section.get("hooks", {}), f"{file}: [tool.{app}.hooks]", file)
        targets: dict[str, dict[str, Any]] = {}
        for target, table in _table(section.get("targets", {}), f"{file}: [tool.{app}.targets]", file).items():
            hooks = _table(table, f"{file}: [tool.{app}.targets.{target}]", file).get("hooks", {})
            targets[target] = _table(hooks, f"{file}: [tool.{app}.targets.{target}.hooks]", file)
        return cls(app, file, global_hooks, targets)

    def hooks_for(self, target: str) -> list[HookConfig]:
        """The target's hooks in run order: global ones first, then the target's own, each in file order."""
        source = str(self.file)
        configs: dict[str, HookConfig] = {}
        for name, table in self.global_hooks.items():
            body = _table(table, f"{source}: [tool.{self.app}.hooks.{name}]", self.file)
            configs[name] = HookConfig(name, "global", body, source)
        for name, table in self.targets.get(target, {}).items():
            body = _table(table, f"{source}: [tool.{self.app}.targets.{target}.hooks.{name}]", self.file)
            if name in configs:
                configs[name].merge(body, source)
            else:
                configs[name] = HookConfig(name, "target", body, source)
        return list(configs.values())

    def check_switches(self, prefix: str) -> None:
        """Two hooks whose names differ only by ``-``, ``.`` or ``_`` would share one enable variable.

        Raises:
            LifecycleConfigError: naming both hooks and the variable.
        """
        seen: dict[str, str] = {}
        names = [*self.global_hooks, *(name for hooks in self.targets.values() for name in hooks)]
        for name in names:
            variable = env_name(prefix, name)
            other = seen.setdefault(variable, name)
            if other != name:
                msg = (
                    f"{self.file}: hooks {other!r} and {name!r} would both be switched by {variable}; "
                    "rename one so that each hook has a variable of its own"
                )
                raise LifecycleConfigError(msg, source=str(self.file), hook=name)


def _table(value: object, where: str, file: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        msg = f"{where} must be a table, not {shown(value, 60)}"
        raise LifecycleConfigError(msg, source=str(file))
    return dict(value)  # pyright: ignore[reportUnknownArgumentType]
