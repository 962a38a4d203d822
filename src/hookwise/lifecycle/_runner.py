"""The lifecycle runner: which hooks run, in what order, around an operation, on the hookwise engine."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, cast, final

from hookwise._impl import ImplOptions, Style
from hookwise._manager import HookManager
from hookwise._spec import hookspec
from hookwise._tracing import Monitor, TraceEvent
from hookwise.exceptions import LifecycleConfigError
from hookwise.lifecycle._config import HookConfig, ProjectConfig, check_requirement, env_flag, env_name
from hookwise.lifecycle._data import DataRules, Field, Snapshot
from hookwise.lifecycle._hook import App, LifecycleHook
from hookwise.lifecycle._loading import load_hook_class, resolve_hook_file

Operation = Callable[[str, dict[str, Any]], str]
"""What a run wraps: ``operation(version, data)`` produces one version and returns its artifact's path."""

STAGES: Final = ("clean", "initialize", "finalize")


class LifecycleSpecs:
    """The three stages, as hook specs: every lifecycle hook implements them (the defaults do nothing)."""

    @hookspec(kind="observe")
    def clean(self, versions: list[str]) -> None:
        """Remove what earlier runs left."""

    @hookspec(kind="observe")
    def initialize(self, version: str, data: dict[str, Any]) -> None:
        """Before the operation, for one version."""

    @hookspec(kind="observe")
    def finalize(self, version: str, data: dict[str, Any], artifact_path: str) -> None:
        """After the operation, for one version."""


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
        self.name = config.name
        self.scope = config.scope
        self.config = config
        self.enabled = enabled
        self.reason = reason

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
        self.target = target
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


class _Stages:
    """A monitor that records each hook call and checks the data after each hook."""

    def __init__(self, rules: DataRules, result: RunResult) -> None:
        self.rules = rules
        self.result = result
        self.before: dict[str, tuple[dict[str, Any], Snapshot]] = {}  # hook -> (its data, as it was)

    def __call__(self, event: TraceEvent) -> None:
        stage, hook = event.hook, event.plugin
        if hook is None:  # a call event, not an implementation's
            return
        if event.phase == "impl_start":
            arguments = event.arguments or {}
            if stage == "clean":
                version = ",".join(arguments["versions"])
            else:
                version = arguments["version"]
                self.before[hook] = (arguments["data"], Snapshot(arguments["data"]))
            self.result.calls.append((hook, stage, version))
        elif event.phase == "impl_end" and stage != "clean":
            data, snapshot = self.before.pop(hook)
            if event.error is None:
                self.rules.check(data, snapshot, hook=hook, stage=stage)


class LifecycleRunner:
    """Runs a project's lifecycle hooks around an operation, for a host (seeds 000, 001, 003).

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
    ) -> None:
        self.app = app
        self.monitors = list(monitors)
        self.root = Path(root)
        self.env_prefix = env_prefix or app.upper().replace("-", "_").replace(".", "_")
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.fields = {target: dict(declared) for target, declared in (fields or {}).items()}
        self.metadata = dict(metadata or {})
        self.messages = messages
        self._classes: dict[str, type[LifecycleHook]] = {}
        self.config = ProjectConfig.load(self.root, app)

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
        """Make the hook classes an entry-point group advertises available; return their names."""
        from importlib.metadata import entry_points

        names: list[str] = []
        for entry_point in entry_points(group=group):
            hook_class = entry_point.load()
            if not (isinstance(hook_class, type) and issubclass(hook_class, LifecycleHook)):
                msg = f"entry point {entry_point.name} = {entry_point.value} [{group}] is not a LifecycleHook subclass"
                raise LifecycleConfigError(msg, source=group, hook=entry_point.name)
            names.append(self.register_hook(hook_class, hook_class.PLUGIN_NAME or entry_point.name))
        return names

    # -- what runs ------------------------------------------------------------------------
    def targets(self) -> list[str]:
        """The targets the configuration names."""
        return list(self.config.targets)

    def plan(self, target: str, *, no_hooks: bool | None = None) -> list[PlannedHook]:
        """The target's configured hooks in run order, each enabled or not, with the reason.

        Precedence: no-hooks, then ``<PREFIX>_HOOKS_ENABLE``, then the hook's own
        ``<PREFIX>_HOOK_ENABLE_<NAME>``, then ``enable-by-default``.
        """
        no_hooks_variable = f"{self.env_prefix}_NO_HOOKS"
        if no_hooks is None:
            no_hooks = bool(env_flag(self.environ, no_hooks_variable))
            no_hooks_reason = f"{no_hooks_variable}={self.environ.get(no_hooks_variable)}: no hooks run"
        else:
            no_hooks_reason = "no hooks run (no-hooks mode)"
        all_variable = f"{self.env_prefix}_HOOKS_ENABLE"
        enable_all = env_flag(self.environ, all_variable)
        planned: list[PlannedHook] = []
        for config in self.config.hooks_for(target):
            variable = env_name(self.env_prefix, config.name)
            enable_one = env_flag(self.environ, variable)
            if no_hooks:
                planned.append(PlannedHook(config, enabled=False, reason=no_hooks_reason))
            elif enable_all:
                reason = f"{all_variable}={self.environ[all_variable]}: every hook"
                planned.append(PlannedHook(config, enabled=True, reason=reason))
            elif enable_one is not None:
                planned.append(PlannedHook(config, enabled=enable_one, reason=f"{variable}={self.environ[variable]}"))
            else:
                default = "true" if config.enable_by_default else "false"
                origin = "configuration" if "enable-by-default" in config.options else "default"
                reason = f"enable-by-default = {default} ({origin})"
                planned.append(PlannedHook(config, enabled=config.enable_by_default, reason=reason))
        return planned

    def hooks(self, target: str, *, directory: str | None = None) -> dict[str, LifecycleHook]:
        """Instances of the target's enabled hooks, by name, in run order (one per run)."""
        build_dir = directory or str(self.root / "dist")
        return {
            planned.name: self._hook_class(planned.config)(
                str(self.root),
                planned.config.config,
                target,
                build_dir,
                self.metadata,
                self.messages,
                name=planned.name,
            )
            for planned in self.plan(target)
            if planned.enabled
        }

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
            BuildDataError: a hook broke a rule of the shared data.
        """
        hooks_only, no_hooks = self._modes(hooks_only, no_hooks)
        build_dir = directory or str(self.root / "dist")
        instances = {} if no_hooks else self.hooks(target, directory=build_dir)
        declared = {**self.fields.get("*", {}), **self.fields.get(target, {})}
        rules = DataRules(tuple(instances), declared)
        result = RunResult(target)
        manager = HookManager(LifecycleSpecs)
        for name, hook in instances.items():
            found: list[tuple[str, ImplOptions, Callable[..., Any], Style]] = [
                (stage, ImplOptions(), getattr(hook, stage), "positional") for stage in STAGES
            ]
            source = f"lifecycle hook {name} ({self.config.file})"
            manager._register_found(hook, name, found, source)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage]
        manager.add_monitor(_Stages(rules, result))
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
            if hooks_only:
                continue
            artifact = operation(version, data) if operation else os.path.join(build_dir, f"{target}-{version}")
            result.artifacts[version] = artifact
            manager.call.finalize(version=version, data=data, artifact_path=artifact)
            if clean_after:
                manager.call.clean(versions=[version])
        return result

    def _modes(self, hooks_only: bool | None, no_hooks: bool | None) -> tuple[bool, bool]:
        only_variable, none_variable = f"{self.env_prefix}_HOOKS_ONLY", f"{self.env_prefix}_NO_HOOKS"
        only_source = only_variable if hooks_only is None else "hooks_only"
        none_source = none_variable if no_hooks is None else "no_hooks"
        hooks_only = bool(env_flag(self.environ, only_variable)) if hooks_only is None else hooks_only
        no_hooks = bool(env_flag(self.environ, none_variable)) if no_hooks is None else no_hooks
        if hooks_only and no_hooks:
            msg = (
                f"hooks-only ({only_source}) and no-hooks ({none_source}) are both on: hooks-only runs only the hooks, "
                "no-hooks runs none; choose one"
            )
            raise LifecycleConfigError(msg, source=f"{only_source}, {none_source}")
        return hooks_only, no_hooks
