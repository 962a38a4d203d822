"""hookwise: typed, explainable, fast hooks for extensible Python applications.

Declare hook points with :func:`hookspec` (or :meth:`HookManager.add_spec`),
implement them with :func:`hookimpl`, register plugins on a
:class:`HookManager`, and call hooks through ``manager.call``.

PYTEST_DONT_REWRITE: this module has no asserts for pytest to rewrite, and it is
imported before pytest loads hookwise's plugin when ``hookwise.compat.pluggy``
stands in for pluggy (pytest would warn that it cannot rewrite it).
"""

from typing import TYPE_CHECKING, Any

from hookwise._caller import HookCaller
from hookwise._discovery import (
    load_entry_points,
    naming_advice,
    register_project_hooks,
    register_settings,
)
from hookwise._impl import HandlerOptions, HookImpl, ImplementationOptions, ImplOptions, hookimpl
from hookwise._manager import HookManager
from hookwise._order import Explanation, OrderEntry
from hookwise._plugins import PluginInfo
from hookwise._results import (
    Allow,
    AllowedResult,
    CallRecord,
    DispatchResult,
    HookResponse,
    Patch,
    PatchConflict,
    PluginResult,
    Veto,
    VetoedResult,
)
from hookwise._spec import ErrorPolicy, GuardrailOptions, HookCall, HookSpec, Kind, OnBudget, hookspec
from hookwise._tracing import CallSpan, HookStats, ImplSpan, Monitor, TraceEvent, TraceRecorder
from hookwise.exceptions import (
    BudgetExceededError,
    BudgetWarning,
    BuildDataError,
    CommandError,
    DisabledPluginWarning,
    EntryPointError,
    EntryPointWarning,
    EventDefinitionError,
    EventError,
    EventStoreError,
    HookCallError,
    HookErrorGroup,
    HookResultError,
    HookwiseError,
    HookwiseWarning,
    LifecycleConfigError,
    LifecycleHookError,
    MonitorWarning,
    OperationVetoed,
    OrderCycleError,
    PluginValidationError,
    PublishError,
    ReentrancyError,
    RegistrationError,
    SpecError,
    TargetError,
)

if TYPE_CHECKING:
    from hookwise.lifecycle import Field, LifecycleHook, LifecycleRunner

    __version__: str

_LIFECYCLE = ("Field", "LifecycleHook", "LifecycleRunner")


def __getattr__(name: str) -> Any:
    """``hookwise.__version__`` and the lifecycle names, loaded on first use (``import hookwise`` stays fast)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("hookwise")
    if name in _LIFECYCLE:
        import hookwise.lifecycle

        return getattr(hookwise.lifecycle, name)
    msg = f"module 'hookwise' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "Allow",
    "AllowedResult",
    "BudgetExceededError",
    "BudgetWarning",
    "BuildDataError",
    "CallRecord",
    "CallSpan",
    "CommandError",
    "DisabledPluginWarning",
    "DispatchResult",
    "EntryPointError",
    "EntryPointWarning",
    "ErrorPolicy",
    "EventDefinitionError",
    "EventError",
    "EventStoreError",
    "Explanation",
    "Field",
    "GuardrailOptions",
    "HandlerOptions",
    "HookCall",
    "HookCallError",
    "HookCaller",
    "HookErrorGroup",
    "HookImpl",
    "HookManager",
    "HookResponse",
    "HookResultError",
    "HookSpec",
    "HookStats",
    "HookwiseError",
    "HookwiseWarning",
    "ImplOptions",
    "ImplSpan",
    "ImplementationOptions",
    "Kind",
    "LifecycleConfigError",
    "LifecycleHook",
    "LifecycleHookError",
    "LifecycleRunner",
    "Monitor",
    "MonitorWarning",
    "OnBudget",
    "OperationVetoed",
    "OrderCycleError",
    "OrderEntry",
    "Patch",
    "PatchConflict",
    "PluginInfo",
    "PluginResult",
    "PluginValidationError",
    "PublishError",
    "ReentrancyError",
    "RegistrationError",
    "SpecError",
    "TargetError",
    "TraceEvent",
    "TraceRecorder",
    "Veto",
    "VetoedResult",
    "__version__",
    "hookimpl",
    "hookspec",
    "load_entry_points",
    "naming_advice",
    "register_project_hooks",
    "register_settings",
]
