"""The generated callers against the reference interpreter: same plans, same everything.

Hypothesis draws hooks (kind x error policy), implementations (what each
returns or raises, which arguments it takes, sync or async, by name or as a
mapping), wrappers (0 to 200, each well behaved or not), and the shape of the
call (sync or awaited, concurrent, provenance) and its instrumentation
(monitors, a budget on a fake clock with each ``on_budget``, a strict context,
a depth limit). Each plan runs once compiled and once interpreted; results,
exceptions (type, message, notes), provenance, monitor events and warnings
must be equal.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Generator
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hookwise import Allow, DispatchResult, HookImpl, HookSpec, ImplOptions, Patch, TraceEvent, Veto
from hookwise._codegen import compile_binder, compile_plan
from hookwise._instrumentation import Instrumentation
from hookwise._interpreter import AsyncEntry, Entry
from hookwise._plan import CallPlan


class Halt(BaseException):
    """A BaseException: no error policy catches it."""


class Bad:
    """Not an answer an intercept hook takes."""

    def __repr__(self) -> str:
        return "Bad()"


class Clock:
    """A clock implementations advance: budgets are checked without real time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# -- what implementations do -------------------------------------------------------------------

ANSWERS = ("none", "value", "allow", "veto", "patch", "patch_unknown", "bad", "raise", "stop", "recurse", "halt")


def answer(what: str, index: int, clock: Clock, duration: float, seen: Any = ()) -> Any:
    clock.now += duration
    returned = {
        "none": None,
        "value": f"v{index} saw {seen!r}",
        "allow": Allow(),
        "veto": Veto(f"no {index} saw {seen!r}"),
        "patch": Patch({"a": index, "b": f"p{index} saw {seen!r}"}),
        "patch_unknown": Patch({"zzz": index}),
        "bad": Bad(),
    }
    if what in returned:
        return returned[what]
    if what == "raise":
        raise ValueError(f"boom {index}")
    if what == "stop":
        raise StopIteration(index)
    if what == "recurse":
        raise RecursionError(f"too deep {index}")
    raise Halt(f"halt {index}")


def make_impl(spec: dict[str, Any], index: int, clock: Clock, *, is_async: bool) -> HookImpl:
    what, takes, mapping, duration = spec["answer"], spec["takes"], spec["mapping"], spec["duration"]
    if mapping:

        def handler(context: Any) -> Any:
            return answer(what, index, clock, duration, dict(context))

        function: Callable[..., Any] = handler
    elif takes == ("a", "b"):

        def both(a: Any, b: Any) -> Any:
            return answer(what, index, clock, duration, (a, b))

        function = both
    elif takes == ("b",):

        def only_b(b: Any) -> Any:
            return answer(what, index, clock, duration, b)

        function = only_b
    else:

        def nothing() -> Any:
            return answer(what, index, clock, duration)

        function = nothing
    if is_async and spec["async"]:
        sync = function

        async def run(*args: Any) -> Any:
            return sync(*args)

        function = run
    impl = HookImpl(f"p{index}", None, function, "h", ImplOptions(), seq=index, style="mapping" if mapping else "named")
    impl.argnames = () if mapping else takes
    impl.is_async = is_async and spec["async"]
    return impl


WRAPPERS = ("pass", "replace", "forget", "swallow", "raise", "no_yield", "twice")


def make_wrapper(what: str, index: int) -> HookImpl:
    def wrapper(a: Any) -> Generator[None, Any, Any]:
        if what == "no_yield":
            return None
        try:
            result = yield
        except Exception as error:
            if what == "swallow":
                return f"swallowed {type(error).__name__}"
            raise
        if what == "replace":
            return ("wrapped", index, result if not isinstance(result, DispatchResult) else result.vetoed)
        if what == "raise":
            raise KeyError(index)
        if what == "forget":
            return None
        if what == "twice":
            yield
        return result

    impl = HookImpl(f"w{index}", None, wrapper, "h", ImplOptions(wrapper=True), seq=1000 + index)
    impl.argnames = ("a",)
    return impl


USUAL = {
    "collect": ("none", "value", "value", "raise"),
    "first": ("none", "none", "value", "raise"),
    "intercept": ("none", "allow", "veto", "patch", "patch", "raise"),
    "observe": ("none", "value", "raise"),
}
"""The answers each kind mostly gets; every answer in :data:`ANSWERS` stays possible."""


def implementation(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "answer": st.one_of(st.sampled_from(USUAL[kind]), st.sampled_from(ANSWERS)),
            "takes": st.sampled_from([("a", "b"), ("b",), ()]),
            "mapping": st.booleans(),
            "async": st.booleans(),
            "duration": st.sampled_from([0.0, 0.5, 2.0]),
        }
    )


@st.composite
def wrappers(draw: st.DrawFn) -> list[str]:
    count = draw(st.sampled_from([0, 0, 1, 2, 3, 200]))
    if count == 200:
        return ["pass"] * 199 + [draw(st.sampled_from(WRAPPERS))]
    return [draw(st.sampled_from(WRAPPERS)) for _ in range(count)]


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["collect", "first", "intercept", "observe"]))
    policy = draw(st.sampled_from(["raise", "isolate", "veto"] if kind == "intercept" else ["raise", "isolate"]))
    is_async = draw(st.booleans())
    concurrent = is_async and kind in ("collect", "observe") and draw(st.booleans())
    return {
        "kind": kind,
        "policy": policy,
        "is_async": is_async,
        "concurrent": concurrent,
        "impls": draw(st.lists(implementation(kind), max_size=6)),
        "wrappers": [] if concurrent else draw(wrappers()),
        "provenance": draw(st.booleans()),
        "monitored": draw(st.booleans()),
        "budget": draw(st.sampled_from([None, 1.0])),
        "on_budget": draw(st.sampled_from(["warn", "error", "veto"])),
        "strict": draw(st.booleans()),
        "max_depth": draw(st.sampled_from([None, 1])),
        "a": draw(st.sampled_from([1, -1, [1, 2]])),
    }


# -- running a plan both ways ------------------------------------------------------------------------


def build(drawn: dict[str, Any], events: list[tuple[Any, ...]]) -> tuple[CallPlan, Clock]:
    clock = Clock()
    spec = HookSpec.from_names(
        "h",
        ["a", "b"],
        kind=drawn["kind"],
        policy=drawn["policy"],
        concurrent=drawn["concurrent"],
    )

    def monitor(event: TraceEvent) -> None:
        outcome = None if event.error is not None else _normal(event.result)
        error = None if event.error is None else (type(event.error).__name__, str(event.error))
        events.append((event.phase, event.hook, event.plugin, outcome, error, event.duration))

    instrumentation = None
    if drawn["monitored"] or drawn["budget"] or drawn["strict"] or drawn["max_depth"]:
        instrumentation = Instrumentation(
            spec,
            monitors=[monitor] if drawn["monitored"] else [],
            budget=drawn["budget"],
            on_budget=drawn["on_budget"],
            strict=drawn["strict"],
            max_depth=drawn["max_depth"],
            clock=clock,
        )
    plan = CallPlan(
        spec,
        tuple(make_impl(impl, index, clock, is_async=drawn["is_async"]) for index, impl in enumerate(drawn["impls"])),
        tuple(make_wrapper(what, index) for index, what in enumerate(drawn["wrappers"])),
        instrumentation=instrumentation,
        is_async=drawn["is_async"],
        provenance=drawn["provenance"],
    )
    return plan, clock


def _normal(value: Any) -> Any:
    """A value as the comparison sees it (results hold objects without equality)."""
    if isinstance(value, DispatchResult):
        return (
            "DispatchResult",
            value.vetoed,
            value.reason,
            value.vetoed_by,
            dict(value.patches),
            dict(value.arguments),
        )
    if isinstance(value, list | tuple):
        return [_normal(item) for item in value]
    return value if isinstance(value, str | int | float | type(None) | Veto | Patch | Allow | bool) else repr(value)


def _error(error: BaseException) -> Any:
    group = getattr(error, "exceptions", None)
    inner = [_error(e) for e in group] if group is not None else None
    cause = error.__cause__
    return (
        type(error).__name__,
        str(error),
        getattr(error, "__notes__", []),
        inner,
        type(cause).__name__ if cause else None,
    )


class _Binds:
    """The engine as an interpreted Entry sees it, with the binder only (the entry never compiles)."""

    def __init__(self, binder: Callable[..., Any]) -> None:
        self._binder = binder

    def binder(self, provenance: bool) -> Callable[..., Any]:
        return self._binder

    def compile_entry(self, entry: Any) -> Callable[..., Any]:
        raise AssertionError(entry)


def call(drawn: dict[str, Any], *, compiled: bool) -> dict[str, Any]:
    events: list[tuple[Any, ...]] = []
    plan, _ = build(drawn, events)
    if compiled:
        function = compile_plan(plan)
    else:
        binder = compile_binder(plan.spec, plan.dialect, provenance=plan.provenance)
        function = (AsyncEntry if plan.is_async else Entry)(plan, _Binds(binder))
    provenance: list[Any] = []
    extra = {"_hw_prov": provenance} if plan.provenance else {}
    outcome: dict[str, Any] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if plan.is_async:
                result = asyncio.run(function(a=drawn["a"], b=2, **extra))
            else:
                result = function(a=drawn["a"], b=2, **extra)
        except (Exception, Halt) as error:
            outcome["error"] = _error(error)
        else:
            outcome["result"] = _normal(result)
    outcome["provenance"] = [(r.plugin, _normal(r.value)) for r in provenance]
    outcome["events"] = events
    outcome["warnings"] = [(w.category.__name__, str(w.message)) for w in caught]
    return outcome


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plans())
def test_generated_callers_do_what_the_reference_interpreter_does(drawn: dict[str, Any]) -> None:
    compiled = call(drawn, compiled=True)
    event(f"{drawn['kind']}/{drawn['policy']}")
    event(f"wrappers: {min(len(drawn['wrappers']), 4) if len(drawn['wrappers']) < 200 else 200}")
    event(("awaited, concurrent" if drawn["concurrent"] else "awaited") if drawn["is_async"] else "sync")
    event("raised" if "error" in compiled else "returned")
    event(f"events: {bool(compiled['events'])}, warnings: {bool(compiled['warnings'])}")
    assert compiled == call(drawn, compiled=False)


def test_the_comparison_sees_differences() -> None:
    """The harness can fail: a plan and a different plan disagree."""
    base: dict[str, Any] = {
        "kind": "collect",
        "policy": "raise",
        "is_async": False,
        "concurrent": False,
        "impls": [{"answer": "value", "takes": ("a", "b"), "mapping": False, "async": False, "duration": 0.0}],
        "wrappers": [],
        "provenance": True,
        "monitored": True,
        "budget": None,
        "on_budget": "warn",
        "strict": False,
        "max_depth": None,
        "a": 1,
    }
    other = {**base, "impls": [{**base["impls"][0], "answer": "none"}]}
    assert call(base, compiled=True) == call(base, compiled=False)
    assert call(base, compiled=True) != call(other, compiled=False)
    assert call(base, compiled=True)["result"] == ["v0 saw (1, 2)"]
