"""The generated source of a few representative plans, pinned.

A change to the code generator that changes what it writes shows up here as a
diff to read. When the change is intended, write the new sources with
``python -m tests.test_golden`` and review them in the commit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from hookwise import HookImpl, HookSpec, ImplOptions, Kind
from hookwise._codegen import generate, generate_binder
from hookwise._instrumentation import Instrumentation
from hookwise._plan import HOOKWISE, CallPlan

GOLDEN = Path(__file__).parent / "golden"


def impl(index: int, function: Callable[..., Any], *, takes: tuple[str, ...] = (), style: str = "named") -> HookImpl:
    made = HookImpl(
        f"p{index}", None, function, "h", ImplOptions(), seq=index, style="mapping" if style == "mapping" else "named"
    )
    made.argnames = takes
    return made


def wrapper(index: int) -> HookImpl:
    def around(a: int) -> Generator[None, Any, Any]:
        return (yield)

    made = HookImpl(f"w{index}", None, around, "h", ImplOptions(wrapper=True), seq=100 + index)
    made.argnames = ("a",)
    return made


def spec(kind: Kind, **options: Any) -> HookSpec[..., Any]:
    return HookSpec.from_names("h", ["a", "b"], kind=kind, **options)


def returns(*_: Any) -> int:
    return 1


def plans() -> dict[str, CallPlan]:
    collect = spec("collect")
    intercept = spec("intercept")
    observe = spec("observe", policy="isolate")
    return {
        "collect_two_impls": CallPlan(collect, (impl(0, returns, takes=("a", "b")), impl(1, returns, takes=("b",)))),
        "intercept_veto_policy_with_a_mapping_handler": CallPlan(
            intercept, (impl(0, returns, takes=("a",)), impl(1, returns, style="mapping"))
        ),
        "first_with_two_wrappers": CallPlan(spec("first"), (impl(0, returns, takes=("a",)),), (wrapper(0), wrapper(1))),
        "observe_isolate_monitored_with_provenance": CallPlan(
            observe,
            (impl(0, returns, takes=("a",)), impl(1, returns)),
            instrumentation=Instrumentation(observe, monitors=[print]),
            provenance=True,
        ),
        "collect_budget_awaited": CallPlan(
            collect,
            (impl(0, returns, takes=("a", "b")),),
            instrumentation=Instrumentation(collect, budget=0.1),
            is_async=True,
        ),
    }


@pytest.mark.parametrize("name", sorted(plans()))
def test_the_generated_source_is_the_pinned_one(name: str) -> None:
    assert generate(plans()[name]).source == (GOLDEN / f"{name}.py.txt").read_text(encoding="utf-8")


def test_the_argument_binder_is_the_pinned_one() -> None:
    source = generate_binder(HookSpec.from_names("h", ["a", "b"], defaults={"b": 2}), HOOKWISE, provenance=False).source
    assert source == (GOLDEN / "binder.py.txt").read_text(encoding="utf-8")


def test_generation_is_pure() -> None:
    """The same plan gives the same source, and generating compiles nothing and registers nothing."""
    import linecache

    before = dict(linecache.cache)
    for plan in plans().values():
        assert generate(plan).source == generate(plan).source
    assert dict(linecache.cache) == before


if __name__ == "__main__":  # python -m tests.test_golden: write the sources after an intended change
    GOLDEN.mkdir(exist_ok=True)
    for name, plan in plans().items():
        (GOLDEN / f"{name}.py.txt").write_text(generate(plan).source, encoding="utf-8")
    binder = generate_binder(HookSpec.from_names("h", ["a", "b"], defaults={"b": 2}), HOOKWISE, provenance=False)
    (GOLDEN / "binder.py.txt").write_text(binder.source, encoding="utf-8")
    print(f"wrote {len(plans()) + 1} golden sources to {GOLDEN}", file=sys.stderr)
