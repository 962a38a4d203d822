"""One lifecycle hook as a plugin of the engine: its three stages, each followed by the data check.

The runner registers one such plugin per enabled hook, under the hook's
name, through ``HookManager.register``; the stages are the hooks ``clean``,
``initialize`` and ``finalize`` of :class:`LifecycleSpecs`. Each stage records
the call, runs the hook's method with the arguments its override takes, and
then checks the shared data, so that a bad change is reported with the name
of the hook that made it.
"""

from __future__ import annotations

import types
from typing import Any, Final

from hookwise._impl import (
    KEYWORD_ONLY,
    POSITIONAL,
    POSITIONAL_ONLY,
    VAR_POSITIONAL,
    hookimpl,
    parameters,
    show_parameters,
)
from hookwise._spec import hookspec
from hookwise._text import told
from hookwise.exceptions import HookwiseError, LifecycleConfigError, LifecycleHookError
from hookwise.lifecycle._data import DataRules, Snapshot
from hookwise.lifecycle._hook import LifecycleHook

STAGES: Final = {
    "clean": ("versions",),
    "initialize": ("version", "data"),
    "finalize": ("version", "data", "artifact_path"),
}
"""Each stage and the arguments the runner calls it with, in order."""

Calls = list[tuple[str, str, str]]


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


def stage_arity(hook: LifecycleHook, name: str, stage: str) -> int:
    """How many of the stage's arguments ``hook``'s method takes (they are passed by position).

    An override may take fewer than the runner passes (``def initialize(self,
    version)``), never more.

    Raises:
        LifecycleConfigError: the override needs more arguments than the
            stage has, or keyword-only ones; the message shows the signature to use.
    """
    names = STAGES[stage]
    found = parameters(getattr(hook, stage))
    if any(p.kind == VAR_POSITIONAL for p in found):  # *args takes them all
        return len(names)
    positional = [p for p in found if p.kind in (POSITIONAL_ONLY, POSITIONAL)]
    required = [p for p in positional if not p.has_default]
    keyword = [p.name for p in found if p.kind == KEYWORD_ONLY and not p.has_default]
    if len(required) > len(names) or keyword:
        msg = (
            f"hook {name!r}: {type(hook).__qualname__}.{stage}({show_parameters(found)}) cannot be called: "
            "the runner passes "
            f"{len(names)} argument(s) by position ({', '.join(names)}); define it as "
            f"def {stage}(self, {', '.join(names)}), or with fewer of them"
        )
        raise LifecycleConfigError(msg, source=type(hook).__qualname__, hook=name)
    return min(len(positional), len(names))


def stage_plugin(hook: LifecycleHook, name: str, rules: DataRules, calls: Calls) -> object:
    """A plugin implementing the three stages for ``hook``: record the call, run the stage, check the data.

    Raises:
        LifecycleConfigError: one of the hook's stage methods cannot take the stage's arguments.
    """
    arity = {stage: stage_arity(hook, name, stage) for stage in STAGES}

    def run(stage: str, version: str, args: tuple[Any, ...]) -> None:
        __tracebackhide__ = True
        calls.append((name, stage, version))
        try:
            getattr(hook, stage)(*args[: arity[stage]])
        except HookwiseError:
            raise  # hookwise's own errors already say which hook
        except (Exception, SystemExit) as error:
            what = "called sys.exit()" if isinstance(error, SystemExit) else "raised"
            msg = f"hook {name!r} {what} in {stage} (version {version}): {type(error).__name__}: {told(error)}"
            raise LifecycleHookError(msg, hook=name, stage=stage, version=version) from error

    @hookimpl(specname="clean")
    def clean(versions: list[str]) -> None:
        run("clean", ",".join(versions), (versions,))
        rules.check_finished(hook=name, stage="clean")

    @hookimpl(specname="initialize")
    def initialize(version: str, data: dict[str, Any]) -> None:
        before = Snapshot(data)
        run("initialize", version, (version, data))
        rules.check(data, before, hook=name, stage="initialize")

    @hookimpl(specname="finalize")
    def finalize(version: str, data: dict[str, Any], artifact_path: str) -> None:
        before = Snapshot(data)
        run("finalize", version, (version, data, artifact_path))
        rules.check(data, before, hook=name, stage="finalize")

    owner = type(hook).__qualname__
    for stage, function in (("clean", clean), ("initialize", initialize), ("finalize", finalize)):
        function.__qualname__ = f"{owner}.{stage}"  # errors name the hook's own method
    return types.SimpleNamespace(clean=clean, initialize=initialize, finalize=finalize)
