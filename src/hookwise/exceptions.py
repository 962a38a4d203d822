"""Every exception and warning hookwise raises.

All errors derive from :class:`HookwiseError`; where the meaning matches a
built-in exception, they inherit that too (a bad spec is a ``TypeError``, a
duplicate plugin name a ``ValueError``), so existing ``except`` clauses keep
working.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "BudgetExceededError",
    "BudgetWarning",
    "BuildDataError",
    "CommandError",
    "DisabledPluginWarning",
    "EntryPointError",
    "EntryPointWarning",
    "EventDefinitionError",
    "EventError",
    "EventStoreError",
    "HookCallError",
    "HookErrorGroup",
    "HookResultError",
    "HookwiseError",
    "HookwiseWarning",
    "LifecycleConfigError",
    "LifecycleHookError",
    "MonitorWarning",
    "OperationVetoed",
    "OrderCycleError",
    "PluginValidationError",
    "PublishError",
    "ReentrancyError",
    "RegistrationError",
    "SpecError",
    "TargetError",
]


class HookwiseError(Exception):
    """Base class of every error hookwise raises."""


class SpecError(HookwiseError, TypeError):
    """A hook specification is malformed or conflicts with another one.

    Attributes:
        hook: the name of the hook the spec declares.
    """

    def __init__(self, message: str, *, hook: str) -> None:
        super().__init__(message)
        self.hook = hook


class PluginValidationError(HookwiseError, TypeError):
    """A plugin's hook implementation does not fit its hook specification.

    Raised at registration; nothing of the plugin stays registered.

    Attributes:
        plugin: the name the plugin was being registered under.
        hook: the hook the offending implementation is for.
    """

    def __init__(self, message: str, *, plugin: str, hook: str) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.hook = hook


class RegistrationError(HookwiseError, ValueError):
    """A plugin cannot be registered or unregistered (duplicate or unknown name).

    Attributes:
        plugin: the plugin name involved.
    """

    def __init__(self, message: str, *, plugin: str) -> None:
        super().__init__(message)
        self.plugin = plugin


class OrderCycleError(HookwiseError, ValueError):
    """``before=``/``after=`` constraints of a hook's implementations form a cycle.

    Raised by the registration that closes the cycle; that registration is
    undone.

    Attributes:
        hook: the hook whose order cannot be computed.
        cycle: the plugin names on the cycle, in constraint order, the first
            repeated at the end (``("a", "b", "a")``).
    """

    def __init__(self, message: str, *, hook: str, cycle: Sequence[str]) -> None:
        super().__init__(message)
        self.hook = hook
        self.cycle: tuple[str, ...] = tuple(cycle)


class EntryPointError(HookwiseError, ImportError):
    """An entry point failed to import, load or register; the original exception is chained.

    Attributes:
        group: the entry-point group.
        entry_point: the entry point's name.
        distribution: the distribution that advertises it.
        version: that distribution's version.
    """

    def __init__(self, message: str, *, group: str, entry_point: str, distribution: str, version: str) -> None:
        super().__init__(message)
        self.group = group
        self.entry_point = entry_point
        self.distribution = distribution
        self.version = version


class LifecycleConfigError(HookwiseError, ValueError):
    """Lifecycle hooks are configured wrongly: a table, a key, a hook file, or an environment variable.

    Attributes:
        source: what holds the mistake: the configuration file, the hook file, or the variable's name.
        hook: the hook concerned, if any.
    """

    def __init__(self, message: str, *, source: str, hook: str | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.hook = hook


class LifecycleHookError(HookwiseError):
    """A lifecycle hook's stage raised (or called ``sys.exit``); the run stopped there.

    The hook's own exception is the ``__cause__``: nothing of it is lost.

    Attributes:
        hook: the hook that raised.
        stage: ``"clean"``, ``"initialize"`` or ``"finalize"``.
        version: the version being produced (versions joined by commas for ``clean``).
    """

    def __init__(self, message: str, *, hook: str, stage: str, version: str) -> None:
        super().__init__(message)
        self.hook = hook
        self.stage = stage
        self.version = version


class BuildDataError(HookwiseError, TypeError):
    """A lifecycle hook left the shared data in a state its fields do not allow.

    Attributes:
        hook: the hook that did it.
        stage: ``"clean"``, ``"initialize"`` or ``"finalize"``.
        field: the data field concerned.
    """

    def __init__(self, message: str, *, hook: str, stage: str, field: str) -> None:
        super().__init__(message)
        self.hook = hook
        self.stage = stage
        self.field = field


class TargetError(HookwiseError, LookupError):
    """A ``module:attribute`` target (of ``hookwise inspect`` or ``explain``) that cannot be imported, or
    names something that is not a manager, a function returning one, or a spec class."""


class CommandError(HookwiseError):
    """The ``hookwise`` command was given something it cannot work with: a project directory that does not
    exist, an unknown target, a file it cannot write."""


class HookCallError(HookwiseError, TypeError):
    """A hook was called with arguments that do not match its specification.

    Attributes:
        hook: the hook called.
    """

    def __init__(self, message: str, *, hook: str) -> None:
        super().__init__(message)
        self.hook = hook


class HookResultError(HookwiseError, TypeError):
    """An implementation returned something its hook's kind does not allow.

    For example a ``Veto`` from an observe (after-) hook, a ``Patch`` of a key
    that is not a parameter of the hook, or a wrapper that yields twice. The
    hook's error policy applies to it like to any exception an implementation
    raises.

    Attributes:
        plugin: the plugin whose implementation misbehaved.
        hook: the hook being called.
    """

    def __init__(self, message: str, *, plugin: str, hook: str) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.hook = hook


class _OverBudget(Exception):
    """What both budget reports carry: the slow plugin, the hook, and the duration in seconds."""

    def __init__(self, message: str, *, plugin: str, hook: str, duration: float) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.hook = hook
        self.duration = duration


class BudgetExceededError(_OverBudget, HookwiseError, TimeoutError):
    """An implementation ran over its hook's time budget (``on_budget="error"``).

    It is raised as the implementation's own exception, so the hook's error
    policy applies (an intercept hook's ``veto`` policy turns it into a veto).

    Attributes:
        plugin: the slow plugin.
        hook: the hook.
        duration: how long the implementation took, in seconds.
    """


class ReentrancyError(HookwiseError, RecursionError):
    """A hook was called again while it was running further up the same call stack.

    The message shows the chain of hooks, and the plugin running at each step
    once the error has propagated through that step's hook.

    Attributes:
        hook: the re-entered hook.
        chain: the hooks on the call stack, outermost first, ending with the re-entered one.
        plugins: for each step of the chain but the last, the plugin that was running (or None).
    """

    def __init__(self, advice: str, *, hook: str, chain: Sequence[str]) -> None:
        super().__init__(advice)
        self.advice = advice
        self.hook = hook
        self.chain: tuple[str, ...] = tuple(chain)
        self.plugins: list[str | None] = [None] * (len(self.chain) - 1)
        self._steps_seen = 0

    def add_step(self, hook: str, plugin: str) -> None:
        """Record the plugin running at the next step up the chain (called as the error propagates)."""
        index = len(self.plugins) - 1 - self._steps_seen
        if index >= 0 and self.chain[index] == hook:
            self.plugins[index] = plugin
            self._steps_seen += 1

    def __str__(self) -> str:
        steps = [
            f"{hook!r} (in plugin {plugin!r})" if plugin else repr(hook)
            for hook, plugin in zip(self.chain, [*self.plugins, None], strict=True)
        ]
        return f"hook {self.hook!r} was called again while it is running: {' -> '.join(steps)}; {self.advice}"


class OperationVetoed(HookwiseError):
    """An operation was vetoed by an intercept hook.

    Raise it from the operation (``raise OperationVetoed(result.reason)``), or
    let :meth:`hookwise.DispatchResult.raise_if_vetoed` raise it with the
    vetoing plugin filled in.

    Attributes:
        reason: the veto's reason.
        plugin: the plugin that vetoed, when known.
        hook: the hook that was dispatched, when known.
    """

    def __init__(self, reason: str | None = None, *, plugin: str | None = None, hook: str | None = None) -> None:
        reason = reason or "vetoed"
        super().__init__(reason)
        self.reason = reason
        self.plugin = plugin
        self.hook = hook

    def __str__(self) -> str:
        from hookwise._text import told

        reason = told(self.reason)  # the whole reason stays in .reason
        if self.plugin is None:
            return reason
        where = f" in hook {self.hook!r}" if self.hook else ""
        return f"{reason} (vetoed by plugin {self.plugin!r}{where})"


class HookErrorGroup(ExceptionGroup[Exception]):
    """Every failure of a hook call under the ``isolate`` error policy.

    Raised once the call has finished (every implementation ran, or a veto or
    a first result ended it) if at least one implementation raised. Each
    exception carries a note naming its plugin and the hook.

    Attributes:
        hook: the hook called.
        plugins: the failing plugins, in call order, one per exception.
        partial: what the call produced from the implementations that did not
            fail (the list for collect, the value for first, the
            ``DispatchResult`` for intercept, ``None`` for observe).
    """

    hook: str
    plugins: tuple[str, ...]
    partial: Any

    def __new__(
        cls,
        message: str,
        exceptions: Sequence[Exception],
        *,
        hook: str = "",
        plugins: Sequence[str] = (),
        partial: Any = None,
    ) -> HookErrorGroup:
        del hook, plugins, partial  # set by __init__; ExceptionGroup.__new__ takes two arguments
        return super().__new__(cls, message, exceptions)

    def __init__(
        self,
        message: str,
        exceptions: Sequence[Exception],
        *,
        hook: str = "",
        plugins: Sequence[str] = (),
        partial: Any = None,
    ) -> None:
        super().__init__(message, exceptions)
        self.hook = hook
        self.plugins = tuple(plugins)
        self.partial = partial

    def derive(self, excs: Sequence[Exception]) -> HookErrorGroup:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        """Keep the group's attributes when ``except*`` splits it; ``plugins`` keeps the kept exceptions' plugins."""
        kept = {id(error) for error in excs}
        plugins = [plugin for error, plugin in zip(self.exceptions, self.plugins, strict=False) if id(error) in kept]
        return HookErrorGroup(self.message, excs, hook=self.hook, plugins=plugins, partial=self.partial)


class EventError(HookwiseError):
    """Base class of the errors of ``hookwise.events``.

    Attributes:
        event: the event's name (or class) concerned, if any.
    """

    def __init__(self, message: str, *, event: str = "") -> None:
        super().__init__(message)
        self.event = event


class EventDefinitionError(EventError, TypeError):
    """An event class is declared wrongly (no name, a bad version), or stored fields do not fit it."""


class PublishError(EventError):
    """An event cannot be published: a field that is not primitive data, or a store that refuses the write
    (read-only, full); nothing was published."""


class EventStoreError(EventError):
    """An event store cannot be used: an unknown URL scheme, a file that is not a store, a server that does
    not answer."""


class HookwiseWarning(UserWarning):
    """Base class of the warnings hookwise issues."""


class BudgetWarning(_OverBudget, HookwiseWarning):
    """An implementation ran over its hook's time budget (``on_budget="warn"``, the default).

    Attributes:
        plugin: the slow plugin.
        hook: the hook.
        duration: how long the implementation took, in seconds.
    """


class DisabledPluginWarning(HookwiseWarning):
    """A distribution named in a disable list is not installed (a typo, or an uninstalled plugin)."""


class EntryPointWarning(HookwiseWarning):
    """An entry point failed to load and was skipped (``on_error="warn"``)."""


class MonitorWarning(HookwiseWarning):
    """A monitor raised while a hook call was running; the call went on without it.

    A monitor watches calls and never changes them: what it raised is neither
    blamed on a plugin nor allowed to fail the call. It is reported once the
    call ends, at the code that made the call.

    Attributes:
        monitor: the monitor that raised.
        hook: the hook being called.
        phase: the event it was handling (``"call_start"``, ``"impl_start"``, ...).
        error: the exception it raised, with its traceback.
    """

    def __init__(self, message: str, *, monitor: object, hook: str, phase: str, error: BaseException) -> None:
        super().__init__(message)
        self.monitor = monitor
        self.hook = hook
        self.phase = phase
        self.error = error
