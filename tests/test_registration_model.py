"""Registration sequences against a model: whatever is registered, unregistered, blocked and called, in any order.

Hypothesis drives a manager through random sequences of registrations (with
bands and priorities), unregistrations, blocks, unblocks and calls; a plain
model of the documented rules says what every call must return, in what
order, and what the manager must list. Calls interleave with changes, so
hooks move between their interpreted and compiled callers all along.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hookwise import HookManager, OrderCycleError, RegistrationError, hookimpl
from hookwise._order import RegistrationOrder

NAMES = [f"p{i}" for i in range(8)]
HOOKS = ["collect", "first"]
BANDS = {"tryfirst": 0, "normal": 1, "trylast": 2}


def plugin(name: str, hooks: list[str], band: str, priority: int) -> object:
    options: dict[str, Any] = {"priority": priority, "tryfirst": band == "tryfirst", "trylast": band == "trylast"}
    namespace: dict[str, Any] = {}
    for hook in hooks:

        def implementation(x: int, name: str = name) -> str:
            return name

        namespace[hook] = staticmethod(hookimpl(**options)(implementation))
    return type(name, (), namespace)()


class Registrations(RuleBasedStateMachine):
    order: RegistrationOrder = "fifo"

    def __init__(self) -> None:
        super().__init__()
        self.manager = HookManager(order=self.order)
        self.manager.add_spec("collect", ["x"])
        self.manager.add_spec("first", ["x"], kind="first")
        # the model: name -> (registration number, hooks, band, priority), and the blocked names
        self.registered: dict[str, tuple[int, list[str], str, int]] = {}
        self.blocked: set[str] = set()
        self.count = 0

    def expected(self, hook: str) -> list[str]:
        entries = [
            (n, name, band, priority) for name, (n, hooks, band, priority) in self.registered.items() if hook in hooks
        ]
        sign = 1 if self.order == "fifo" else -1
        entries.sort(key=lambda entry: (BANDS[entry[2]], entry[3], sign * entry[0]))
        return [name for _, name, _, _ in entries]

    @rule(
        name=st.sampled_from(NAMES),
        hooks=st.lists(st.sampled_from(HOOKS), min_size=1, max_size=2, unique=True),
        band=st.sampled_from(list(BANDS)),
        priority=st.integers(-1, 1),
    )
    def register(self, name: str, hooks: list[str], band: str, priority: int) -> None:
        made = plugin(name, hooks, band, priority)
        if name in self.registered:
            with pytest.raises(RegistrationError, match=f"a plugin named '{name}' is already registered"):
                self.manager.register(made, name=name)
            return
        result = self.manager.register(made, name=name)
        if name in self.blocked:
            assert result is None
            return
        assert result == name
        self.count += 1
        self.registered[name] = (self.count, hooks, band, priority)

    @precondition(lambda self: bool(self.registered))
    @rule(data=st.data())
    def unregister(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.registered)))
        self.manager.unregister(name)
        del self.registered[name]

    @rule(name=st.sampled_from(NAMES))
    def block(self, name: str) -> None:
        self.manager.block(name)
        self.blocked.add(name)
        self.registered.pop(name, None)

    @rule(name=st.sampled_from(NAMES))
    def unblock(self, name: str) -> None:
        assert self.manager.unblock(name) is (name in self.blocked)
        self.blocked.discard(name)

    @rule(times=st.integers(1, 12))
    def call(self, times: int) -> None:
        for _ in range(times):
            assert self.manager.hook("collect")(x=0) == self.expected("collect")
            first = self.expected("first")
            assert self.manager.hook("first")(x=0) == (first[0] if first else None)

    @invariant()
    def listings_match(self) -> None:
        assert list(self.manager.plugins) == list(self.registered)
        assert self.manager.blocked == sorted(self.blocked)
        for hook in HOOKS:
            assert self.manager.hook(hook).plugins == self.expected(hook)
            assert self.manager.explain(hook).plugins == self.expected(hook)


class LifoRegistrations(Registrations):
    order = "lifo"


FifoTest = Registrations.TestCase
LifoTest = LifoRegistrations.TestCase
FifoTest.settings = LifoTest.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def test_a_cycle_closed_by_a_registration_leaves_the_manager_as_it_was() -> None:
    """The registration that closes a before/after cycle changes nothing, on any hook."""
    manager = HookManager()
    manager.add_spec("h", ["x"])
    manager.add_spec("g", ["x"])
    manager.register("h", lambda c: "a", name="a", before="b")
    manager.register("g", lambda c: "g", name="g")
    with pytest.raises(OrderCycleError):
        manager.register(
            type(
                "B",
                (),
                {"h": staticmethod(hookimpl(before="a")(lambda x: "b")), "g": staticmethod(hookimpl(lambda x: "bg"))},
            )(),
            name="b",
        )
    assert list(manager.plugins) == ["a", "g"]
    assert manager.hook("h")(x=0) == ["a"]
    assert manager.hook("g")(x=0) == ["g"]
