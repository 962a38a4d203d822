"""How a pluggy hook call reaches the implementations: straight to the engine, or through ``hook_execute``.

A manager's hook callers share a :class:`Route`. With nothing wrapped around
the manager's executor, a call goes straight to its hook's engine (and a hot
hook's compiled caller becomes the caller's own ``__call__``: the *front*).
With hookcall monitoring on (``add_hookcall_monitoring``, ``enable_tracing``)
pluggy runs every call through ``hook_execute``; when that is one of this
layer's monitors around the manager's own executor, each caller's front runs
the monitor's ``before`` and ``after`` around the engine's caller, with none
of the executor chain's frames in between (``_hooks._MonitoredHookCaller``).
``call_extra``'s implementations (:class:`Impls`) keep their own caller.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, final

from hookwise._guardrails import hidden_from_pytest
from hookwise.compat.pluggy._callers import NO_NAMES, check_plain, interned, keyword_caller, needed_by
from hookwise.compat.pluggy._result import Result

if TYPE_CHECKING:
    from _thread import RLock

    from hookwise._engine import HookEngine, Instrumentation
    from hookwise._spec import HookSpec as EngineSpec
    from hookwise.compat.pluggy._hooks import HookCaller, HookImpl

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's

BeforeTrace = Callable[[str, Sequence["HookImpl"], Mapping[str, object]], None]
AfterTrace = Callable[[Result[Any], str, Sequence["HookImpl"], Mapping[str, object]], None]
HookcallMonitor = tuple[BeforeTrace, AfterTrace]
"""One ``add_hookcall_monitoring`` call's ``before`` and ``after``."""


@final
class Route:
    """How a manager's hook callers call: directly, or through one of the manager's monitors, or neither.

    ``direct``: nothing wraps the executor, callers may call their engines
    directly. ``monitor``: exactly one monitor of this layer wraps the
    manager's own executor (callers run it in their front). ``generation``
    counts changes of hookwise's own monitors (``call_extra``'s callers are
    made again).
    """

    __slots__ = ("callers", "direct", "generation", "lock", "make_engine", "monitor")

    def __init__(self, lock: RLock, make_engine: Callable[[str], HookEngine] | None = None) -> None:
        self.lock: RLock = lock  # the manager's
        self.make_engine: Callable[[str], HookEngine] | None = (
            make_engine  # a hook's engine, made (under the lock) when it is first called
        )
        self.direct: bool = True
        self.monitor: HookcallMonitor | None = None
        self.generation: int = 0
        self.callers: list[HookCaller] = []  # those that may take a front

    def set_direct(self, direct: bool, monitor: HookcallMonitor | None = None) -> None:
        """Hookcall monitoring came or went (under the manager's lock): every caller's front follows."""
        self.direct, self.monitor = direct, monitor
        for caller in self.callers:
            caller.rerouted(self)


class Impls(list["HookImpl"]):
    """The implementations handed to ``hook_execute``, with what calls exactly them.

    ``engine`` is a hook caller's own engine; other lists (``call_extra``'s,
    a historic replay's) have none, and keep the function made for them in ``run`` (with the
    manager's monitor ``generation`` it was made for), so that calling again
    with the same extra functions compiles nothing; ``needed`` are the
    arguments their plain implementations take, ``required`` those and what
    the hook caller requires.
    """

    __slots__ = ("__weakref__", "engine", "generation", "needed", "required", "run")

    def __init__(self, impls: Sequence[HookImpl], engine: HookEngine | None) -> None:
        super().__init__(impls)
        self.engine: HookEngine | None = engine
        self.generation: int = -1
        self.run: Callable[..., Any] | None = None
        self.needed: AbstractSet[str] = NO_NAMES
        self.required: AbstractSet[str] = NO_NAMES

    @classmethod
    def of(cls, impls: Sequence[HookImpl], required: AbstractSet[str] = NO_NAMES) -> Impls:
        """Implementations that are not a hook caller's own (``call_extra``'s, a historic replay's), called by
        ``hook_execute`` as one list; a call must give ``required`` and what they take."""
        made = cls(impls, None)
        made.needed = needed_by(impls)
        made.required = interned(required | made.needed)
        return made

    def prepare(
        self,
        hook_name: str,
        firstresult: bool,
        instrumentation: Callable[[EngineSpec[..., Any]], Instrumentation | None],
        generation: int,
    ) -> Callable[..., Any]:
        """Make ``run`` for the monitors of ``generation``: interpreted, replaced by the compiled caller later."""

        me = weakref.ref(self)  # no cycle: a replay's implementations go with their last call, without the GC

        def compiled(function: Callable[..., Any]) -> None:
            impls = me()
            if impls is not None and impls.generation == generation:  # not made again for other monitors meanwhile
                impls.run = function

        run = keyword_caller(hook_name, self, firstresult, instrumentation, compiled)
        self.run, self.generation = run, generation
        return run

    def check(self, kwargs: Mapping[str, object]) -> None:
        """pluggy's error for an argument a plain implementation takes and the call leaves out."""
        check_plain(kwargs, self.needed, self)


def monitoring(monitor: HookcallMonitor, inner: Callable[..., object]) -> Callable[..., object]:
    """pluggy's ``traced_hookexec``: ``before``, the call through ``inner`` (the executor it wraps), ``after``."""
    before, after = monitor

    def traced_hookexec(
        hook_name: str, hook_impls: Sequence[HookImpl], caller_kwargs: Mapping[str, object], firstresult: bool
    ) -> object:
        before(hook_name, hook_impls, caller_kwargs)
        try:  # Result.from_call, without two frames per call
            outcome: Result[object] = Result(inner(hook_name, hook_impls, caller_kwargs, firstresult), None)
        except BaseException as error:  # noqa: BLE001 - handed to ``after``, then raised again, as pluggy does
            outcome = Result(None, error)
        after(outcome, hook_name, hook_impls, caller_kwargs)
        return outcome.get_result()

    return traced_hookexec
