"""Calling implementations the way pluggy does, through the hookwise engine.

pluggy's ``_multicall(hook_name, hook_impls, kwargs, firstresult)`` calls a
list of implementations in reverse order, wrappers around the rest. Here the
same list becomes an engine plan, in the same order, and runs on the engine's
call path, so pluggy hosts get hookwise's instrumentation, clean tracebacks
and speed. A hook caller's own implementations take the compiled path
(``_hooks.HookCaller``); other lists (``call_extra``'s, a historic replay's)
keep a caller of their own (``_route.Impls``), and a list of the host's making
is called once.

pluggy's dialect: calls may pass more arguments than implementations take;
exceptions get no notes; a misbehaving wrapper is a ``RuntimeError`` naming
its code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, Final, cast

from hookwise import HookImpl as EngineImpl
from hookwise import HookSpec, ImplOptions
from hookwise._engine import Dialect, Instrumentation, runner
from hookwise._guardrails import hidden_from_pytest, warn_outside
from hookwise.compat.pluggy._result import HookCallError, Result
from hookwise.compat.pluggy._warnings import PluggyTeardownRaisedWarning

if TYPE_CHECKING:
    from hookwise.compat.pluggy._hooks import HookImpl
    from hookwise.compat.pluggy._markers import HookimplOpts

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's

Teardown = Generator[None, object, object]

MISSING: Final = object()
"""The default of every parameter of a pluggy hook's engine spec: a call may leave out arguments no
implementation takes; implementations that take one are checked before the call."""


def wrapfail(generator: Any, problem: str) -> RuntimeError:
    """pluggy's error for a wrapper that did not yield, or yielded twice."""
    code = generator.gi_code
    return RuntimeError(f"wrap_controller at {code.co_name!r} {code.co_filename}:{code.co_firstlineno} {problem}")


def _wrapper_error(wrapper: EngineImpl, generator: Any, problem: str) -> BaseException:
    del wrapper  # pluggy names the generator's code, not the plugin
    return wrapfail(generator, "has second yield" if problem.startswith("yielded twice") else problem)


PLUGGY: Final = Dialect(
    "pluggy", accepts_unknown=True, notes=False, wrapper_error=_wrapper_error, checks_outcomes=False
)


def run_old_style_hookwrapper(function: Callable[..., Any], hook_name: str, plugin_name: str) -> Callable[..., Any]:
    """A new-style wrapper that runs an old-style hookwrapper, which receives a :class:`Result`."""

    def run(*args: Any) -> Teardown:
        teardown = cast("Teardown", function(*args))
        try:
            next(teardown)
        except StopIteration:
            raise wrapfail(teardown, "did not yield") from None
        try:
            result: Result[Any] = Result((yield), None)
        except BaseException as error:  # noqa: BLE001 - handed to the old-style wrapper, as pluggy does
            result = Result(None, error)
        try:
            teardown.send(result)
        except StopIteration:
            pass
        except BaseException as error:
            message = (
                "A plugin raised an exception during an old-style hookwrapper teardown.\n"
                f"Plugin: {plugin_name}, Hook: {hook_name}\n{type(error).__name__}: {error}\n"
                "For more information see "
                "https://pluggy.readthedocs.io/en/stable/api_reference.html#pluggy.PluggyTeardownRaisedWarning"
            )
            warn_outside(PluggyTeardownRaisedWarning(message))  # at the line that called the hook, as pluggy does
            raise
        else:
            raise wrapfail(teardown, "has second yield")
        finally:
            teardown.close()
        return result.get_result()

    return run


COMPILE_AFTER: Final = int(os.environ.get("HOOKWISE_COMPILE_AFTER", "64"))
"""Calls of an unchanged pluggy hook (or ``call_extra`` list) before its caller is compiled (the engine's default: 8).

pluggy's hosts make short-lived managers by the thousand (pytest, one per
in-process run), whose hooks are called a few dozen times at most: compiling
one costs as much as hundreds of interpreted calls. The environment variable
``HOOKWISE_COMPILE_AFTER`` sets both.
"""

_OPTIONS: Final = {
    (tryfirst, wrapper): ImplOptions(tryfirst=tryfirst, wrapper=wrapper)
    for tryfirst in (False, True)
    for wrapper in (False, True)
}


def engine_options(opts: HookimplOpts, seq: int) -> ImplOptions:
    """The engine's options for a pluggy implementation of registration number ``seq``, in pluggy's order.

    pluggy runs the last registered first, except in the trylast band, where
    the first registered runs first: a priority equal to the registration
    number gives that band its order.
    """
    wrapper = opts["wrapper"] or opts["hookwrapper"]
    if opts["trylast"]:
        return ImplOptions(priority=seq, trylast=True, wrapper=wrapper)
    return _OPTIONS[opts["tryfirst"], wrapper]  # one object for each of the few combinations


def hookwrapper_impl(impl: HookImpl, hook_name: str) -> EngineImpl:
    """An old-style hookwrapper as the engine calls it: through the adapter, with its options and order."""
    function = run_old_style_hookwrapper(impl.function, hook_name, impl.plugin_name)
    converted = EngineImpl(impl.plugin_name, impl.plugin, function, hook_name, impl.options, seq=impl.seq)
    converted.argnames = impl.argnames
    return converted


def engine_spec(name: str, argnames: Sequence[str], *, firstresult: bool) -> HookSpec[..., Any]:
    """The engine spec of a pluggy hook: every argument any declaration names, each optional.

    Specs are never changed once made, so one serves every manager that has
    the hook (pytest makes a manager per in-process test run).
    """
    key = (name, tuple(argnames), firstresult)
    spec = _SPECS.get(key)
    if spec is None:
        spec = HookSpec.from_names(
            name, argnames, kind="first" if firstresult else "collect", defaults=dict.fromkeys(argnames, MISSING)
        )
        if len(_SPECS) < 8192:
            _SPECS[key] = spec
    return spec


_SPECS: dict[tuple[str, tuple[str, ...], bool], HookSpec[..., Any]] = {}


def check_arguments(kwargs: Mapping[str, object], impls: Sequence[HookImpl]) -> None:
    """pluggy's error for an argument an implementation takes and the call leaves out."""
    for impl in impls:
        for name in impl.argnames:
            if name not in kwargs:
                msg = f"hook call must provide argument {name!r}"
                raise HookCallError(msg)


def keyword_caller(
    hook_name: str,
    hook_impls: Sequence[HookImpl],
    firstresult: bool,
    instrumentation: Callable[[HookSpec[..., Any]], Instrumentation | None] | None = None,
    on_compile: Callable[[Callable[..., Any]], None] | None = None,
) -> Callable[..., Any]:
    """A function that calls ``hook_impls`` as pluggy does (the last first, wrappers around the others).

    It does not check its arguments (the caller does: :func:`needed_by`,
    :func:`check_arguments`). The function takes the call's keyword arguments. The order, the spec and
    the plan are made once; the plan is interpreted, and compiled once the
    function has been called :data:`COMPILE_AFTER` times:
    ``on_compile`` gets the compiled caller, which takes the same arguments
    (``call_extra`` calls it directly from then on).
    """
    ordered = list(reversed(hook_impls))
    names: list[str] = []
    for impl in ordered:
        names.extend(name for name in impl.argnames if name not in names)
    spec = engine_spec(hook_name, names, firstresult=firstresult)
    instrumented = instrumentation(spec) if instrumentation is not None else None
    if len(ordered) == 1 and instrumented is None and not (ordered[0].wrapper or ordered[0].hookwrapper):
        return _one_call(ordered[0], firstresult)  # a historic replay, mostly: no plan to make
    converted = [impl.for_engine(hook_name) for impl in ordered]
    run = runner(
        spec,
        [impl for impl in converted if not impl.wrapper],
        [impl for impl in converted if impl.wrapper],
        instrumentation=instrumented,
        dialect=PLUGGY,
        compile_after=COMPILE_AFTER,
        on_compile=on_compile,
    )

    def call(**caller_kwargs: object) -> object:
        return run({name: caller_kwargs.get(name, MISSING) for name in names})

    return call


def _one_call(impl: HookImpl, firstresult: bool) -> Callable[..., Any]:
    """:func:`keyword_caller` of one plain implementation with nothing instrumenting the hook: pluggy's result."""
    function, names = impl.function, impl.argnames
    if firstresult:

        def first(**caller_kwargs: object) -> object:
            return function(*[caller_kwargs[name] for name in names])

        return first

    def call(**caller_kwargs: object) -> list[object]:
        result = function(*[caller_kwargs[name] for name in names])
        return [] if result is None else [result]

    return call


def plain_impls(ordered: Sequence[HookImpl]) -> list[HookImpl]:
    """The implementations that are not wrappers, in the order given."""
    return [impl for impl in ordered if not (impl.wrapper or impl.hookwrapper)]


def needed_by(hook_impls: Sequence[HookImpl]) -> frozenset[str]:
    """The arguments the plain implementations take: a call that leaves one out is pluggy's ``HookCallError``."""
    return interned(name for impl in plain_impls(hook_impls) for name in impl.argnames)


def check_plain(kwargs: Mapping[str, object], needed: AbstractSet[str], hook_impls: Sequence[HookImpl]) -> None:
    """pluggy's error for an argument a plain implementation of ``hook_impls`` (pluggy's order) takes and
    ``kwargs`` leaves out; ``needed`` is :func:`needed_by` of them."""
    if not kwargs.keys() >= needed:
        check_arguments(kwargs, plain_impls(list(reversed(hook_impls))))


NO_NAMES: Final[frozenset[str]] = frozenset()
"""The empty set of argument names, shared (each ``frozenset()`` is a new object)."""


def interned(names: Iterable[str]) -> frozenset[str]:
    """One frozenset per set of argument names, shared by every manager.

    A hook caller keeps two (what its implementations take, what a call
    must give); pytest makes a manager per in-process run, and equal sets
    shared are objects the garbage collector neither collects nor scans.
    """
    made = frozenset(names)
    found = _INTERNED.get(made)
    if found is None:
        if len(_INTERNED) < 8192:
            _INTERNED[made] = made
        return made
    return found


_INTERNED: dict[frozenset[str], frozenset[str]] = {}


def multicall(
    hook_name: str,
    hook_impls: Sequence[HookImpl],
    caller_kwargs: Mapping[str, object],
    firstresult: bool,
    instrumentation: Callable[[HookSpec[..., Any]], Instrumentation | None] | None = None,
) -> object | list[object]:
    """Call ``hook_impls`` as pluggy does (the last first, wrappers around the others), once.

    Raises:
        HookCallError: an implementation takes an argument the call does not give.
    """
    check_plain(caller_kwargs, needed_by(hook_impls), hook_impls)
    return keyword_caller(hook_name, hook_impls, firstresult, instrumentation)(**caller_kwargs)  # type: ignore[no-any-return]


_multicall = multicall  # pluggy's name
