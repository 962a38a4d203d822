"""Lifecycle hooks: Hatchling's build-hook model, for any host, on the hookwise engine.

Hooks are classes with ``clean``, ``initialize`` and ``finalize``; a runner
finds them in ``pyproject.toml`` (or in code, or through entry points), decides
which run from configuration and environment switches, and calls them around
an operation for each version, with one shared, checked data dict per version.
"""

from hookwise.lifecycle._data import Field
from hookwise.lifecycle._hook import App, LifecycleHook
from hookwise.lifecycle._runner import LifecycleRunner, Operation, PlannedHook, RunResult
from hookwise.lifecycle._stages import LifecycleSpecs

__all__ = [
    "App",
    "Field",
    "LifecycleHook",
    "LifecycleRunner",
    "LifecycleSpecs",
    "Operation",
    "PlannedHook",
    "RunResult",
]
