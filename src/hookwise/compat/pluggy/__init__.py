"""pluggy's public API on the hookwise engine.

Hosts and plugins written for pluggy move to hookwise by changing one import::

    import pluggy                             # before
    from hookwise.compat import pluggy        # after

Markers, the plugin manager, hook callers, results, wrappers (new- and
old-style), historic hooks, ``call_extra``, subset callers, monitoring and
tracing behave as pluggy 1.6 documents them, with the same exception types and
messages, and the same module layout (``_hooks``, ``_manager``, ``_callers``,
``_result``, ``_tracing``, ``_warnings``). Each hook's implementations are
called by the hookwise engine, in pluggy's order (last registered first,
tryfirst and trylast bands, wrappers around them); hookwise's monitors, budgets
and tracing attach with ``PluginManager.add_monitor`` and the manager's
``budget``/``detect_reentry`` options. Differences are listed in the migration
guide (``docs/migrating-from-pluggy.md``).
"""

from hookwise.compat.pluggy._hooks import (
    HookCaller,
    HookImpl,
    HookimplMarker,
    HookimplOpts,
    HookRelay,
    HookspecMarker,
    HookspecOpts,
)
from hookwise.compat.pluggy._manager import PluginManager, PluginValidationError
from hookwise.compat.pluggy._result import HookCallError, Result
from hookwise.compat.pluggy._warnings import PluggyTeardownRaisedWarning, PluggyWarning

__version__ = "1.6.0"
"""The version of pluggy's API this layer offers."""

__all__ = [
    "HookCallError",
    "HookCaller",
    "HookImpl",
    "HookRelay",
    "HookimplMarker",
    "HookimplOpts",
    "HookspecMarker",
    "HookspecOpts",
    "PluggyTeardownRaisedWarning",
    "PluggyWarning",
    "PluginManager",
    "PluginValidationError",
    "Result",
    "__version__",
]
