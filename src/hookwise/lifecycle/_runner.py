"""The lifecycle runner: which hooks run, in what order, around an operation, on the hookwise engine."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast, final

from hookwise._manager import HookManager
from hookwise._text import did_you_mean, shown, told
from hookwise._tracing import Monitor
from hookwise.exceptions import LifecycleConfigError
from hookwise.lifecycle._config import HookConfig, ProjectConfig, check_requirement, decide, switch
from hookwise.lifecycle._data import DataRules, Field
from hookwise.lifecycle._hook import App, LifecycleHook
from hookwise.lifecycle._loading import load_hook_class, resolve_hook_file
from hookwise.lifecycle._stages import LifecycleSpecs, stage_plugin

Operation = Callable[[str, dict[str, Any]], str]
"""What a run wraps: ``operation(version, data)`` produces one version and returns its artifact's path."""


@final
class PlannedHook:
    """A configured hook of a target: its place, whether it runs, and why.

    Attributes:
        name: the hook's name.
        scope: ``"global"`` or ``"target"``.
        enabled: whether it runs.
        reason: why it runs or not (configuration, an environment variable, a default).
        config: its merged configuration.
    """

    __slots__ = ("config", "enabled", "name", "reason", "scope")

    def __init__(self, config: HookConfig, *, enabled: bool, reason: str) -> None:
        self.name: str = config.name
        self.scope: str = config.scope
        self.config: HookConfig = config
        self.enabled: bool = enabled
        self.reason: str = reason

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "name": self.name,
            "scope": self.scope,
            "enabled": self.enabled,
            "reason": self.reason,
            "path": self.config.path,
        }


@final
class RunResult:
    """What a run did: the hook calls in order, and each version's final data and artifact.

    Attributes:
        target: the target.
        calls: ``(hook, stage, version)`` for every hook call, in order; a
            ``clean`` call of several versions names them joined by commas.
        data: each version's final data.
        artifacts: each version's artifact path (none in hooks-only runs).
    """

    __slots__ = ("artifacts", "calls", "data", "target")

    def __init__(self, target: str) -> None:
        self.target: str = target
        self.calls: list[tuple[str, str, str]] = []
        self.data: dict[str, dict[str, Any]] = {}
        self.artifacts: dict[str, str] = {}

    def as_dict(self) -> dict[str, Any]:
        """``{"target", "calls": [{"hook", "stage", "version"}], "data": {version: data}}``, tuples as lists."""
        return {
            "target": self.target,
            "calls": [{"hook": hook, "stage": stage, "version": version} for hook, stage, version in self.calls],
            "data": {version: _plain(data) for version, data in self.data.items()},
        }


def _plain(value: Any) -> Any:
    """JSON-ready: tuples become lists, mappings dicts."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in cast("Mapping[object, Any]", value).items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in cast("Sequence[Any]", value)]
    return value


class LifecycleRunner:
    """Runs a project's lifecycle hooks around an operation, for a host (Hatchling's build hooks).

    Args:
        app: the host's name: its tables are ``[tool.<app>.hooks]`` and
            ``[tool.<app>.targets.<target>.hooks]``.
        root: the project's root (where ``pyproject.toml`` is).
        env_prefix: the prefix of the environment switches; ``app`` upper-cased by default.
        environ: the environment to read switches from; ``os.environ`` by default.
        fields: build data fields the host declares, per target (``"*"``: every target).
        metadata: what hooks see as ``self.metadata``.
        messages: the hooks' ``self.app``; the ``hookwise`` logger by default.
        monitors: monitors (``TraceRecorder``, ``HookStats``, ...) attached to every run's
            hook manager: the stages are the hooks ``clean``, ``initialize`` and ``finalize``.
        known_targets: the targets the host builds; a run for any other is an error (a typo
            would otherwise run only the global hooks). ``None``: any target.

    Example::

        runner = LifecycleRunner("mybuild", "/path/to/project")
        result = runner.run("wheel", build_wheel, versions=["standard"])
    """

    def __init__(
        self,
        app: str,
        root: str | os.PathLike[str],
        *,
        env_prefix: str | None = None,
        environ: Mapping[str, str] | None = None,
        fields: Mapping[str, Mapping[str, Field]] | None = None,
        metadata: Mapping[str, Any] | None = None,
        messages: App | None = None,
        monitors: Sequence[Monitor] = (),
        known_targets: Sequence[str] | None = None,
    ) -> None:
        self.app = app
        self.monitors: list[Monitor] = list(monitors)
        self.root: Path = Path(root)
        self.env_prefix: str = env_prefix or app.upper().replace("-", "_").replace(".", "_")
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.fields: dict[str, dict[str, Field]] = {
            target: dict(declared) for target, declared in (fields or {}).items()
        }
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.messages = messages
        self._classes: dict[str, type[LifecycleHook]] = {}
        self.known_targets: list[str] | None = None if known_targets is None else list(known_targets)
        self.config: ProjectConfig = ProjectConfig.load(self.root, app)
        self.config.check_switches(self.env_prefix)

    # -- hook classes from code and entry points ----------------------------------
    def register_hook(self, hook_class: type[LifecycleHook], name: str | None = None) -> str:
        """Make a hook class available under ``name`` (its ``PLUGIN_NAME`` by default)."""
        hook = name or hook_class.PLUGIN_NAME
        if not hook:
            msg = f"{hook_class.__qualname__} has no PLUGIN_NAME; set one, or pass name="
            raise LifecycleConfigError(msg, source=hook_class.__qualname__)
        self._classes[hook] = hook_class
        return hook

    def load_entry_points(self, group: str) -> list[str]:
        """Make the hook classes an entry-point group advertises available; return their names.

        Raises:
            LifecycleConfigError: an entry point fails to load or is not a ``LifecycleHook``
                subclass; the message names the entry point and its distribution.
        """
        from importlib.metadata import entry_points

        names: list[str] = []
        for entry_point in entry_points(group=group):
            dist = entry_point.dist
            where = f"entry point {entry_point.name} = {entry_point.value} [{group}]" + (
                f" from {dist.metadata['Name']} {dist.version}" if dist is not None else ""
            )
            try:
                hook_class = entry_point.load()
            except Exception as error:
                msg = f"cannot load {where}: {type(error).__name__}: {told(error)}"
                raise LifecycleConfigError(msg, source=group, hook=entry_point.name) from error
            if not (isinstance(hook_class, type) and issubclass(hook_class, LifecycleHook)):
                loaded = cast("object", hook_class)
                msg = f"{where} is {shown(loaded, 60)}, not a LifecycleHook subclass"
                raise LifecycleConfigError(msg, source=group, hook=entry_point.name)
            names.append(self.register_hook(hook_class, hook_class.PLUGIN_NAME or entry_point.name))
        return names

    # -- what runs ------------------------------------------------------------------------
    def targets(self) -> list[str]:
        """The targets the configuration names."""
        return list(self.config.targets)

    def plan(self, target: str, *, no_hooks: bool | None = None) -> list[PlannedHook]:
        """The target's configured hooks in run order, each enabled or not, with the reason.

        Precedence: no-hooks mode (``no_hooks``, else ``<PREFIX>_NO_HOOKS``), then
        ``<PREFIX>_HOOKS_ENABLE``, then the hook's own ``<PREFIX>_HOOK_ENABLE_<NAME>``,
        then ``enable-by-default``.
        """
        self._check_target(target)
        planned: list[PlannedHook] = []
        for config in self.config.hooks_for(target):
            enabled, reason = decide(config, self.environ, self.env_prefix, no_hooks=no_hooks)
            planned.append(PlannedHook(config, enabled=enabled, reason=reason))
        return planned

    def _check_target(self, target: str) -> None:
        if self.known_targets is not None and target not in self.known_targets:
            msg = f"unknown target {target!r}{did_you_mean(target, self.known_targets)}; the targets are: " + ", ".join(
                self.known_targets
            )
            raise LifecycleConfigError(msg, source="target")

    def hooks(
        self, target: str, *, directory: str | None = None, no_hooks: bool | None = None
    ) -> dict[str, LifecycleHook]:
        """Instances of the target's enabled hooks, by name, in run order (one per run).

        Raises:
            LifecycleConfigError: a hook class fails to load or to instantiate.
        """
        build_dir = directory or str(self.root / "dist")
        found: dict[str, LifecycleHook] = {}
        for planned in self.plan(target, no_hooks=no_hooks):
            if not planned.enabled:
                continue
            hook_class = self._hook_class(planned.config)
            arguments = (str(self.root), planned.config.config, target, build_dir, self.metadata, self.messages)
            try:
                found[planned.name] = hook_class(*arguments, name=planned.name)
            except (Exception, SystemExit) as error:
                what = f"creating {hook_class.__qualname__} raised {type(error).__name__}"
                msg = f"hook {planned.name!r}: {what}: {told(error)}"
                raise LifecycleConfigError(msg, source=hook_class.__qualname__, hook=planned.name) from error
        return found

    def dependencies(self, target: str) -> list[str]:
        """Requirements the target's enabled hooks need: their configured ``dependencies``, then ``dependencies()``.

        Raises:
            LifecycleConfigError: a hook's ``dependencies()`` returns something that is not a requirement string.
        """
        found: list[str] = []
        for planned in self.plan(target):
            if planned.enabled:
                found.extend(d for d in planned.config.dependencies if d not in found)
        for name, hook in self.hooks(target).items():
            for requirement in hook.dependencies():
                check_requirement(requirement, f"hook {name!r}: dependencies()")
                if requirement not in found:
                    found.append(requirement)
        return found

    def _hook_class(self, config: HookConfig) -> type[LifecycleHook]:
        if config.path is not None:
            return load_hook_class(resolve_hook_file(self.root, config.path, config.name), config.name)
        registered = self._classes.get(config.name)
        if registered is None:
            known = ", ".join(sorted(self._classes)) or "none"
            msg = (
                f"hook {config.name!r} has no path and no hook class of that name is registered "
                f"(registered: {known}); add path = 'hooks/{config.name}.py' to its table, or register the class"
            )
            raise LifecycleConfigError(msg, source=str(self.config.file), hook=config.name)
        return registered

    # -- running ----------------------------------------------------------------------------
    def run(
        self,
        target: str,
        operation: Operation | None = None,
        *,
        versions: Sequence[str] = ("standard",),
        clean: bool = False,
        clean_only: bool = False,
        clean_after: bool = False,
        hooks_only: bool | None = None,
        no_hooks: bool | None = None,
        directory: str | None = None,
    ) -> RunResult:
        """Run the target's hooks around ``operation`` for each version.

        For each version: a fresh data dict; every hook's ``initialize``; the
        operation (given the data, returning the artifact path); every hook's
        ``finalize``. ``clean`` first calls every hook's ``clean`` with all
        versions (``clean_only`` stops there); ``clean_after`` calls
        ``clean([version])`` after each version's finalize. In hooks-only mode
        only ``initialize`` runs; in no-hooks mode no hook runs (the operation
        does). Both modes default to the ``<PREFIX>_HOOKS_ONLY`` and
        ``<PREFIX>_NO_HOOKS`` variables.

        Raises:
            LifecycleConfigError: both modes at once, or a configuration problem.
            LifecycleHookError: a hook's stage raised (its exception is the cause).
            BuildDataError: a hook broke a rule of the shared data.
        """
        hooks_only, no_hooks = self._modes(hooks_only, no_hooks)
        build_dir = directory or str(self.root / "dist")
        instances = {} if no_hooks else self.hooks(target, directory=build_dir, no_hooks=no_hooks)
        declared = {**self.fields.get("*", {}), **self.fields.get(target, {})}
        rules = DataRules(tuple(instances), declared)
        result = RunResult(target)
        manager = HookManager(LifecycleSpecs)
        for name, hook in instances.items():
            plugin = stage_plugin(hook, name, rules, result.calls)
            manager.register(plugin, name=name, source=f"lifecycle hook {name} ({self.config.file})")
        for monitor in self.monitors:
            manager.add_monitor(monitor)
        if clean or clean_only:
            manager.call.clean(versions=list(versions))
            if clean_only:
                return result
        for version in versions:
            data = rules.fresh()
            result.data[version] = data
            manager.call.initialize(version=version, data=data)
            if not hooks_only:
                artifact = operation(version, data) if operation else os.path.join(build_dir, f"{target}-{version}")
                result.artifacts[version] = artifact
                manager.call.finalize(version=version, data=data, artifact_path=artifact)
            rules.finish(version, data)  # from now on no hook may change this version's data
            if clean_after and not hooks_only:
                manager.call.clean(versions=[version])
        return result

    def _modes(self, hooks_only: bool | None, no_hooks: bool | None) -> tuple[bool, bool]:
        only, only_source = switch(self.environ, f"{self.env_prefix}_HOOKS_ONLY", hooks_only)
        none, none_source = switch(self.environ, f"{self.env_prefix}_NO_HOOKS", no_hooks)
        if only and none:
            only_source = "hooks_only" if only_source == "argument" else only_source
            none_source = "no_hooks" if none_source == "argument" else none_source
            msg = (
                f"hooks-only ({only_source}) and no-hooks ({none_source}) are both on: hooks-only runs only the hooks, "
                "no-hooks runs none; choose one"
            )
            raise LifecycleConfigError(msg, source=f"{only_source}, {none_source}")
        return only, none
