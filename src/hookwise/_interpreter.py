"""The reference interpreter: a hook's documented semantics as plain loops over a :class:`CallPlan`.

It is the specification the generated callers are tested against (a
hypothesis test drives both over every kind, policy, wrapper count, shape and
instrumentation and compares what they return, raise, record and report), and
it is how a hook runs right after its implementations change: a new plan is
interpreted at once, and compiled only once it has been called a few times
unchanged (``_engine.py``). Registering and calling in turn therefore costs a
loop per call, not a compilation.

A call has three layers, as the generated caller has: the call's frame
(:func:`interpret`: instrumentation ``enter``/``leave``), the wrappers
(:func:`_wrapped`), and the implementations (:func:`_plain`). Each layer has
a sync function and an async twin that differ only by their ``await``\\ s;
what happens to each implementation's result is written once, in
:class:`_Call`.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, Final, Protocol, final

from hookwise._guardrails import hidden_from_pytest
from hookwise._impl import HookImpl
from hookwise._instrumentation import CallFrame
from hookwise._outcomes import InterceptState, Outcomes
from hookwise._plan import CallPlan
from hookwise._results import Allow, AllowedResult, DispatchResult, PluginResult

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's

Provenance = list[PluginResult[Any]] | None

_NO_RESULT: Final = object()


def _call(impl: HookImpl, args: dict[str, Any], context: Any) -> Any:
    """Call one implementation with just the arguments it takes."""
    if impl.style == "mapping":
        return impl.function(context)
    if impl.kwonly:
        return impl.function(*map(args.__getitem__, impl.argnames), **{k: args[k] for k in impl.kwonly})
    return impl.function(*map(args.__getitem__, impl.argnames))


@final
class _Call:
    """One interpreted call of the plain implementations: what they returned so far, and what it means."""

    __slots__ = ("args", "collected", "context", "errors", "kind", "outcomes", "plan", "provenance", "state")

    def __init__(self, plan: CallPlan, outcomes: Outcomes, args: dict[str, Any], provenance: Provenance) -> None:
        self.plan = plan
        self.outcomes = outcomes
        self.kind = plan.spec.kind
        self.args = args
        self.context: Any = (
            types.MappingProxyType(dict(args)) if any(impl.style == "mapping" for impl in plan.impls) else None
        )
        self.provenance = provenance
        self.collected: list[Any] = []
        self.state: InterceptState | None = None
        self.errors: list[tuple[int, Exception]] | None = None

    def took(self, index: int, impl: HookImpl, result: Any) -> bool:
        """Implementation ``index`` returned ``result`` (not None); return whether the call ends here.

        Raises what the implementation's answer is wrong with (a veto from an
        after-hook, a patch of an unknown key): the hook's error policy applies.
        """
        if self.provenance is not None:
            self.provenance.append(PluginResult(impl.plugin_name, result))
        kind = self.kind
        if kind == "collect":
            self.collected.append(result)
            return False
        if kind == "first":
            return True
        if kind == "observe":
            self.outcomes.observed(index, result)
            return False
        if result.__class__ is Allow:
            return False
        self.state = self.outcomes.respond(self.state, index, result, dict(self.args))
        return self.state.vetoed

    def patched(self) -> None:
        """After an intercept answer that did not veto: later implementations see the patched arguments."""
        if self.state is not None:
            self.args = dict(self.state.args)
            if self.context is not None:
                self.context = self.state.context

    def failed(
        self, index: int, error: BaseException, frame: CallFrame | None, started: float | None
    ) -> DispatchResult | None:
        """Implementation ``index`` raised: re-raise (``raise``), a veto (``veto``), or go on (``isolate``: None)."""
        policy = self.plan.spec.policy
        if policy == "isolate":
            self.errors = self.outcomes.isolate(self.errors, index, error, frame, started)
            return None
        if policy == "veto":
            return self.outcomes.veto_error(index, error, self.state, dict(self.args), frame, started)
        self.outcomes.raised(index, error, frame, started)
        raise error

    def end(self, result: Any = _NO_RESULT) -> Any:
        """The call's value: the first result or the veto it ended with, or what the kind gathers."""
        if result is _NO_RESULT:
            if self.kind == "collect":
                result = self.collected
            elif self.kind == "intercept":
                state = self.state
                result = AllowedResult(self.plan.spec.name, dict(self.args)) if state is None else state.result()
            else:
                result = None
        elif self.kind == "intercept":
            assert self.state is not None  # noqa: S101 - an intercept call ends early only on a veto
            result = self.state.result()
        return self.outcomes.done(self.errors, result) if self.errors else result


def _start(plan: CallPlan, frame: CallFrame | None, impl: HookImpl) -> float:
    """An implementation starts: its event (monitored hooks) and its start time (timed or monitored hooks)."""
    instrumentation = plan.instrumentation
    assert instrumentation is not None  # noqa: S101 - only timed plans start a clock
    return instrumentation.impl_start(frame if instrumentation.reports else None, impl)


def _tight(plan: CallPlan, outcomes: Outcomes, args: dict[str, Any]) -> Any:
    """The implementations of a simple plan (:attr:`CallPlan.simple`), in turn."""
    kind = plan.spec.kind
    collected: list[Any] = []
    get = args.__getitem__
    index = 0
    try:
        for index, impl in enumerate(plan.impls):
            result = impl.function(*map(get, impl.argnames))
            if result is not None:
                if kind == "collect":
                    collected.append(result)
                elif kind == "first":
                    return result
                else:
                    outcomes.observed(index, result)
    except BaseException as error:
        outcomes.raised(index, error)
        raise
    return collected if kind == "collect" else None


def _plain(
    plan: CallPlan, outcomes: Outcomes, frame: CallFrame | None, args: dict[str, Any], provenance: Provenance
) -> Any:
    """Each implementation in turn, with the kind's result handling and the error policy."""
    call = _Call(plan, outcomes, args, provenance)
    instrumentation = plan.instrumentation
    timed = instrumentation is not None and (instrumentation.reports or instrumentation.times)
    for index, impl in enumerate(plan.impls):
        started = _start(plan, frame, impl) if timed else None
        try:
            result = _call(impl, call.args, call.context)
            if started is not None:
                assert instrumentation is not None  # noqa: S101 - set together
                result = instrumentation.impl_end(frame, impl, started, result)
            if result is None:
                continue
            ends = call.took(index, impl, result)
        except BaseException as error:  # noqa: BLE001 - the error policy decides
            vetoed = call.failed(index, error, frame, started)
            if vetoed is not None:
                return vetoed
            continue
        if ends:
            return call.end(result)
        call.patched()
    return call.end()


async def _aplain(
    plan: CallPlan, outcomes: Outcomes, frame: CallFrame | None, args: dict[str, Any], provenance: Provenance
) -> Any:
    """:func:`_plain`, awaiting async implementations (or all of them together, for concurrent hooks)."""
    if plan.concurrent:
        return await outcomes.concurrent(frame, dict(args), provenance)
    call = _Call(plan, outcomes, args, provenance)
    instrumentation = plan.instrumentation
    timed = instrumentation is not None and (instrumentation.reports or instrumentation.times)
    for index, impl in enumerate(plan.impls):
        started = _start(plan, frame, impl) if timed else None
        try:
            result = _call(impl, call.args, call.context)
            if impl.is_async:
                result = await result
            if started is not None:
                assert instrumentation is not None  # noqa: S101 - set together
                result = instrumentation.impl_end(frame, impl, started, result)
            if result is None:
                continue
            ends = call.took(index, impl, result)
        except BaseException as error:  # noqa: BLE001 - the error policy decides
            vetoed = call.failed(index, error, frame, started)
            if vetoed is not None:
                return vetoed
            continue
        if ends:
            return call.end(result)
        call.patched()
    return call.end()


def _wrapped(
    plan: CallPlan, outcomes: Outcomes, frame: CallFrame | None, args: dict[str, Any], provenance: Provenance
) -> Any:
    """The wrappers around the implementations, the first outermost."""
    if not plan.wrappers:
        return _plain(plan, outcomes, frame, args, provenance)
    started: list[Any] = []
    result: Any = None
    error: BaseException | None = None
    generator: Any = None
    setting_up = True
    try:
        for wrapper in plan.wrappers:
            generator = _call(wrapper, args, None)
            generator.send(None)
            started.append(generator)
        setting_up = False
        result = _plain(plan, outcomes, frame, args, provenance)
    except BaseException as raised:  # noqa: BLE001 - it is thrown into the wrappers that started
        error = outcomes.setup_failed(len(started) if setting_up else -1, raised, generator)
    for index in reversed(range(len(started))):
        result, error = outcomes.unwind(index, started[index], result, error)
    if error is not None:
        return outcomes.unwound(error, dict(args))
    return result


async def _awrapped(
    plan: CallPlan, outcomes: Outcomes, frame: CallFrame | None, args: dict[str, Any], provenance: Provenance
) -> Any:
    """:func:`_wrapped`, with async generator wrappers among them."""
    if not plan.wrappers:
        return await _aplain(plan, outcomes, frame, args, provenance)
    started: list[Any] = []
    result: Any = None
    error: BaseException | None = None
    generator: Any = None
    setting_up = True
    try:
        for wrapper in plan.wrappers:
            generator = _call(wrapper, args, None)
            if wrapper.is_async:
                await generator.asend(None)
            else:
                generator.send(None)
            started.append(generator)
        setting_up = False
        result = await _aplain(plan, outcomes, frame, args, provenance)
    except BaseException as raised:  # noqa: BLE001 - it is thrown into the wrappers that started
        error = outcomes.setup_failed(len(started) if setting_up else -1, raised, generator)
    for index in reversed(range(len(started))):
        if plan.wrappers[index].is_async:
            result, error = await outcomes.aunwind(index, started[index], result, error)
        else:
            result, error = outcomes.unwind(index, started[index], result, error)
    if error is not None:
        return outcomes.unwound(error, dict(args))
    return result


def interpret(plan: CallPlan, outcomes: Outcomes, args: dict[str, Any], provenance: Provenance) -> Any:
    """Run a sync ``plan`` with the bound arguments ``args``: the call's frame, the wrappers, the implementations."""
    instrumentation = plan.instrumentation
    if instrumentation is None or not instrumentation.wraps_calls:
        if plan.simple:
            return _tight(plan, outcomes, args)
        return _wrapped(plan, outcomes, None, args, provenance)
    frame = instrumentation.enter(dict(args) if instrumentation.wants_arguments else None, plan.wrapper_names)
    if instrumentation.strict and frame.arguments is not None:
        args = dict(frame.arguments)  # the implementations get the frozen arguments
    try:
        value = _wrapped(plan, outcomes, frame, args, provenance)
    except BaseException as error:
        instrumentation.leave(frame, None, error)
        raise
    instrumentation.leave(frame, value, None)
    return value


async def ainterpret(plan: CallPlan, outcomes: Outcomes, args: dict[str, Any], provenance: Provenance) -> Any:
    """:func:`interpret` for an awaited ``plan``."""
    instrumentation = plan.instrumentation
    if instrumentation is None or not instrumentation.wraps_calls:
        return await _awrapped(plan, outcomes, None, args, provenance)
    frame = instrumentation.enter(dict(args) if instrumentation.wants_arguments else None, plan.wrapper_names)
    if instrumentation.strict and frame.arguments is not None:
        args = dict(frame.arguments)  # the implementations get the frozen arguments
    try:
        value = await _awrapped(plan, outcomes, frame, args, provenance)
    except BaseException as error:
        instrumentation.leave(frame, None, error)
        raise
    instrumentation.leave(frame, value, None)
    return value


class EntryOwner(Protocol):
    """What an :class:`Entry` asks of the engine that made it."""

    def binder(self, provenance: bool) -> Callable[..., tuple[dict[str, Any], Provenance]]:
        """The spec's compiled argument binder."""
        ...

    def compile_entry(self, entry: Any) -> Callable[..., Any]:
        """``entry`` was called often enough: its compiled caller."""
        ...


class _Entry(Outcomes):
    """What :class:`Entry` and :class:`AsyncEntry` share: counting calls, binding arguments.

    An object rather than closures, holding its engine rather than bound methods of it, and the plan's
    :class:`Outcomes` itself rather than one beside it: a hook's first calls go through it, and a host with
    hundreds of hooks (pytest makes a manager per in-process run) would otherwise hold a dozen cells, functions
    and methods per hook called, for the garbage collector to walk.
    """

    __slots__ = ("acall", "compiled", "left", "names", "owner", "shape", "version")

    def __init__(
        self, plan: CallPlan, owner: EntryOwner, *, after: int = 0, shape: object = None, version: int = 0
    ) -> None:
        super().__init__(plan)
        self.owner = owner
        self.names: frozenset[str] | None = None if plan.provenance else plan.spec.param_set
        self.left = after
        self.shape = shape  # what the caller is for, as the engine knows it
        self.version = version
        self.compiled: Callable[..., Any] | None = None
        self.acall: Callable[..., Any] | None = None  # set by the engine on the sync caller it publishes

    def _count(self) -> Callable[..., Any] | None:
        self.left -= 1
        if self.left == 0:
            self.compiled = self.owner.compile_entry(self)
        return self.compiled

    def _bound(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any], Provenance]:
        if not args and kwargs.keys() == self.names:
            return kwargs, None
        return self.owner.binder(self.plan.provenance)(*args, **kwargs)


@final
class Entry(_Entry):
    """A caller that interprets ``plan``: it binds the arguments as the spec declares them, then runs.

    ``owner.binder(provenance)`` gives the spec's compiled argument binder (so errors
    read as the generated caller's do); calls that pass exactly the spec's
    parameters by keyword skip it. After ``after`` calls, ``owner.compile_entry(entry)``
    returns the compiled caller (``shape`` and ``version`` say to the engine what it is
    for), to which this entry then hands its calls (for code that kept a
    reference to it).
    """

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        compiled = self.compiled or self._count()
        if compiled is not None:
            return compiled(*args, **kwargs)
        plan = self.plan
        values, provenance = self._bound(args, kwargs)
        if plan.simple:
            return _tight(plan, self, values)
        return interpret(plan, self, values, provenance)


@final
class AsyncEntry(_Entry):
    """:class:`Entry` for an awaited ``plan``."""

    __slots__ = ()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        compiled = self.compiled or self._count()
        if compiled is not None:
            return await compiled(*args, **kwargs)
        return await ainterpret(self.plan, self, *self._bound(args, kwargs))
