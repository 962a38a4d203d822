"""hookwise against a plain loop, pluggy and blinker, side by side in one process.

    python benchmarks/run.py            a table, plus import and registration figures
    python benchmarks/run.py --json     the rows as JSON
    python benchmarks/run.py --quick    fewer, shorter rounds (a smoke run)

Each workload calls trivial implementations taking two arguments, ``a`` and
``b``, with keyword arguments. Every system is timed on the same workload in
the same process, in interleaved rounds (so machine noise hits all alike),
and the median of the rounds is reported, with its ratio to the plain loop:
the code a careful engineer would write by hand for the same behaviour.

- collect: call every implementation, keep the non-None results.
- first: stop at the first non-None result (the middle implementation returns one).
- intercept: every handler returns None; the loop checks for Allow, Veto and Patch
  and builds the same ``DispatchResult`` hookwise returns.

``compat`` is ``hookwise.compat.pluggy``: the same pluggy host code, on hookwise.

Wrappers are generators that yield once and return the result (pluggy's
``wrapper=True``); the loop runs them the same way by hand. blinker has no
wrappers, first-result or intercept semantics, so it appears in collect rows
without wrappers only. Times include the timing loop's own per-call overhead
(about 10 ns), the same for every system.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import timeit
import types
from collections.abc import Callable, Generator
from typing import Any

import blinker
import pluggy

import hookwise
from hookwise import Allow, DispatchResult, HookManager, Kind, Patch, Veto
from hookwise.compat import pluggy as compat_pluggy

Call = Callable[[], object]
Row = dict[str, Any]


# -- implementations ------------------------------------------------------------


def make_impls(count: int, *, answer_at: int | None) -> list[Callable[[int, int], object]]:
    """``count`` functions of (a, b); with ``answer_at`` only that one returns a value (else all do)."""

    def make(index: int) -> Callable[[int, int], object]:
        value = None if answer_at is not None and index != answer_at else index

        def impl(a: int, b: int) -> object:
            return value

        return impl

    return [make(i) for i in range(count)]


def make_wrapper() -> Callable[..., Generator[None, object, object]]:
    def wrapper(a: int) -> Generator[None, object, object]:
        result = yield
        return result

    return wrapper


# -- the plain loops: what one would write by hand --------------------------------


def loop_collect(impls: list[Callable[[int, int], object]]) -> Callable[..., object]:
    def call(a: int, b: int) -> list[object]:
        out = []
        for f in impls:
            r = f(a, b)
            if r is not None:
                out.append(r)
        return out

    return call


def loop_first(impls: list[Callable[[int, int], object]]) -> Callable[..., object]:
    def call(a: int, b: int) -> object:
        for f in impls:
            r = f(a, b)
            if r is not None:
                return r
        return None

    return call


def loop_intercept(impls: list[Callable[[int, int], object]]) -> Callable[..., object]:
    def call(a: int, b: int) -> DispatchResult:
        patches: dict[str, object] = {}
        for f in impls:
            r = f(a, b)
            if r is None or r.__class__ is Allow:
                continue
            if isinstance(r, Veto):
                return DispatchResult("h", {"a": a, "b": b}, vetoed=True, reason=r.reason)
            if isinstance(r, Patch):
                patches.update(r.data)
        return DispatchResult("h", {"a": a, "b": b}, patches=patches)

    return call


def loop_wrapped(inner: Callable[..., object], wrappers: list[Callable[..., Any]]) -> Callable[..., object]:
    def call(a: int, b: int) -> object:
        gens = []
        for w in wrappers:
            g = w(a)
            next(g)
            gens.append(g)
        result = inner(a, b)
        for g in reversed(gens):
            try:
                g.send(result)
            except StopIteration as stop:
                result = stop.value
        return result

    return call


LOOPS = {"collect": loop_collect, "first": loop_first, "intercept": loop_intercept}


# -- the systems ----------------------------------------------------------------------


def hookwise_call(kind: Kind, impls: list[Any], wrappers: list[Any]) -> Callable[..., object]:
    manager = HookManager()
    manager.add_spec("h", ["a", "b"], kind=kind)
    for index, impl in enumerate(impls):
        manager.register(types.SimpleNamespace(h=hookwise.hookimpl(impl)), name=f"p{index}")
    for index, wrapper in enumerate(wrappers):
        manager.register(types.SimpleNamespace(h=hookwise.hookimpl(wrapper=True)(wrapper)), name=f"w{index}")
    relay: Any = manager.call
    warm(relay)
    return relay.h  # type: ignore[no-any-return]


def warm(relay: Any) -> None:
    """Call the hook until its compiled caller is in place (a hook is interpreted for its first calls)."""
    for _ in range(32):
        relay.h(a=1, b=2)


def pluggy_call(kind: Kind, impls: list[Any], wrappers: list[Any], api: Any = pluggy) -> Callable[..., object]:
    """The hook on pluggy, or on another implementation of its API (``hookwise.compat.pluggy``)."""
    caller: Callable[..., object] = pluggy_manager(kind, impls, wrappers, api).hook.h
    return caller


def pluggy_manager(kind: Kind, impls: list[Any], wrappers: list[Any], api: Any = pluggy) -> Any:
    """A plugin manager of pluggy's API with hook ``h`` and these implementations and wrappers."""
    spec_marker = api.HookspecMarker("bench")
    impl_marker = api.HookimplMarker("bench")

    def h(a: int, b: int) -> object:
        """The spec."""

    specs = type("Specs", (), {"h": staticmethod(spec_marker(firstresult=kind == "first")(h))})
    manager = api.PluginManager("bench")
    manager.add_hookspecs(specs)
    for impl in impls:
        manager.register(types.SimpleNamespace(h=impl_marker(impl)))
    for wrapper in wrappers:
        manager.register(types.SimpleNamespace(h=impl_marker(wrapper=True)(wrapper)))
    return manager


def blinker_call(impls: list[Any]) -> Callable[..., object]:
    signal = blinker.Signal()
    for impl in impls:

        def receiver(sender: object, a: int, b: int, impl: Any = impl) -> object:
            return impl(a, b)

        signal.connect(receiver, weak=False)

    def send(a: int, b: int) -> object:
        return signal.send(None, a=a, b=b)

    return send


def systems_for(kind: Kind, count: int, wrappers: int) -> dict[str, Callable[..., object]]:
    impls = make_impls(count, answer_at=count // 2 if kind == "first" else None)
    if kind == "intercept":
        impls = make_impls(count, answer_at=-1)  # every handler returns None
    wrapper_fns = [make_wrapper() for _ in range(wrappers)]
    loop = LOOPS[kind](impls)
    systems: dict[str, Callable[..., object]] = {
        "loop": loop_wrapped(loop, wrapper_fns) if wrappers else loop,
        "hookwise": hookwise_call(kind, impls, wrapper_fns),
    }
    if kind != "intercept":
        systems["pluggy"] = pluggy_call(kind, impls, wrapper_fns)
        systems["compat"] = pluggy_call(kind, impls, wrapper_fns, api=compat_pluggy)
    if kind == "collect" and not wrappers:
        systems["blinker"] = blinker_call(impls)
    return systems


# -- timing ---------------------------------------------------------------------------------


def time_calls(function: Callable[..., object], number: int) -> float:
    """Nanoseconds per call of ``function(a=1, b=2)``."""
    timer = timeit.Timer("f(a=1, b=2)", globals={"f": function})
    return timer.timeit(number) / number * 1e9


def calibrate(function: Callable[..., object], target_s: float) -> int:
    number = 100
    while True:
        start = time.perf_counter()
        time_calls(function, number)
        if time.perf_counter() - start >= target_s / 4 or number >= 10_000_000:
            return max(1, int(number * target_s / max(time.perf_counter() - start, 1e-9)))
        number *= 4


def measure(kind: Kind, count: int, wrappers: int, *, rounds: int, target_s: float) -> list[Row]:
    systems = systems_for(kind, count, wrappers)
    reference = systems["loop"](a=1, b=2)
    for name, function in systems.items():
        if name in ("hookwise", "loop", "compat") or kind == "first":
            result = function(a=1, b=2)
            # The compat layer answers as pluggy does (last registered first), not as the loop.
            expected = systems["pluggy"](a=1, b=2) if name == "compat" else reference
            same = (
                isinstance(result, DispatchResult) and not result.vetoed if kind == "intercept" else result == expected
            )
            if not same:
                msg = f"{name} disagrees on {kind}/{count}/{wrappers}: {result!r} != {expected!r}"
                raise AssertionError(msg)
    number = calibrate(systems["loop"], target_s)
    samples: dict[str, list[float]] = {name: [] for name in systems}
    order = list(systems)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            samples[name].append(time_calls(systems[name], number))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return [
        {
            "workload": kind,
            "system": name,
            "impls": count,
            "wrappers": wrappers,
            "ns_per_call": round(medians[name], 1),
            "ratio_vs_loop": round(medians[name] / medians["loop"], 3),
        }
        for name in systems
    ]


def workloads() -> list[tuple[Kind, int, int]]:
    plan: list[tuple[Kind, int, int]] = [("collect", n, w) for n in (1, 10, 100) for w in (0, 1, 5)]
    kinds: tuple[Kind, ...] = ("first", "intercept")
    plan.extend((kind, n, 0) for kind in kinds for n in (1, 10, 100))
    return plan


# -- guardrails and monitors ----------------------------------------------------------------


def guardrail_costs(*, rounds: int, number: int, count: int = 10) -> dict[str, float]:
    """ns per collect call of ``count`` implementations with each guardrail or monitor on, and with none."""
    impls = make_impls(count, answer_at=None)

    def manager(**options: Any) -> tuple[HookManager[object], Any]:
        spec_options = {k: options.pop(k) for k in ("strict",) if k in options}
        hooks = HookManager(**options)
        hooks.add_spec("h", ["a", "b"], **spec_options)
        for index, impl in enumerate(impls):
            hooks.register(types.SimpleNamespace(h=hookwise.hookimpl(impl)), name=f"p{index}")
        return hooks, hooks.call

    variants: dict[str, Callable[..., object]] = {}
    settings: dict[str, dict[str, Any]] = {
        "off (no guardrail, no monitor)": {},
        "budget (1 s, never exceeded)": {"budget": 1.0},
        "strict context": {"strict": True},
        "re-entry detection": {"detect_reentry": True},
    }
    for name, options in settings.items():
        _, relay = manager(**options)
        warm(relay)
        variants[name] = relay.h
    hooks, relay = manager()
    hooks.add_monitor(lambda event: None)
    warm(relay)
    variants["a monitor that does nothing"] = relay.h
    hooks, relay = manager()
    stats = hookwise.HookStats()
    hooks.add_monitor(stats)
    warm(relay)
    variants["HookStats monitor"] = relay.h
    samples: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for _ in range(rounds):
        random.shuffle(names)
        for name in names:
            samples[name].append(time_calls(variants[name], number))
    return {name: statistics.median(values) for name, values in samples.items()}


# -- awaited calls --------------------------------------------------------------------------


def awaited_times(counts: tuple[int, ...], *, rounds: int, calls: int) -> list[dict[str, float]]:
    """An awaited collect call of async implementations against ``for f in fs: await f(a, b)``."""
    import asyncio

    def make_async(index: int) -> Callable[[int, int], Any]:
        async def impl(a: int, b: int) -> int:
            return index

        return impl

    async def measure_all() -> list[dict[str, float]]:
        rows = []
        for count in counts:
            impls = [make_async(i) for i in range(count)]

            async def loop(a: int, b: int, impls: list[Callable[[int, int], Any]] = impls) -> list[object]:
                out = []
                for f in impls:
                    r = await f(a, b)
                    if r is not None:
                        out.append(r)
                return out

            manager = HookManager()
            manager.add_spec("h", ["a", "b"])
            for index, impl in enumerate(impls):
                manager.register(types.SimpleNamespace(h=hookwise.hookimpl(impl)), name=f"p{index}")
            relay: Any = manager.call
            for _ in range(32):  # until the compiled async caller is in place
                assert await relay.h.acall(a=1, b=2) == await loop(a=1, b=2)
            hooked = relay.h.acall
            samples: dict[str, list[float]] = {"loop": [], "hookwise": []}
            for _ in range(rounds):
                for name, function in random.sample([("loop", loop), ("hookwise", hooked)], 2):
                    start = time.perf_counter()
                    for _ in range(calls):
                        await function(a=1, b=2)
                    samples[name].append((time.perf_counter() - start) / calls * 1e9)
            loop_ns, hookwise_ns = statistics.median(samples["loop"]), statistics.median(samples["hookwise"])
            rows.append(
                {"impls": count, "loop_ns": loop_ns, "hookwise_ns": hookwise_ns, "ratio": hookwise_ns / loop_ns}
            )
        return rows

    return asyncio.run(measure_all())


# -- other figures --------------------------------------------------------------------------


def import_times(runs: int) -> dict[str, float]:
    """Median milliseconds for a fresh interpreter to import each module (interleaved).

    Both are timed from bytecode, as installed packages are: hookwise's is
    compiled first, since an editable install (or PYTHONDONTWRITEBYTECODE)
    would otherwise time the compiler.
    """
    import compileall
    from pathlib import Path

    compileall.compile_dir(str(Path(hookwise.__file__).parent), quiet=1)
    code = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"
    samples: dict[str, list[float]] = {"hookwise": [], "pluggy": []}
    for _ in range(runs):
        for module, times in samples.items():
            command = [sys.executable, "-c", code.format(module)]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
            times.append(float(out) * 1000)
    return {module: statistics.median(values) for module, values in samples.items()}


def plugins_of(size: int, hooks: int, marker: Callable[[Any], Any]) -> list[Any]:
    """``size`` plugin objects, each implementing ``hooks`` hooks ``h0``... with its own function."""
    plugins = []
    for _ in range(size):

        def impl(a: int, b: int) -> int:
            return a

        plugins.append(types.SimpleNamespace(**{f"h{h}": marker(impl) for h in range(hooks)}))
    return plugins


def registrars(hooks: int) -> dict[str, Callable[[], tuple[Callable[[Any, int], object], Callable[[], object]]]]:
    """For each system: a fresh (register(plugin, index), call_first_hook()) pair over ``hooks`` hooks."""

    def native() -> tuple[Callable[[Any, int], object], Callable[[], object]]:
        manager = HookManager()
        for h in range(hooks):
            manager.add_spec(f"h{h}", ["a", "b"])
        caller = manager.hook("h0")
        return (lambda plugin, index: manager.register(plugin, name=f"p{index}")), (lambda: caller(a=1, b=2))

    def on(api: Any) -> Callable[[], tuple[Callable[[Any, int], object], Callable[[], object]]]:
        def make() -> tuple[Callable[[Any, int], object], Callable[[], object]]:
            spec_marker = api.HookspecMarker("bench")

            def h(a: int, b: int) -> object:
                """The spec."""

            specs = type("Specs", (), {f"h{i}": staticmethod(spec_marker(h)) for i in range(hooks)})
            manager = api.PluginManager("bench")
            manager.add_hookspecs(specs)
            caller = manager.hook.h0
            return (lambda plugin, index: manager.register(plugin, name=f"p{index}")), (lambda: caller(a=1, b=2))

        return make

    return {"hookwise": native, "pluggy": on(pluggy), "compat": on(compat_pluggy)}


MARKERS: dict[str, Callable[[Any], Any]] = {
    "hookwise": hookwise.hookimpl,
    "pluggy": pluggy.HookimplMarker("bench"),
    "compat": compat_pluggy.HookimplMarker("bench"),
}


def registration_times(sizes: tuple[int, ...], hooks: int = 10, rounds: int = 3) -> list[dict[str, Any]]:
    """Microseconds per plugin to register ``size`` plugins of ``hooks`` hooks, then the first call of a hook."""
    rows = []
    for size in sizes:
        samples: dict[str, list[float]] = {system: [] for system in MARKERS}
        first: dict[str, list[float]] = {system: [] for system in MARKERS}
        for _ in range(rounds):
            for system, make in random.sample(list(registrars(hooks).items()), len(MARKERS)):
                plugins = plugins_of(size, hooks, MARKERS[system])
                register, call = make()
                start = time.perf_counter()
                for index, plugin in enumerate(plugins):
                    register(plugin, index)
                samples[system].append((time.perf_counter() - start) / size * 1e6)
                start = time.perf_counter()
                call()
                first[system].append((time.perf_counter() - start) * 1e3)
        rows.append(
            {"plugins": size}
            | {f"{system}_us_per_plugin": statistics.median(values) for system, values in samples.items()}
            | {f"{system}_first_call_ms": statistics.median(values) for system, values in first.items()}
        )
    return rows


def alternating_times(sizes: tuple[int, ...], steps: int = 20) -> list[dict[str, Any]]:
    """Milliseconds per (register one plugin, then call the hook) once ``size`` plugins implement it."""
    rows = []
    for size in sizes:
        row: dict[str, Any] = {"implementations": size}
        for system, make in registrars(1).items():
            plugins = plugins_of(size + steps, 1, MARKERS[system])
            register, call = make()
            for index in range(size):
                register(plugins[index], index)
            call()
            start = time.perf_counter()
            for index in range(size, size + steps):
                register(plugins[index], index)
                call()
            row[f"{system}_ms"] = (time.perf_counter() - start) / steps * 1e3
        rows.append(row)
    return rows


def first_call_times(counts: tuple[int, ...], *, rounds: int, number: int) -> list[dict[str, float]]:
    """ns per call in a hook's first calls after a change (interpreted), against pluggy and the compiled caller."""
    rows = []
    for count in counts:
        impls = make_impls(count, answer_at=None)
        manager = HookManager()
        manager.add_spec("h", ["a", "b"])
        for index, impl in enumerate(impls):
            manager.register(types.SimpleNamespace(h=hookwise.hookimpl(impl)), name=f"p{index}")
        engine = manager.hook("h")
        compiled = hookwise_call("collect", impls, [])
        plan_caller = _interpreted(manager)
        systems = {"interpreted": plan_caller, "compiled": compiled, "pluggy": pluggy_call("collect", impls, [])}
        assert plan_caller(a=1, b=2) == compiled(a=1, b=2) == list(range(count)), engine
        samples: dict[str, list[float]] = {name: [] for name in systems}
        for _ in range(rounds):
            for name in random.sample(list(systems), len(systems)):
                samples[name].append(time_calls(systems[name], number))
        rows.append({"impls": count} | {name: statistics.median(values) for name, values in samples.items()})
    return rows


SHAPES = ("plain", "monitored", "tracing", "call_extra")


def shape_times(counts: tuple[int, ...], *, rounds: int, number: int) -> list[Row]:
    """ns per call of pluggy's other call shapes, on pluggy and on hookwise.compat.pluggy, beside the plain call.

    ``monitored``: one ``add_hookcall_monitoring`` whose ``before`` and
    ``after`` do nothing; ``tracing``: ``enable_tracing()`` with no writer
    (Kedro's case); ``call_extra``: one extra function, the same each call
    (pytest's ``pytest_generate_tests``).
    """

    def extra(a: int, b: int) -> None:
        return None

    def nothing(*args: object) -> None:
        return None

    rows: list[Row] = []
    for count in counts:
        impls = make_impls(count, answer_at=None)
        for system, api in (("pluggy", pluggy), ("compat", compat_pluggy)):
            manager = pluggy_manager("collect", impls, [], api)
            caller = manager.hook.h
            samples: dict[str, list[float]] = {shape: [] for shape in SHAPES}
            for _ in range(rounds):  # each shape in turn, so that the machine's noise falls on all of them
                for shape in SHAPES:
                    undo = None
                    if shape == "monitored":
                        undo = manager.add_hookcall_monitoring(nothing, nothing)
                    elif shape == "tracing":
                        undo = manager.enable_tracing()
                    # as hosts call them: the caller with keywords, call_extra with a new list and a dict
                    statement = "c.call_extra([x], {'a': 1, 'b': 2})" if shape == "call_extra" else "c(a=1, b=2)"
                    timer = timeit.Timer(statement, globals={"c": caller, "x": extra})
                    timer.timeit(100)  # compiled, and (compat) the caller's own __call__
                    samples[shape].append(timer.timeit(number) / number * 1e9)
                    if undo is not None:
                        undo()
            medians = {shape: statistics.median(values) for shape, values in samples.items()}
            rows.append(
                {"impls": count, "system": system}
                | {f"{shape}_ns": ns for shape, ns in medians.items()}
                | {f"{shape}_x": ns / medians["plain"] for shape, ns in medians.items() if shape != "plain"}
            )
    return rows


def _interpreted(manager: HookManager[Any]) -> Callable[..., object]:
    """The hook as interpreted right after a change, kept from compiling (the tier after a registration)."""
    from hookwise._engine import SYNC
    from hookwise._interpreter import interpret
    from hookwise._outcomes import Outcomes

    plan = manager.hook("h")._engine._plan(SYNC)  # noqa: SLF001 - the benchmark holds the interpreted tier on purpose
    outcomes = Outcomes(plan)

    def call(**kwargs: Any) -> object:
        return interpret(plan, outcomes, kwargs, None)

    return call


# -- output -----------------------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    print(
        "| workload | impls | wrappers | loop ns | hookwise ns (x loop) | pluggy ns (x loop) "
        "| hookwise.compat.pluggy ns (x loop) | blinker ns (x loop) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    keyed = {(r["workload"], r["impls"], r["wrappers"], r["system"]): r for r in rows}
    for kind, count, wrappers in workloads():
        if (kind, count, wrappers, "loop") not in keyed:
            continue
        cells = []
        for system in ("hookwise", "pluggy", "compat", "blinker"):
            row = keyed.get((kind, count, wrappers, system))
            cells.append(f"{row['ns_per_call']:.0f} ({row['ratio_vs_loop']:.2f}x)" if row else "-")
        loop = keyed[(kind, count, wrappers, "loop")]["ns_per_call"]
        print(f"| {kind} | {count} | {wrappers} | {loop:.0f} | " + " | ".join(cells) + " |")


def wrapper_costs(rows: list[Row]) -> dict[str, float]:
    """Nanoseconds each wrapper adds (collect, 10 implementations; 5 wrappers against none)."""
    keyed = {(r["workload"], r["impls"], r["wrappers"], r["system"]): r["ns_per_call"] for r in rows}
    return {
        system: (keyed[("collect", 10, 5, system)] - keyed[("collect", 10, 0, system)]) / 5
        for system in ("loop", "hookwise", "pluggy")
        if ("collect", 10, 5, system) in keyed
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    args = parser.parse_args(argv)
    rounds, target = (3, 0.005) if args.quick else (9, 0.05)
    rows: list[Row] = []
    for kind, count, wrappers in workloads():
        rows.extend(measure(kind, count, wrappers, rounds=rounds, target_s=target))
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    from importlib.metadata import version

    print(
        f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}, {os.cpu_count()} cores; "
        f"pluggy {version('pluggy')}, blinker {version('blinker')}; {rounds} rounds, medians\n"
    )
    print_table(rows)
    print("\nEach wrapper adds (collect, 10 implementations, 5 wrappers vs none):")
    for system, ns in wrapper_costs(rows).items():
        print(f"  {system}: {ns:.0f} ns")
    print("\nGuardrails and monitors, collect with 10 implementations (off = the plain compiled caller):")
    costs = guardrail_costs(rounds=rounds, number=2000 if args.quick else 20000)
    plain = costs["off (no guardrail, no monitor)"]
    for name, ns in costs.items():
        print(f"  {name:<34} {ns:8.0f} ns  (+{ns - plain:.0f} ns, {ns / plain:.2f}x)")
    print(
        "\npluggy's other call shapes, ns per call (x the same system's plain call): a no-op hookcall monitor, "
        "enable_tracing with no writer, call_extra with one function:"
    )
    for row in shape_times((1, 5, 10), rounds=rounds, number=2000 if args.quick else 20000):
        print(
            f"  {row['system']:<6} {row['impls']:>2} impls: plain {row['plain_ns']:.0f} ns, "
            + ", ".join(f"{shape} {row[f'{shape}_ns']:.0f} ns ({row[f'{shape}_x']:.2f}x)" for shape in SHAPES[1:])
        )
    print("\nAwaited collect call of async implementations vs `for f in fs: r = await f(a, b)`:")
    for row in awaited_times((1, 10, 100), rounds=rounds, calls=2000 if args.quick else 20000):
        print(
            f"  {row['impls']:>3} impls: loop {row['loop_ns']:.0f} ns, hookwise {row['hookwise_ns']:.0f} ns "
            f"({row['ratio']:.2f}x)"
        )
    imports = import_times(5 if args.quick else 21)
    print(
        "\nimport time (fresh interpreter, median): "
        f"hookwise {imports['hookwise']:.1f} ms, pluggy {imports['pluggy']:.1f} ms"
    )
    print("\nRegistering plugins of 10 hooks each, us per plugin (then the first call of one hook):")
    for row in registration_times((100, 1000) if args.quick else (100, 1000, 10000)):
        print(
            f"  {row['plugins']:>6} plugins: "
            + ", ".join(
                f"{system} {row[f'{system}_us_per_plugin']:.1f} us ({row[f'{system}_first_call_ms']:.2f} ms)"
                for system in MARKERS
            )
        )
    print("\nRegister one plugin, then call the hook, with n implementations already there (ms per step):")
    for row in alternating_times((1000, 4000) if args.quick else (1000, 4000, 16000)):
        print(
            f"  {row['implementations']:>6} implementations: "
            + ", ".join(f"{system} {row[f'{system}_ms']:.2f} ms" for system in MARKERS)
        )
    print("\nA hook's first calls after a change (interpreted), collect, ns per call:")
    for row in first_call_times((1, 10, 100), rounds=rounds, number=2000 if args.quick else 20000):
        print(
            f"  {row['impls']:>3} impls: interpreted {row['interpreted']:.0f} ns, compiled {row['compiled']:.0f} ns, "
            f"pluggy {row['pluggy']:.0f} ns"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
