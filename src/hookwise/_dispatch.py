"""Compiled per-hook callers.

For each hook, hookwise writes the Python a careful engineer would write by
hand for exactly its current implementations, in their effective order: one
unrolled call per implementation, with each implementation's own arguments,
and the kind's result handling inline. Registration is rare and calls are
hot, so the caller is rebuilt whenever a hook's implementations change and
swapped in atomically; a call in progress keeps the caller it started with.

Error handling costs nothing on the success path: a whole hook body sits in
one ``try`` (free in CPython 3.11+), and when an implementation raises, the
line the traceback points at names it.

Each hook has a sync caller and, built on first use, an async one
(``async def``, awaiting async implementations in turn, or all together for
hooks declared ``concurrent``). A sync call of a hook with async
implementations is refused with an error naming them.
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn

from hookwise._impl import HookImpl
from hookwise._results import Allow, DispatchResult, HookResult
from hookwise._runtime import Support
from hookwise._spec import HookSpec
from hookwise.exceptions import HookCallError

if TYPE_CHECKING:
    from hookwise._guardrails import OnBudget
    from hookwise._runtime import WrapFail

_PROV: Final = "_hw_prov"


class _Emitter:
    """Lines of Python with indentation, and which implementation each line calls."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0
        self.owner: dict[int, int] = {}

    def emit(self, line: str, owner: int | None = None) -> None:
        self.lines.append("    " * self.depth + line)
        if owner is not None:
            self.owner[len(self.lines)] = owner

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


def _signature(spec: HookSpec[..., Any], namespace: dict[str, Any], *, provenance: bool, extra: bool = False) -> str:
    parts: list[str] = []
    star = False
    for index, p in enumerate(spec.params):
        if p.keyword_only and not star:
            parts.append("*")
            star = True
        if p.required:
            parts.append(p.name)
        else:
            namespace[f"_hw_d{index}"] = p.default
            parts.append(f"{p.name}=_hw_d{index}")
    if provenance:
        parts.extend(([] if star else ["*"]) + [_PROV])
    if extra:
        parts.append("**_hw_extra")
    return ", ".join(parts)


def _call(impl: HookImpl, function: str, *, awaited: bool = False) -> str:
    """The call of one implementation with just its arguments; awaited if it is async (in an async caller)."""
    prefix = "await " if awaited and impl.is_async and not impl.wrapper else ""
    if impl.style == "context":
        return f"{prefix}{function}(_hw_ctx)"
    args = [*impl.argnames, *(f"{k}={k}" for k in impl.kwargnames)]
    return f"{prefix}{function}({', '.join(args)})"


def _args_dict(spec: HookSpec[..., Any]) -> str:
    return "{" + ", ".join(f"{p.name!r}: {p.name}" for p in spec.params) + "}"


def _impl_lines(
    spec: HookSpec[..., Any],
    impl: HookImpl,
    index: int,
    args: str,
    ret: Callable[[str], str],
    *,
    provenance: bool,
    context: bool,
    awaited: bool,
    timed: bool = False,
) -> tuple[list[str], list[str]]:
    """One implementation's lines: those that may raise on its behalf, and those that end the call.

    Under the isolate policy the first group runs inside the implementation's
    own ``try`` and the second in its ``else``, so that ending the call is
    never mistaken for the implementation failing.
    """
    guarded = [f"_hw_r = {_call(impl, f'_hw_f{index}', awaited=awaited)}"]
    if timed:  # a time budget: measured inline, checked against the budget, nothing else
        guarded = [
            "_hw_t = _hw_clock()",
            *guarded,
            "_hw_t = _hw_clock() - _hw_t",
            "if _hw_t > _hw_budget:",
            f"    _hw_r = _hw_s.over_budget({index}, _hw_t, _hw_r)",
        ]
    after: list[str] = []
    if provenance:
        guarded += ["if _hw_r is not None:", f"    {_PROV}.append(_hw_HR(_hw_n{index}, _hw_r))"]
    kind = spec.kind
    if kind == "collect":
        guarded += ["if _hw_r is not None:", "    _hw_out.append(_hw_r)"]
    elif kind == "first":
        after += ["if _hw_r is not None:", "    " + ret("_hw_r")]
    elif kind == "observe":
        guarded += ["if _hw_r is not None:", f"    _hw_s.observed({index}, _hw_r)"]
    else:
        answered = "if _hw_r is not None and _hw_r.__class__ is not _hw_Allow:"
        guarded += [answered, f"    _hw_st = _hw_s.respond(_hw_st, {index}, _hw_r, {args})"]
        after += [answered, "    if _hw_st.vetoed:", "        " + ret("_hw_st.result()")]
        if spec.params:
            names = ", ".join(p.name for p in spec.params)
            values = ", ".join(f"_hw_st.args[{p.name!r}]" for p in spec.params)
            after.append(f"    {names} = {values}")
        if context:
            after.append("    _hw_ctx = _hw_st.context")
        if spec.policy != "isolate":
            # One test of the answer instead of two: respond, then act on it.
            guarded = [*guarded[:-2], answered, guarded[-1], *after[1:]]
            after = []
    return guarded, after


def _plain_body(
    out: _Emitter,
    spec: HookSpec[..., Any],
    impls: Sequence[HookImpl],
    *,
    provenance: bool,
    record: bool,
    awaited: bool = False,
    timed: bool = False,
) -> None:
    """The implementations' calls and the kind's result handling (no wrappers)."""
    kind, policy = spec.kind, spec.policy
    if awaited and spec.concurrent:
        if record:
            out.emit(f"_hw_hist.append({_args_dict(spec)})")
        out.emit(f"return await _hw_s.concurrent({_args_dict(spec)}, {_PROV if provenance else 'None'})")
        return
    args = _args_dict(spec)
    isolate = policy == "isolate"
    uses_context = any(impl.style == "context" for impl in impls)

    def ret(value: str) -> str:
        return f"return _hw_s.done(_hw_errs, {value})" if isolate else f"return {value}"

    if record:
        out.emit(f"_hw_hist.append({args})")
    if uses_context:
        out.emit(f"_hw_ctx = _hw_MP({args})")
    if isolate:
        out.emit("_hw_errs = None")
    final = {"collect": "_hw_out", "first": "None", "observe": "None"}.get(kind)
    if kind == "collect":
        out.emit("_hw_out = []")
    elif kind == "intercept":
        out.emit("_hw_st = None")
        final = f"_hw_DR(_hw_name, {args}) if _hw_st is None else _hw_st.result()"

    if impls and not isolate:
        out.emit("try:")
        out.depth += 1
    for index, impl in enumerate(impls):
        guarded, after = _impl_lines(
            spec, impl, index, args, ret, provenance=provenance, context=uses_context, awaited=awaited, timed=timed
        )
        if isolate:
            out.emit("try:")
            for line in guarded:
                out.emit("    " + line, index)
            out.emit("except Exception as _hw_e:")
            out.emit(f"    _hw_errs = _hw_s.isolate(_hw_errs, {index}, _hw_e)")
            if after:
                out.emit("else:")
                for line in after:
                    out.emit("    " + line, index)
        else:
            for line in guarded + after:
                out.emit(line, index)
    if impls and not isolate:
        out.depth -= 1
        out.emit("except Exception as _hw_e:")
        if policy == "veto":
            out.emit(f"    return _hw_s.veto_error(_hw_e, _hw_st, {args})")
        else:
            out.emit("    _hw_s.note(_hw_e)")
            out.emit("    raise")
    out.emit(ret(str(final)))


def _wrapped_body(out: _Emitter, wrappers: Sequence[HookImpl], inner_call: str) -> None:
    """Wrappers around the inner caller, the first outermost.

    Generator wrappers are driven with ``send``/``throw``; async generator
    wrappers (in async callers) with ``asend``/``athrow``, through ``Support``.
    """
    for index, wrapper in enumerate(wrappers):
        start = f"await _hw_g{index}.asend(None)" if wrapper.is_async else f"_hw_g{index}.send(None)"
        out.emit(f"_hw_g{index} = {_call(wrapper, f'_hw_w{index}')}")
        out.emit("try:")
        out.emit(f"    {start}")
        out.emit("except BaseException as _hw_e:")
        out.emit(f"    _hw_s.enter_failed({index}, _hw_e, _hw_g{index})")
        out.emit("try:")
        out.depth += 1
    out.emit(f"_hw_res = {inner_call}")
    for index in reversed(range(len(wrappers))):
        out.depth -= 1
        if wrappers[index].is_async:
            out.emit("except BaseException as _hw_e:")
            out.emit(f"    _hw_res = await _hw_s.athrow({index}, _hw_g{index}, _hw_e)")
            out.emit("else:")
            out.emit(f"    _hw_res = await _hw_s.asend({index}, _hw_g{index}, _hw_res)")
            continue
        out.emit("except BaseException as _hw_e:")
        out.emit(f"    _hw_res = _hw_s.throw({index}, _hw_g{index}, _hw_e)")
        out.emit("else:")
        out.depth += 1
        out.emit("try:")
        out.emit(f"    _hw_g{index}.send(_hw_res)")
        out.emit("except StopIteration as _hw_stop:")
        out.emit("    _hw_res = _hw_stop.value")
        out.emit("except BaseException as _hw_e:")
        out.emit(f"    _hw_s.after_send_failed({index}, _hw_e)")
        out.emit("else:")
        out.emit(f"    _hw_s.yielded_twice({index}, _hw_g{index})")
        out.depth -= 1
    out.emit("return _hw_res")


def build_caller(
    spec: HookSpec[..., Any],
    impls: Sequence[HookImpl],
    wrappers: Sequence[HookImpl] = (),
    *,
    provenance: bool = False,
    history: list[dict[str, Any]] | None = None,
    is_async: bool = False,
    functions: Sequence[Callable[..., Any]] | None = None,
    budget: float | None = None,
    on_budget: OnBudget = "warn",
    extra_kwargs: bool = False,
    notes: bool = True,
    wrapfail: WrapFail | None = None,
) -> Callable[..., Any]:
    """Compile the caller of one hook for its implementations and wrappers, in effective order.

    ``history``, for historic hooks, is the list each call's arguments are appended to.
    ``is_async`` builds the ``async def`` caller. ``functions``, if given,
    replaces the implementations' functions one for one (instrumented stand-ins).
    ``budget`` (seconds) times each implementation inline; ``on_budget`` says
    what happens when one runs over. ``extra_kwargs`` accepts and ignores
    keyword arguments the spec does not declare; ``notes=False`` adds no notes
    to exceptions; ``wrapfail`` builds the error for misbehaving wrappers (the
    pluggy compatibility layer uses both to keep pluggy's behaviour).
    """
    if not is_async and any(impl.is_async for impl in (*impls, *wrappers)):
        return _refuse_sync(spec, [impl for impl in (*impls, *wrappers) if impl.is_async])
    support = Support(spec, impls, wrappers, budget=budget, on_budget=on_budget, notes=notes, wrapfail=wrapfail)
    namespace: dict[str, Any] = {
        "_hw_clock": time.perf_counter,
        "_hw_budget": budget,
        "_hw_s": support,
        "_hw_name": spec.name,
        "_hw_MP": types.MappingProxyType,
        "_hw_DR": DispatchResult,
        "_hw_HR": HookResult,
        "_hw_Allow": Allow,
        "_hw_hist": history,
    }
    for index, impl in enumerate(impls):
        namespace[f"_hw_f{index}"] = functions[index] if functions is not None else impl.function
        namespace[f"_hw_n{index}"] = impl.plugin_name
    for index, wrapper in enumerate(wrappers):
        namespace[f"_hw_w{index}"] = wrapper.function
    signature = _signature(spec, namespace, provenance=provenance, extra=extra_kwargs)
    out = _Emitter()
    record = history is not None
    define = "async def" if is_async else "def"
    if wrappers:
        out.emit(f"{define} _hw_inner({signature}):")
        out.depth = 1
        _plain_body(out, spec, impls, provenance=provenance, record=False, awaited=is_async, timed=budget is not None)
        call_args = [p.name if not p.keyword_only else f"{p.name}={p.name}" for p in spec.params]
        if provenance:
            call_args.append(f"{_PROV}={_PROV}")
        out.depth = 0
        out.emit(f"{define} _hw_call({signature}):")
        out.depth = 1
        if record:
            out.emit(f"_hw_hist.append({_args_dict(spec)})")
        inner = f"_hw_inner({', '.join(call_args)})"
        _wrapped_body(out, wrappers, f"await {inner}" if is_async else inner)
    else:
        out.emit(f"{define} _hw_call({signature}):")
        out.depth = 1
        _plain_body(out, spec, impls, provenance=provenance, record=record, awaited=is_async, timed=budget is not None)
    support.lines = out.owner
    filename = f"<hookwise caller {spec.name}>"
    exec(compile(out.source(), filename, "exec"), namespace)  # noqa: S102 - our own generated code
    function: Callable[..., Any] = namespace["_hw_call"]
    _rename(function, spec.name)
    setattr(function, "__hookwise_source__", out.source())  # for debugging: the code a hook runs  # noqa: B010
    return function


def _refuse_sync(spec: HookSpec[..., Any], async_impls: Sequence[HookImpl]) -> Callable[..., Any]:
    """A sync caller for a hook with async implementations: it names them and says how to call the hook."""
    names = ", ".join(f"{impl.qualname} of plugin {impl.plugin_name!r}" for impl in async_impls)
    attribute = spec.attribute if spec.attribute.isidentifier() else None
    how = f"await manager.call.{attribute}.acall(...)" if attribute else f"await manager.hook({spec.name!r}).acall(...)"
    msg = f"hook {spec.name!r} has async implementations ({names}); call it with {how}"

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        del args, kwargs  # any call is refused
        raise HookCallError(msg, hook=spec.name)

    _rename(refuse, spec.name)
    return refuse


def _rename(function: Any, name: str) -> None:
    """Let Python's own argument errors name the hook: ``before_complete_task() got an unexpected keyword``."""
    function.__code__ = function.__code__.replace(co_name=name, co_qualname=name)
    function.__name__ = function.__qualname__ = name
