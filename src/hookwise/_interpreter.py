"""The reference interpreter: a hook's documented semantics as plain loops over a :class:`CallPlan`.

It is the specification the generated callers are tested against (a
hypothesis test drives both over every kind, policy, wrapper count, shape and
instrumentation and compares what they return, raise, record and report), and
it is how a hook runs right after its implementations change: a new plan is
interpreted at once, and compiled only once it has been called a few times
unchanged (``_engine.py``). Registering and calling in turn therefore costs a
loop per call, not a compilation.

One ``async def`` holds the semantics. A sync plan never awaits anything
(its implementations and wrappers are all sync), so :func:`run` drives the
coroutine to its end with a single ``send``; an awaited call awaits it.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Coroutine
from typing import Any

from hookwise._impl import HookImpl
from hookwise._instrumentation import CallFrame
from hookwise._outcomes import InterceptState, Outcomes
from hookwise._plan import CallPlan
from hookwise._results import Allow, DispatchResult, PluginResult

Provenance = list[PluginResult[Any]] | None


def _call(impl: HookImpl, args: dict[str, Any], context: Any) -> Any:
    if impl.style == "mapping":
        return impl.function(context)
    return impl.function(*[args[name] for name in impl.argnames], **{name: args[name] for name in impl.kwargnames})


async def interpret(plan: CallPlan, outcomes: Outcomes, args: dict[str, Any], provenance: Provenance) -> Any:
    """Run ``plan`` with the bound arguments ``args``: the frame, then the wrappers, then the implementations."""
    __tracebackhide__ = True
    instrumentation = plan.instrumentation
    if instrumentation is None or not instrumentation.wraps_calls:
        return await _wrapped(plan, outcomes, None, args, provenance)
    frame = instrumentation.enter(dict(args))
    try:
        value = await _wrapped(plan, outcomes, frame, args, provenance)
    except BaseException as error:
        instrumentation.leave(frame, None, _unescaped(error))
        raise
    instrumentation.leave(frame, value, None)
    return value


async def _wrapped(
    plan: CallPlan, outcomes: Outcomes, frame: CallFrame | None, args: dict[str, Any], provenance: Provenance
) -> Any:
    __tracebackhide__ = True
    if not plan.wrappers:
        return await _plain(plan, outcomes, frame, args, provenance)
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
        result = await _plain(plan, outcomes, frame, args, provenance)
    except BaseException as raised:  # noqa: BLE001 - it is thrown into the wrappers that started
        error = outcomes.setup_failed(len(started) if setting_up else -1, _unescaped(raised), generator)
    for index in reversed(range(len(started))):
        if plan.wrappers[index].is_async:
            result, error = await outcomes.aunwind(index, started[index], result, error)
        else:
            result, error = outcomes.unwind(index, started[index], result, error)
    if error is not None:
        raise _escaped(plan, error)
    return result


async def _plain(
    plan: CallPlan, outcomes: Outcomes, frame: CallFrame | None, args: dict[str, Any], provenance: Provenance
) -> Any:
    """Each implementation in turn, with the kind's result handling and the error policy."""
    __tracebackhide__ = True
    if plan.concurrent:
        return await outcomes.concurrent(frame, dict(args), provenance)
    spec = plan.spec
    kind, policy = spec.kind, spec.policy
    instrumentation = plan.instrumentation
    reports = instrumentation is not None and instrumentation.reports
    context: Any = types.MappingProxyType(dict(args))
    collected: list[Any] = []
    state: InterceptState | None = None
    errors: list[tuple[int, Exception]] | None = None
    for index, impl in enumerate(plan.impls):
        started: float | None = None
        if reports:
            assert instrumentation is not None  # noqa: S101 - narrowing for the type checker
            started = instrumentation.impl_start(frame, impl)
        try:
            clock = instrumentation.clock() if instrumentation is not None and instrumentation.times else None
            result = _call(impl, args, context)
            if plan.is_async and impl.is_async:
                result = await result
            if clock is not None:
                assert instrumentation is not None  # noqa: S101 - set together
                duration = instrumentation.clock() - clock
                if instrumentation.budget is not None and duration > instrumentation.budget:
                    result = instrumentation.over_budget(impl, duration, result)
            elif started is not None:
                assert instrumentation is not None  # noqa: S101 - set together
                result = instrumentation.impl_end(frame, impl, started, result)
            if result is not None:
                if provenance is not None:
                    provenance.append(PluginResult(impl.plugin_name, result))
                if kind == "collect":
                    collected.append(result)
                elif kind == "observe":
                    outcomes.observed(index, result)
                elif kind == "intercept" and result.__class__ is not Allow:
                    state = outcomes.respond(state, index, result, dict(args))
        except BaseException as error:
            if policy == "isolate":
                errors = outcomes.isolate(errors, index, error, frame, started)
                continue
            if policy == "veto":
                return outcomes.veto_error(index, error, state, dict(args), frame, started)
            outcomes.raised(index, error, frame, started)
            if isinstance(error, StopIteration) and not plan.is_async:
                raise _Escaped(error) from error
            raise
        if result is None:
            continue
        if kind == "first":
            return _end(outcomes, policy, errors, result)
        if kind == "intercept" and state is not None and result.__class__ is not Allow:
            if state.vetoed:
                return _end(outcomes, policy, errors, state.result())
            args = dict(state.args)
            context = state.context
    value: Any = None
    if kind == "collect":
        value = collected
    elif kind == "intercept":
        value = DispatchResult(spec.name, dict(args)) if state is None else state.result()
    return _end(outcomes, policy, errors, value)


def _end(outcomes: Outcomes, policy: str, errors: list[tuple[int, Exception]] | None, value: Any) -> Any:
    __tracebackhide__ = True
    return outcomes.done(errors, value) if policy == "isolate" else value


class _Escaped(Exception):
    """Carries a ``StopIteration`` out of the interpreter's coroutines, which PEP 479 would turn into
    ``RuntimeError``; the entry unwraps it, so that it leaves a call as it leaves a generated caller."""

    def __init__(self, error: StopIteration) -> None:
        super().__init__(error)
        self.error = error


def _escaped(plan: CallPlan, error: BaseException) -> BaseException:
    """A sync plan's ``StopIteration``, carried; in an async plan it turns into ``RuntimeError`` at the same
    ``async def`` boundaries as in a generated caller."""
    return _Escaped(error) if isinstance(error, StopIteration) and not plan.is_async else error


def _unescaped(error: BaseException) -> BaseException:
    return error.error if isinstance(error, _Escaped) else error


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Drive the interpretation of a sync plan, which never suspends, to its end."""
    __tracebackhide__ = True
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    except _Escaped as escaped:
        error = escaped.error
    else:
        coroutine.close()  # pragma: no cover - a sync plan never awaits
        msg = "a sync hook call awaited something; async implementations need an awaited call"
        raise RuntimeError(msg)
    raise error


def entry(
    plan: CallPlan,
    bind: Callable[..., tuple[dict[str, Any], Provenance]],
    names: frozenset[str],
    on_call: Callable[[], None],
) -> Callable[..., Any]:
    """A caller that interprets ``plan``: it binds the arguments as the spec declares them, then runs.

    ``bind`` is the spec's compiled argument binder (so errors read as the
    generated caller's do); calls that pass exactly the spec's parameters by
    keyword skip it. ``on_call`` counts the calls (the engine compiles a plan
    that is called often).
    """
    outcomes = Outcomes(plan)
    fast = not plan.provenance

    def bound(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any], Provenance]:
        on_call()
        if fast and not args and kwargs.keys() == names:
            return kwargs, None
        return bind(*args, **kwargs)

    if plan.is_async:

        async def interpreted_async(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            return await interpret(plan, outcomes, *bound(args, kwargs))

        return interpreted_async

    def interpreted(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        return run(interpret(plan, outcomes, *bound(args, kwargs)))

    return interpreted
