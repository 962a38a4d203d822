"""The code generator: from a :class:`~hookwise._plan.CallPlan` to the Python a careful engineer would write.

For a hook's current implementations, in effective order, it writes one
unrolled call per implementation with exactly the arguments it takes, and the
kind's result handling inline. Two steps, as attrs does it:

- :func:`generate` is a pure function from a plan to a :class:`Generated`:
  the source, the namespace it runs in, and which line calls which
  implementation or sets up which wrapper;
- :func:`compile_plan` compiles it under a file name unique to this caller,
  registered in :mod:`linecache`, so that tracebacks, ``pdb`` and
  ``inspect.getsource`` show the generated lines.

Error handling costs nothing on the success path: the implementations sit in
one ``try`` (free in CPython 3.11+), and when one raises, the line its
exception came from names it (:meth:`~hookwise._outcomes.Outcomes.at`).
Wrappers are set up and finished one after the other, flat: the nesting of
the generated code does not grow with their number.

Reading a generated caller: ``_hw_f<i>`` is implementation ``i``'s function,
``_hw_w<i>`` wrapper ``i``'s, ``_hw_h<i>``/``_hw_n<i>`` implementation ``i``
and its plugin's name; ``_hw_o`` is the caller's ``Outcomes``, ``_hw_i`` its
``Instrumentation``; ``_hw_r`` an implementation's result, ``_hw_c`` the call's
frame, ``_hw_t`` a start time. See ``docs/architecture.md``.
"""

from __future__ import annotations

import itertools
import os
import sys
import types
from _thread import allocate_lock
from collections.abc import Callable
from typing import Any, Final, NamedTuple, final

from hookwise._guardrails import hidden_from_pytest
from hookwise._impl import HookImpl
from hookwise._outcomes import Outcomes
from hookwise._plan import CallPlan, Dialect
from hookwise._results import Allow, AllowedResult, DispatchResult, PluginResult
from hookwise._spec import HookSpec

_PROV: Final = "_hw_prov"
_serial = itertools.count(1)


class Generated(NamedTuple):
    """The generated code of one caller."""

    source: str
    """The module source; its function ``_hw_call`` is the caller."""
    namespace: dict[str, Any]
    """The globals it runs in: the implementations, its ``Outcomes``, helpers."""
    impl_lines: dict[int, int]
    """Line number to the index of the implementation the line runs on behalf of."""
    wrapper_lines: dict[int, int]
    """Line number to the index of the wrapper the line sets up."""


class _Emitter:
    """Lines of Python with indentation, and which implementation or wrapper each line belongs to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0
        self.impl_lines: dict[int, int] = {}
        self.wrapper_lines: dict[int, int] = {}

    def emit(self, line: str, impl: int | None = None, wrapper: int | None = None) -> None:
        self.lines.append("    " * self.depth + line)
        if impl is not None:
            self.impl_lines[len(self.lines)] = impl
        if wrapper is not None:
            self.wrapper_lines[len(self.lines)] = wrapper

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


def _args_dict(plan: CallPlan) -> str:
    return "{" + ", ".join(f"{p.name!r}: {p.name}" for p in plan.spec.params) + "}"


def _entry_signature(plan: CallPlan, namespace: dict[str, Any], *, keyword_only: bool = False) -> str:
    """The caller's own signature: the spec's parameters, as the hook's users call it."""
    parts: list[str] = []
    star = False
    for index, p in enumerate(plan.spec.params):
        if (p.keyword_only or keyword_only) and not star:
            parts.append("*")
            star = True
        if p.required:
            parts.append(p.name)
        else:
            namespace[f"_hw_d{index}"] = p.default
            parts.append(f"{p.name}=_hw_d{index}")
    if plan.provenance:
        parts.extend(([] if star else ["*"]) + [_PROV])
    if plan.dialect.accepts_unknown:
        parts.append("**_hw_extra")
    return ", ".join(parts)


def _inner_params(plan: CallPlan) -> list[str]:
    """The parameters of the functions behind the entry: the frame, the arguments, the provenance list."""
    instrumentation = plan.instrumentation
    names = ["_hw_c"] if instrumentation is not None and instrumentation.wraps_calls else []
    names.extend(p.name for p in plan.spec.params)
    if plan.provenance:
        names.append(_PROV)
    return names


def _call(impl: HookImpl, function: str, *, awaited: bool) -> str:
    """The call of one implementation with just its arguments; awaited if it is async (in an async caller)."""
    prefix = "await " if awaited and impl.is_async else ""
    if impl.style == "mapping":
        return f"{prefix}{function}(_hw_ctx)"
    args = [*impl.argnames, *(f"{k}={k}" for k in impl.kwonly)]
    return f"{prefix}{function}({', '.join(args)})"


def _impl_lines(plan: CallPlan, impl: HookImpl, index: int, *, uses_mapping: bool) -> tuple[list[str], list[str]]:
    """One implementation's lines: those that may raise on its behalf, and those that end the call.

    Under the isolate policy the first group runs inside the implementation's
    own ``try`` and the second in its ``else``, so that ending the call is
    never mistaken for the implementation failing.
    """
    instrumentation = plan.instrumentation
    call = _call(impl, f"_hw_f{index}", awaited=plan.is_async)
    if instrumentation is not None and instrumentation.reports:
        guarded = [f"_hw_r = {call}", f"_hw_r = _hw_i.impl_end(_hw_c, _hw_h{index}, _hw_t, _hw_r)"]
    elif instrumentation is not None and instrumentation.times:
        guarded = [
            "_hw_t = _hw_clock()",
            f"_hw_r = {call}",
            "_hw_t = _hw_clock() - _hw_t",
            "if _hw_t > _hw_budget:",
            f"    _hw_r = _hw_i.over_budget(_hw_h{index}, _hw_t, _hw_r)",
        ]
    else:
        guarded = [f"_hw_r = {call}"]
    after: list[str] = []
    on_value = [f"{_PROV}.append(_hw_PR(_hw_n{index}, _hw_r))"] if plan.provenance else []
    kind = plan.spec.kind
    if kind == "collect":
        on_value.append("_hw_out.append(_hw_r)")
    elif kind == "observe":
        on_value.append(f"_hw_o.observed({index}, _hw_r)")
    if on_value:
        guarded += ["if _hw_r is not None:", *(f"    {line}" for line in on_value)]
    if kind == "first":
        after += ["if _hw_r is not None:", "    " + _ret(plan, "_hw_r")]
    elif kind == "intercept":
        answered = "if _hw_r is not None and _hw_r.__class__ is not _hw_Allow:"
        guarded += [answered, f"    _hw_st = _hw_o.respond(_hw_st, {index}, _hw_r, {_args_dict(plan)})"]
        after += [answered, "    if _hw_st.vetoed:", "        " + _ret(plan, "_hw_st.result()")]
        if plan.spec.params:
            names = ", ".join(p.name for p in plan.spec.params)
            values = ", ".join(f"_hw_st.args[{p.name!r}]" for p in plan.spec.params)
            after.append(f"    {names} = {values}")
        if uses_mapping:
            after.append("    _hw_ctx = _hw_st.context")
        if plan.spec.policy != "isolate":
            # One test of the answer instead of two: respond, then act on it.
            guarded = [*guarded[:-2], answered, guarded[-1], *after[1:]]
            after = []
    return guarded, after


def _ret(plan: CallPlan, value: str) -> str:
    return f"return _hw_o.done(_hw_errs, {value})" if plan.spec.policy == "isolate" else f"return {value}"


def _plain_body(out: _Emitter, plan: CallPlan) -> None:
    """The implementations' calls and the kind's result handling (wrappers and the call's frame are elsewhere)."""
    spec, impls = plan.spec, plan.impls
    instrumentation = plan.instrumentation
    frame = "_hw_c" if instrumentation is not None and instrumentation.wraps_calls else "None"
    if plan.concurrent:
        out.emit(f"return await _hw_o.concurrent({frame}, {_args_dict(plan)}, {_PROV if plan.provenance else 'None'})")
        return
    reports = instrumentation is not None and instrumentation.reports
    isolate = spec.policy == "isolate"
    uses_mapping = any(impl.style == "mapping" for impl in impls)
    caught = "BaseException" if reports else "Exception"
    where = ", _hw_c, _hw_t" if reports else ""
    if uses_mapping:
        out.emit(f"_hw_ctx = _hw_MP({_args_dict(plan)})")
    if isolate:
        out.emit("_hw_errs = None")
    if reports:
        out.emit("_hw_t = None")
    final = {"collect": "_hw_out", "first": "None", "observe": "None"}.get(spec.kind)
    if spec.kind == "collect":
        out.emit("_hw_out = []")
    elif spec.kind == "intercept":
        out.emit("_hw_st = None")
        final = f"_hw_AR(_hw_name, {_args_dict(plan)}) if _hw_st is None else _hw_st.result()"
    if impls and not isolate:
        out.emit("try:")
        out.depth += 1
    for index, impl in enumerate(impls):
        guarded, after = _impl_lines(plan, impl, index, uses_mapping=uses_mapping)
        if reports:
            out.emit(f"_hw_t = _hw_i.impl_start(_hw_c, _hw_h{index})")
        if isolate:
            out.emit("try:")
            for line in guarded:
                out.emit("    " + line, impl=index)
            out.emit(f"except {caught} as _hw_e:")
            out.emit(f"    _hw_errs = _hw_o.isolate(_hw_errs, {index}, _hw_e{where})")
            if after:
                out.emit("else:")
                for line in after:
                    out.emit("    " + line, impl=index)
        else:
            for line in guarded + after:
                out.emit(line, impl=index)
    if impls and not isolate:
        out.depth -= 1
        out.emit(f"except {caught} as _hw_e:")
        if spec.policy == "veto":
            out.emit(f"    return _hw_o.veto_error(_hw_o.at(_hw_e), _hw_e, _hw_st, {_args_dict(plan)}{where})")
        else:
            out.emit(f"    _hw_o.raised(_hw_o.at(_hw_e), _hw_e{where})")
            out.emit("    raise")
    out.emit(_ret(plan, str(final)))


def _wrapped_body(out: _Emitter, plan: CallPlan, inner: str) -> None:
    """The wrappers around ``inner`` (the first outermost), set up and finished one after the other.

    Sync generator wrappers are finished inline with ``send``; an exception is
    thrown into them by :meth:`~hookwise._outcomes.Outcomes.unwind`; async
    generator wrappers (in async callers) are finished by ``aunwind``.
    """
    wrappers = plan.wrappers
    kind = plan.spec.kind
    check = None  # the inline test of what a wrapper left (Outcomes.checked says what is wrong)
    if plan.dialect.checks_outcomes and kind in ("intercept", "collect"):
        check = "not isinstance(_hw_res, _hw_DR)" if kind == "intercept" else "_hw_res.__class__ is not list"
    out.emit("_hw_res = _hw_err = _hw_x = None")
    out.emit(" = ".join(f"_hw_g{index}" for index in range(len(wrappers))) + " = None")
    out.emit("try:")
    out.depth += 1
    for index, wrapper in enumerate(wrappers):
        start = "await _hw_x.asend(None)" if wrapper.is_async else "_hw_x.send(None)"
        out.emit(f"_hw_x = {_call(wrapper, f'_hw_w{index}', awaited=False)}", wrapper=index)
        out.emit(start, wrapper=index)
        out.emit(f"_hw_g{index} = _hw_x")
    out.emit(f"_hw_res = {'await ' if plan.is_async else ''}{inner}")
    out.depth -= 1
    out.emit("except BaseException as _hw_e:")
    out.emit("    _hw_err = _hw_o.setup_failed(_hw_o.wrapper_at(_hw_e), _hw_e, _hw_x)")
    for index in reversed(range(len(wrappers))):
        generator = f"_hw_g{index}"
        out.emit(f"if {generator} is not None:")
        out.depth += 1
        if wrappers[index].is_async:
            out.emit(f"_hw_res, _hw_err = await _hw_o.aunwind({index}, {generator}, _hw_res, _hw_err)")
        else:
            out.emit("if _hw_err is None:")
            out.emit("    try:")
            out.emit(f"        {generator}.send(_hw_res)")
            out.emit("    except StopIteration as _hw_stop:")
            out.emit("        _hw_res = _hw_stop.value")
            if check is not None:
                out.emit(f"        if {check}:")
                out.emit(f"            _hw_res, _hw_err = None, _hw_o.checked({index}, _hw_res)")
            out.emit("    except BaseException as _hw_e:")
            out.emit(f"        _hw_res, _hw_err = None, _hw_o.teardown_raised({index}, _hw_e)")
            out.emit("    else:")
            out.emit(f"        _hw_res, _hw_err = None, _hw_o.yielded_twice({index}, {generator})")
            out.emit("else:")
            out.emit(f"    _hw_res, _hw_err = _hw_o.unwind({index}, {generator}, None, _hw_err)")
        out.depth -= 1
    out.emit("if _hw_err is not None:")
    out.emit(f"    return _hw_o.unwound(_hw_err, {_args_dict(plan)})")
    out.emit("return _hw_res")


def _framed_body(out: _Emitter, plan: CallPlan, inner: str) -> None:
    """The call's frame around ``inner``: strict arguments, the depth check, call events."""
    instrumentation = plan.instrumentation
    assert instrumentation is not None  # noqa: S101 - only instrumented plans have a frame
    arguments = _args_dict(plan) if instrumentation.wants_arguments else "None"
    if instrumentation.reports and plan.wrappers:  # monitors see which wrappers run around the implementations
        arguments += f", {plan.wrapper_names!r}"
    out.emit(f"_hw_c = _hw_i.enter({arguments})")
    if instrumentation.strict and plan.spec.params:  # the implementations get the frozen arguments
        names = ", ".join(p.name for p in plan.spec.params)
        values = ", ".join(f"_hw_c.arguments[{p.name!r}]" for p in plan.spec.params)
        out.emit(f"{names} = {values}")
    out.emit("try:")
    out.emit(f"    _hw_v = {'await ' if plan.is_async else ''}{inner}")
    out.emit("except BaseException as _hw_e:")
    out.emit("    _hw_i.leave(_hw_c, None, _hw_e)")
    out.emit("    raise")
    out.emit("_hw_i.leave(_hw_c, _hw_v, None)")
    out.emit("return _hw_v")


def generate(plan: CallPlan, *, incomplete: Callable[[dict[str, Any]], Any] | None = None) -> Generated:
    """The source of the caller for ``plan``, the namespace it runs in, and its line owners.

    A pure function: the same plan gives the same source. The caller is the
    function ``_hw_call``; behind it, ``_hw_plain`` calls the implementations
    and ``_hw_wrapped`` runs the wrappers, when the plan has them.

    With ``incomplete``, the caller takes keyword arguments only, and a call
    that leaves a parameter at its default returns ``incomplete(arguments)``
    instead (a face that checks such calls itself: pluggy's ``HookCaller``
    calls this caller directly only when nothing is missing).
    """
    instrumentation = plan.instrumentation
    outcomes = Outcomes(plan)
    namespace: dict[str, Any] = {
        "__name__": __name__,
        "__tracebackhide__": hidden_from_pytest,  # pytest shows users their own frames, not these
        "_hw_o": outcomes,
        "_hw_i": instrumentation,
        "_hw_name": plan.spec.name,
        "_hw_MP": types.MappingProxyType,
        "_hw_DR": DispatchResult,
        "_hw_AR": AllowedResult,
        "_hw_PR": PluginResult,
        "_hw_Allow": Allow,
    }
    if instrumentation is not None and instrumentation.times:
        namespace["_hw_clock"] = instrumentation.clock
        namespace["_hw_budget"] = instrumentation.budget
    for index, impl in enumerate(plan.impls):
        namespace[f"_hw_f{index}"] = impl.function
        namespace[f"_hw_h{index}"] = impl
        namespace[f"_hw_n{index}"] = impl.plugin_name
    for index, wrapper in enumerate(plan.wrappers):
        namespace[f"_hw_w{index}"] = wrapper.function
    define = "async def" if plan.is_async else "def"
    signature = _entry_signature(plan, namespace, keyword_only=incomplete is not None)
    framed = instrumentation is not None and instrumentation.wraps_calls
    inner_params = ", ".join(_inner_params(plan))
    out = _Emitter()
    bodies: list[tuple[str, Callable[[str], None]]] = [("_hw_plain", lambda _: _plain_body(out, plan))]
    if plan.wrappers:
        bodies.append(("_hw_wrapped", lambda inner: _wrapped_body(out, plan, inner)))
    if framed:
        bodies.append(("_hw_framed", lambda inner: _framed_body(out, plan, inner)))
    inner_call = ""
    for position, (name, body) in enumerate(bodies):
        last = position == len(bodies) - 1
        if position:
            out.emit("")
        out.emit(f"{define} {'_hw_call' if last else name}({signature if last else inner_params}):")
        out.depth = 1
        if last and incomplete is not None:
            _incomplete_guard(out, plan, namespace, incomplete)
        body(inner_call)
        out.depth = 0
        inner_call = f"{name}({inner_params})"
    outcomes.impl_lines = out.impl_lines
    outcomes.wrapper_lines = out.wrapper_lines
    return Generated(out.source(), namespace, out.impl_lines, out.wrapper_lines)


def _incomplete_guard(
    out: _Emitter, plan: CallPlan, namespace: dict[str, Any], incomplete: Callable[[dict[str, Any]], Any]
) -> None:
    """Hand a call that leaves a parameter at its default to ``incomplete``."""
    optional = [(index, p.name) for index, p in enumerate(plan.spec.params) if not p.required]
    if not optional:
        return
    namespace["_hw_incomplete"] = incomplete
    given = _args_dict(plan)[:-1] + (", **_hw_extra}" if plan.dialect.accepts_unknown else "}")
    out.emit("if " + " or ".join(f"{name} is _hw_d{index}" for index, name in optional) + ":")
    out.emit(f"    return _hw_incomplete({given})")


def generate_binder(spec: HookSpec[..., Any], dialect: Dialect, *, provenance: bool) -> Generated:
    """The argument binder of a spec: takes what the caller takes, returns ``(arguments, provenance list)``.

    The interpreter binds calls with it, so that a wrong call fails with the
    same ``TypeError`` as the generated caller's.
    """
    plan = CallPlan(spec, (), provenance=provenance, dialect=dialect)
    namespace: dict[str, Any] = {"__name__": __name__, "__tracebackhide__": hidden_from_pytest}
    out = _Emitter()
    out.emit(f"def _hw_call({_entry_signature(plan, namespace)}):")
    out.emit(f"    return {_args_dict(plan)}, {_PROV if provenance else 'None'}")
    return Generated(out.source(), namespace, {}, {})


def compile_binder(spec: HookSpec[..., Any], dialect: Dialect, *, provenance: bool) -> Callable[..., Any]:
    """Generate and compile a spec's argument binder."""
    return compile_generated(generate_binder(spec, dialect, provenance=provenance), spec.name)


def compile_plan(plan: CallPlan, *, incomplete: Callable[[dict[str, Any]], Any] | None = None) -> Callable[..., Any]:
    """Generate and compile the caller for ``plan`` (``incomplete``: see :func:`generate`)."""
    return compile_generated(generate(plan, incomplete=incomplete), plan.spec.name)


def compile_generated(generated: Generated, hook: str) -> Callable[..., Any]:
    """Compile generated code under a unique file name, registered in :mod:`linecache`.

    The source stays readable for tracebacks, ``pdb`` and ``inspect.getsource``
    while the caller lives. ``inspect`` learns which module owns the file name,
    so that ``inspect.stack()`` inside a hook does not rescan ``sys.modules``
    for every generated frame.

    The same source (the same hook and the same shape of plan: generation is
    a pure function) compiles once per process: a manager made again (pytest
    makes one per in-process run) binds its implementations to code compiled
    for an earlier one, which costs a dictionary instead of ``compile()``. The
    last :data:`CODE_CACHE` sources are kept.
    """
    import weakref  # compiling is rare: keep `import hookwise` fast

    key = (hook, generated.source)
    with _CODES_LOCK:
        compiled = _CODES.get(key)
        if compiled is None:
            compiled = _Compiled(hook, generated.source)
            while _CODES and len(_CODES) >= CODE_CACHE:  # the oldest go
                _CODES.pop(next(iter(_CODES))).evict()
            _CODES[key] = compiled
    exec(compiled.code, generated.namespace)  # noqa: S102 - our own generated code
    # Out of its own globals: a caller without helper functions is then no reference cycle, and goes with its
    # last reference, not at the next collection (pytest drops the callers of a manager per in-process run).
    function: Callable[..., Any] = generated.namespace.pop("_hw_call")
    compiled.live.append(None)
    weakref.finalize(function, compiled.release)
    return function


CODE_CACHE: Final = 1024
"""How many generated sources stay compiled for reuse."""

_CODES: dict[tuple[str, str], _Compiled] = {}
_CODES_LOCK: Final = allocate_lock()


@final
class _Compiled:
    """One generated source, compiled, with its file name in :mod:`linecache` while it is cached or in use."""

    __slots__ = ("code", "evicted", "live", "names")

    def __init__(self, hook: str, source: str) -> None:
        import linecache

        filename = f"<hookwise {hook} #{next(_serial)}>"
        code = compile(source, filename, "exec")
        # Python's own argument errors name the hook: ``before_complete_task() got an unexpected keyword``.
        self.code = code.replace(
            co_consts=tuple(
                c.replace(co_name=hook, co_qualname=hook)
                if isinstance(c, types.CodeType) and c.co_name == "_hw_call"
                else c
                for c in code.co_consts
            )
        )
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        try:
            names: tuple[str, ...] = (filename, os.path.normcase(os.path.abspath(filename)))  # inspect.getmodule's keys
        except OSError:  # the working directory was removed: the raw name is the key inspect.stack() uses
            names = (filename,)
        self.names = names
        inspect_module = sys.modules.get("inspect")
        if inspect_module is not None:
            inspect_module.modulesbyfile.update(dict.fromkeys(names, __name__))
        self.live: list[None] = []  # one entry per function alive (append and pop need no lock)
        self.evicted = False

    def release(self) -> None:
        """A function made from this code was collected (a finalizer: it takes no lock)."""
        self.live.pop()
        if self.evicted and not self.live:
            self._forget()

    def evict(self) -> None:
        """Out of the cache (under its lock): the source goes once no function uses it."""
        self.evicted = True
        if not self.live:
            self._forget()

    def _forget(self) -> None:
        import linecache

        linecache.cache.pop(self.names[0], None)
        inspect_module = sys.modules.get("inspect")
        if inspect_module is not None:
            for name in self.names:
                inspect_module.modulesbyfile.pop(name, None)
