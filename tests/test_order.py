"""Ordering: bands, priority, registration order, before/after constraints, explain."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookwise import HookManager, OrderCycleError, hookimpl
from hookwise._order import RegistrationOrder


def make_manager(order: RegistrationOrder = "fifo") -> HookManager[object]:
    manager = HookManager(order=order)
    manager.add_spec("h", ["x"])
    return manager


def add(manager: HookManager[Any], name: str, **options: Any) -> None:
    """Register a plugin `name` whose implementation of h returns its name."""

    def h(x: int) -> str:
        return name

    h.__qualname__ = f"{name}.h"
    manager.register(types_plugin(hookimpl(**options)(h)), name=name)


def types_plugin(function: Any) -> Any:
    class Plugin:
        pass

    plugin = Plugin()
    plugin.h = function  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    return plugin


def called(manager: HookManager[Any]) -> list[str]:
    result: list[str] = manager.hook("h")(x=0)
    return result


def test_registration_order_is_fifo_by_default() -> None:
    manager = make_manager()
    for name in "abc":
        add(manager, name)
    assert called(manager) == ["a", "b", "c"]


def test_lifo_manager_runs_the_latest_registration_first() -> None:
    manager = make_manager("lifo")
    for name in "abc":
        add(manager, name)
    assert called(manager) == ["c", "b", "a"]


def test_lower_priority_runs_first_whatever_the_registration_order() -> None:
    manager = make_manager()
    add(manager, "notification", priority=100)
    add(manager, "budget", priority=20)
    add(manager, "validation", priority=10)
    assert called(manager) == ["validation", "budget", "notification"]


def test_bands_beat_priority() -> None:
    manager = make_manager()
    add(manager, "last", trylast=True, priority=-100)
    add(manager, "normal", priority=50)
    add(manager, "first", tryfirst=True, priority=100)
    assert called(manager) == ["first", "normal", "last"]


def test_before_moves_an_implementation_ahead_of_the_named_plugin() -> None:
    manager = make_manager()
    add(manager, "a")
    add(manager, "b")
    add(manager, "c", before="a")
    assert called(manager) == ["c", "a", "b"]


def test_after_moves_an_implementation_behind_the_named_plugin() -> None:
    manager = make_manager()
    add(manager, "a", after="c")
    add(manager, "b")
    add(manager, "c")
    assert called(manager) == ["b", "c", "a"]


def test_constraints_win_over_bands() -> None:
    manager = make_manager()
    add(manager, "early", tryfirst=True, after="late")
    add(manager, "late", trylast=True)
    assert called(manager) == ["late", "early"]


def test_a_constraint_on_an_unregistered_plugin_takes_effect_when_it_registers() -> None:
    manager = make_manager()
    add(manager, "a", after="b")
    add(manager, "z")
    assert called(manager) == ["a", "z"]
    add(manager, "b")
    assert called(manager) == ["z", "b", "a"]


def test_a_cycle_is_an_error_naming_every_plugin_and_the_registration_is_undone() -> None:
    manager = make_manager()
    add(manager, "a", before="b")
    add(manager, "b", before="c")
    with pytest.raises(OrderCycleError) as info:
        add(manager, "c", before="a")
    assert str(info.value) == (
        "hook 'h': before/after constraints form a cycle: a -> b -> c -> a "
        "('a' declares before='b'; 'b' declares before='c'; 'c' declares before='a')"
    )
    assert info.value.cycle == ("a", "b", "c", "a")
    assert info.value.hook == "h"
    assert not manager.is_registered("c")
    assert called(manager) == ["a", "b"]


def test_wrappers_are_ordered_by_the_same_rules_and_the_first_is_outermost() -> None:
    manager = make_manager()
    trace: list[str] = []

    def wrapper(name: str, **options: Any) -> None:
        def h() -> Any:
            trace.append(f"{name} in")
            result = yield
            trace.append(f"{name} out")
            return result

        manager.register(types_plugin(hookimpl(wrapper=True, **options)(h)), name=name)

    wrapper("w_late", priority=5)
    wrapper("w_early", priority=1)
    add(manager, "plain")
    assert called(manager) == ["plain"]
    assert trace == ["w_early in", "w_late in", "w_late out", "w_early out"]
    assert manager.hook("h").plugins == ["w_early", "w_late", "plain"]


def test_explain_gives_each_position_with_its_reasons_as_data_and_text() -> None:
    manager = make_manager()
    add(manager, "notification", priority=100)
    add(manager, "budget", priority=20)
    add(manager, "audit", before="budget", priority=50)
    add(manager, "first", tryfirst=True)
    explanation = manager.explain("h")
    assert explanation.plugins == ["first", "audit", "budget", "notification"]
    audit = explanation.entries[1]
    assert (audit.position, audit.band, audit.priority, audit.registered) == (2, "normal", 50, 3)
    assert audit.reasons == (
        "normal band",
        "priority 50",
        "registered 3rd of 4",
        "declares before='budget' (applies)",
        "moved from position 3 by before/after constraints",
    )
    assert str(explanation).splitlines() == [
        "hook 'h': tryfirst, normal, trylast bands; then priority, lower first; then earlier registrations first (FIFO); then before/after",
        "  1. first (first.h): tryfirst band; priority 0; registered 4th of 4",
        "  2. audit (audit.h): normal band; priority 50; registered 3rd of 4; declares before='budget' (applies); moved from position 3 by before/after constraints",
        "  3. budget (budget.h): normal band; priority 20; registered 2nd of 4; 'audit' declares before='budget'",
        "  4. notification (notification.h): normal band; priority 100; registered 1st of 4",
    ]
    data = json.loads(explanation.to_json())
    assert data["hook"] == "h"
    assert data["entries"][0] == {
        "position": 1,
        "plugin": "first",
        "function": "first.h",
        "wrapper": False,
        "band": "tryfirst",
        "priority": 0,
        "registered": 4,
        "reasons": ["tryfirst band", "priority 0", "registered 4th of 4"],
    }


def test_explain_says_when_a_constraint_has_no_effect() -> None:
    manager = make_manager()
    add(manager, "a", after="ghost")
    assert "declares after='ghost' (no effect: 'ghost' does not implement this hook)" in str(manager.explain("h"))


def test_explain_of_a_hook_without_implementations() -> None:
    assert str(make_manager("lifo").explain("h")).splitlines()[1:] == ["  no implementations"]


# -- properties ------------------------------------------------------------------

plugin_options = st.fixed_dictionaries(
    {
        "band": st.sampled_from(["tryfirst", "normal", "trylast"]),
        "priority": st.integers(-3, 3),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(plugin_options, min_size=1, max_size=8), st.sampled_from(["fifo", "lifo"]))
def test_without_constraints_order_is_band_then_priority_then_registration(
    options: list[dict[str, Any]], order: RegistrationOrder
) -> None:
    manager = make_manager(order)
    for index, option in enumerate(options):
        band = option["band"]
        add(manager, f"p{index}", priority=option["priority"], tryfirst=band == "tryfirst", trylast=band == "trylast")
    bands = {"tryfirst": 0, "normal": 1, "trylast": 2}
    direction = 1 if order == "fifo" else -1
    expected = sorted(
        range(len(options)),
        key=lambda i: (bands[options[i]["band"]], options[i]["priority"], direction * i),
    )
    assert called(manager) == [f"p{i}" for i in expected]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(-2, 2), min_size=2, max_size=7),
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=8),
)
def test_constraints_always_hold_and_cycles_are_always_reported(
    priorities: list[int], pairs: list[tuple[int, int]]
) -> None:
    count = len(priorities)
    before: dict[int, set[int]] = {i: set() for i in range(count)}
    for a, b in pairs:
        if a < count and b < count and a != b:
            before[a].add(b)
    manager = make_manager()
    registered: list[int] = []
    cycle_found = False
    for index in range(count):
        try:
            add(manager, f"p{index}", priority=priorities[index], before=[f"p{b}" for b in sorted(before[index])])
        except OrderCycleError as error:
            cycle_found = True
            # The reported cycle is a real cycle of declared constraints among registered plugins.
            names = [int(name[1:]) for name in error.cycle]
            assert names[0] == names[-1]
            for earlier, later in itertools.pairwise(names):
                assert later in before[earlier]
            break
        registered.append(index)
    order = [int(name[1:]) for name in called(manager)]
    assert sorted(order) == registered
    position = {p: i for i, p in enumerate(order)}
    for a in registered:
        for b in before[a]:
            if b in position:
                assert position[a] < position[b]
    if not cycle_found:
        # Stability: with no constraint among them, plugins keep priority-then-registration order.
        unconstrained = [p for p in order if not before[p] and not any(p in before[q] for q in registered)]
        assert unconstrained == sorted(unconstrained, key=lambda p: (priorities[p], p))
