"""The effective order of a hook's implementations, and why.

Order: the tryfirst band, then normal, then trylast; within a band by
priority (lower first); ties by registration order (FIFO, or LIFO for a
manager created with ``order="lifo"``). Then ``before=``/``after=``
constraints are applied as a stable topological sort: an implementation
moves only as far as a constraint requires, and constraints win over bands
and priorities. A constraint naming a plugin that does not implement the hook
(yet) has no effect. Wrappers are ordered among themselves by the same rules;
the first wrapper is the outermost.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias, final

from hookwise._impl import BAND_NAMES, HookImpl
from hookwise.exceptions import OrderCycleError

RegistrationOrder: TypeAlias = Literal["fifo", "lifo"]
_Edge: TypeAlias = tuple[int, int, str]  # (runs earlier, runs later, why)


def _base_key(impl: HookImpl, order: RegistrationOrder) -> tuple[int, int, int]:
    return (impl.band, impl.priority, impl.seq if order == "fifo" else -impl.seq)


def _edges(impls: Sequence[HookImpl]) -> tuple[list[_Edge], list[list[int]]]:
    """Constraint edges (earlier, later, why), and for each implementation the ones it declared before=."""
    by_plugin: dict[str, list[int]] = {}
    for index, impl in enumerate(impls):
        by_plugin.setdefault(impl.plugin_name, []).append(index)
    edges: list[_Edge] = []
    before_targets: list[list[int]] = [[] for _ in impls]
    for index, impl in enumerate(impls):
        for other in impl.before:
            for target in by_plugin.get(other, ()):
                edges.append((index, target, f"{impl.plugin_name!r} declares before={other!r}"))
                before_targets[index].append(target)
        for other in impl.after:
            why = f"{impl.plugin_name!r} declares after={other!r}"
            edges.extend((target, index, why) for target in by_plugin.get(other, ()))
    return edges, before_targets


def _anchors(before_targets: Sequence[Sequence[int]]) -> list[int]:
    """Where each implementation wants to stand: its own position, or, when it declared
    before= plugins, the earliest of theirs (followed transitively)."""
    anchors: list[int | None] = [None] * len(before_targets)

    def anchor(index: int, visiting: set[int]) -> int:
        known = anchors[index]
        if known is not None:
            return known
        visiting.add(index)
        best = index
        for target in before_targets[index]:
            if target not in visiting:  # a cycle is reported by the sort itself
                best = min(best, anchor(target, visiting))
        visiting.discard(index)
        anchors[index] = best
        return best

    return [anchor(i, set()) for i in range(len(before_targets))]


def sort_impls(hook: str, impls: Sequence[HookImpl], order: RegistrationOrder) -> list[HookImpl]:
    """The implementations in effective order (callers sort wrappers and plain ones separately).

    An implementation that declares ``before=`` moves up to just ahead of the
    plugins it names; one that declares ``after=`` moves down to just behind
    them; every other implementation keeps its place.

    Raises:
        OrderCycleError: the constraints form a cycle; it names every plugin on it.
    """
    base = sorted(impls, key=lambda impl: _base_key(impl, order))
    edges, before_targets = _edges(base)
    if not edges:
        return base
    anchors = _anchors(before_targets)
    successors: list[list[int]] = [[] for _ in base]
    indegree = [0] * len(base)
    for earlier, later, _ in edges:
        successors[earlier].append(later)
        indegree[later] += 1
    ready = [(anchors[i], i) for i, degree in enumerate(indegree) if degree == 0]
    heapq.heapify(ready)
    result: list[HookImpl] = []
    while ready:
        _, index = heapq.heappop(ready)
        result.append(base[index])
        for nxt in successors[index]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, (anchors[nxt], nxt))
    if len(result) < len(base):
        _raise_cycle(hook, base, edges, indegree)
    return result


def _raise_cycle(hook: str, base: Sequence[HookImpl], edges: Sequence[_Edge], indegree: Sequence[int]) -> None:
    remaining = {i for i, degree in enumerate(indegree) if degree > 0}
    predecessor: dict[int, _Edge] = {}
    for edge in edges:
        if edge[0] in remaining and edge[1] in remaining:
            predecessor.setdefault(edge[1], edge)
    # Walk back along predecessors until a node repeats: that walk closes a cycle.
    node = min(remaining)
    path: list[int] = []
    while node not in path:
        path.append(node)
        node = predecessor[node][0]
    loop = path[path.index(node) :]
    loop.reverse()  # earlier-runs-first
    start = loop.index(min(loop))
    loop = loop[start:] + loop[:start]  # begin at the plugin that comes first without constraints
    names = [base[i].plugin_name for i in loop]
    names.append(names[0])
    reasons = "; ".join(predecessor[i][2] for i in [*loop[1:], loop[0]])
    msg = f"hook {hook!r}: before/after constraints form a cycle: {' -> '.join(names)} ({reasons})"
    raise OrderCycleError(msg, hook=hook, cycle=names)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@final
class OrderEntry:
    """One implementation's place in a hook's order, with the reasons for it.

    Attributes:
        position: 1-based position among wrappers or among plain implementations.
        plugin: the plugin's name.
        function: the implementing function's qualified name.
        wrapper: whether it is a wrapper.
        band: ``"tryfirst"``, ``"normal"`` or ``"trylast"``.
        priority: its priority.
        registered: its 1-based registration rank among this hook's implementations.
        reasons: why it stands where it does, in words.
    """

    __slots__ = ("band", "function", "plugin", "position", "priority", "reasons", "registered", "wrapper")

    def __init__(
        self,
        *,
        position: int,
        plugin: str,
        function: str,
        wrapper: bool,
        band: str,
        priority: int,
        registered: int,
        reasons: tuple[str, ...],
    ) -> None:
        self.position: int = position
        self.plugin: str = plugin
        self.function: str = function
        self.wrapper: bool = wrapper
        self.band: str = band
        self.priority: int = priority
        self.registered: int = registered
        self.reasons: tuple[str, ...] = reasons

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data."""
        return {name: getattr(self, name) for name in self.__slots__} | {"reasons": list(self.reasons)}


@final
class Explanation:
    """The effective order of one hook: wrappers (outermost first), then plain implementations.

    ``str()`` gives readable text; :meth:`as_dict` gives data.
    """

    __slots__ = ("entries", "hook", "order")

    def __init__(self, hook: str, order: RegistrationOrder, entries: Sequence[OrderEntry]) -> None:
        self.hook: str = hook
        self.order: RegistrationOrder = order
        self.entries: tuple[OrderEntry, ...] = tuple(entries)

    @property
    def plugins(self) -> list[str]:
        """Plugin names in call order (wrappers first)."""
        return [entry.plugin for entry in self.entries]

    def as_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data."""
        return {"hook": self.hook, "order": self.order, "entries": [e.as_dict() for e in self.entries]}

    def to_json(self) -> str:
        """The explanation as a JSON document."""
        import json

        return json.dumps(self.as_dict(), indent=2)

    def __str__(self) -> str:
        rule = "later registrations first" if self.order == "lifo" else "earlier registrations first"
        header = (
            f"hook {self.hook!r}: tryfirst, normal, trylast bands; then priority, lower first; "
            f"then {rule} ({self.order.upper()}); then before/after"
        )
        lines = [header]
        if not self.entries:
            lines.append("  no implementations")
        for entry in self.entries:
            role = "wrapper " if entry.wrapper else ""
            function = "" if entry.function == entry.plugin else f" ({entry.function})"
            lines.append(f"  {role}{entry.position}. {entry.plugin}{function}: {'; '.join(entry.reasons)}")
        return "\n".join(lines)


def explain(hook: str, ordered: Sequence[HookImpl], order: RegistrationOrder) -> Explanation:
    """Explain an already ordered list of implementations (wrappers first)."""
    entries: list[OrderEntry] = []
    for group in ([i for i in ordered if i.wrapper], [i for i in ordered if not i.wrapper]):
        entries.extend(_explain_group(group, order))
    return Explanation(hook, order, entries)


def _explain_group(group: Sequence[HookImpl], order: RegistrationOrder) -> list[OrderEntry]:
    base = sorted(group, key=lambda impl: _base_key(impl, order))
    rank = {impl.seq: n for n, impl in enumerate(sorted(group, key=lambda impl: impl.seq), start=1)}
    plugins = {impl.plugin_name for impl in group}
    entries: list[OrderEntry] = []
    for position, impl in enumerate(group, start=1):
        reasons = [f"{BAND_NAMES[impl.band]} band", f"priority {impl.priority}"]
        reasons.append(f"registered {_ordinal(rank[impl.seq])} of {len(group)}")
        for other in impl.before:
            state = "applies" if other in plugins else f"no effect: {other!r} does not implement this hook"
            reasons.append(f"declares before={other!r} ({state})")
        for other in impl.after:
            state = "applies" if other in plugins else f"no effect: {other!r} does not implement this hook"
            reasons.append(f"declares after={other!r} ({state})")
        for peer in group:
            if impl.plugin_name in peer.before:
                reasons.append(f"{peer.plugin_name!r} declares before={impl.plugin_name!r}")
            if impl.plugin_name in peer.after:
                reasons.append(f"{peer.plugin_name!r} declares after={impl.plugin_name!r}")
        base_position = base.index(impl) + 1
        declares = any(other in plugins for other in (*impl.before, *impl.after))
        if declares and base_position != position:
            reasons.append(f"moved from position {base_position} by before/after constraints")
        entries.append(
            OrderEntry(
                position=position,
                plugin=impl.plugin_name,
                function=impl.qualname,
                wrapper=impl.wrapper,
                band=BAND_NAMES[impl.band],
                priority=impl.priority,
                registered=rank[impl.seq],
                reasons=tuple(reasons),
            )
        )
    return entries
