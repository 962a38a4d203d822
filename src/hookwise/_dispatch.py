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
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, NoReturn, final

from hookwise._impl import HookImpl
from hookwise._results import Allow, DispatchResult, HookResult, Patch, PatchConflict, Veto
from hookwise._spec import HookSpec
from hookwise.exceptions import HookErrorGroup, HookResultError

_PROV: Final = "_hw_prov"


def _note(error: BaseException, impl: HookImpl, what: str = "implementation") -> None:
    if isinstance(error, HookResultError) and error.plugin == impl.plugin_name:
        return  # hookwise's own message already names the plugin and the hook
    error.add_note(f"hookwise: raised by {what} {impl.qualname} of plugin {impl.plugin_name!r} in hook {impl.hook!r}")


@final
class _InterceptState:
    """What an intercept dispatch has gathered once a handler answered with more than None."""

    __slots__ = ("args", "conflicts", "context", "hook", "patched_by", "patches", "reason", "vetoed", "vetoed_by")

    def __init__(self, hook: str, args: dict[str, Any]) -> None:
        self.hook = hook
        self.args = args
        self.context: Mapping[str, Any] = types.MappingProxyType(args)
        self.patches: dict[str, Any] = {}
        self.patched_by: dict[str, str] = {}
        self.conflicts: list[PatchConflict] = []
        self.vetoed = False
        self.reason: str | None = None
        self.vetoed_by: str | None = None

    def result(self, exception: BaseException | None = None) -> DispatchResult:
        return DispatchResult(
            self.hook,
            types.MappingProxyType(self.args),
            vetoed=self.vetoed,
            reason=self.reason,
            vetoed_by=self.vetoed_by,
            exception=exception,
            patches=types.MappingProxyType(self.patches),
            patched_by=types.MappingProxyType(self.patched_by),
            conflicts=tuple(self.conflicts),
        )


@final
class _Support:
    """Everything a compiled caller needs off its hot path: errors, patches, vetoes."""

    __slots__ = ("impls", "lines", "spec", "wrappers")

    def __init__(self, spec: HookSpec[..., Any], impls: Sequence[HookImpl], wrappers: Sequence[HookImpl]) -> None:
        self.spec = spec
        self.impls = tuple(impls)
        self.wrappers = tuple(wrappers)
        self.lines: dict[int, int] = {}

    def _failed_impl(self, error: BaseException) -> HookImpl:
        tb = error.__traceback__
        assert tb is not None  # noqa: S101 - the exception was raised through the caller
        return self.impls[self.lines[tb.tb_lineno]]

    # -- raise policy ------------------------------------------------------
    def note(self, error: BaseException) -> None:
        _note(error, self._failed_impl(error))

    # -- veto policy -------------------------------------------------------
    def veto_error(self, error: Exception, state: _InterceptState | None, args: dict[str, Any]) -> DispatchResult:
        impl = self._failed_impl(error)
        _note(error, impl)
        if state is None:
            state = _InterceptState(self.spec.name, args)
        state.vetoed = True
        state.vetoed_by = impl.plugin_name
        state.reason = f"plugin {impl.plugin_name!r} raised {type(error).__name__}: {error}"
        return state.result(error)

    # -- isolate policy ----------------------------------------------------
    def isolate(
        self, errors: list[tuple[int, Exception]] | None, index: int, error: Exception
    ) -> list[tuple[int, Exception]]:
        _note(error, self.impls[index])
        if errors is None:
            errors = []
        errors.append((index, error))
        return errors

    def done(self, errors: list[tuple[int, Exception]] | None, value: Any) -> Any:
        if errors:
            plugins = [self.impls[i].plugin_name for i, _ in errors]
            count = f"{len(errors)} implementation{'s' if len(errors) > 1 else ''}"
            msg = f"{count} of hook {self.spec.name!r} failed: {', '.join(repr(p) for p in plugins)}"
            raise HookErrorGroup(msg, [e for _, e in errors], hook=self.spec.name, plugins=plugins, partial=value)
        return value

    # -- results -----------------------------------------------------------
    def respond(
        self, state: _InterceptState | None, index: int, response: object, args: dict[str, Any]
    ) -> _InterceptState:
        impl = self.impls[index]
        if state is None:
            state = _InterceptState(self.spec.name, args)
        if response.__class__ is Veto:
            assert isinstance(response, Veto)  # noqa: S101 - narrowing for the type checker
            state.vetoed = True
            state.reason = response.reason
            state.vetoed_by = impl.plugin_name
        elif response.__class__ is Patch:
            assert isinstance(response, Patch)  # noqa: S101 - narrowing for the type checker
            self._patch(state, impl, response)
        else:
            msg = (
                f"plugin {impl.plugin_name!r}: {impl.qualname} returned {response!r} from intercept hook "
                f"{self.spec.name!r}; intercept handlers return None, Allow(), Veto(reason) or Patch(mapping)"
            )
            raise HookResultError(msg, plugin=impl.plugin_name, hook=self.spec.name)
        return state

    def _patch(self, state: _InterceptState, impl: HookImpl, patch: Patch) -> None:
        unknown = [key for key in patch.data if key not in state.args]
        if unknown:
            names = ", ".join(repr(k) for k in unknown)
            msg = (
                f"plugin {impl.plugin_name!r}: {impl.qualname} patched {names}, which "
                f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'} of hook "
                f"{self.spec.signature_text()}"
            )
            raise HookResultError(msg, plugin=impl.plugin_name, hook=self.spec.name)
        for key, value in patch.data.items():
            earlier = state.patched_by.get(key)
            if earlier is not None and earlier != impl.plugin_name and state.patches[key] != value:
                state.conflicts.append(PatchConflict(key, earlier, state.patches[key], impl.plugin_name, value))
            state.patches[key] = value
            state.patched_by[key] = impl.plugin_name
        state.args = {**state.args, **patch.data}
        state.context = types.MappingProxyType(state.args)

    def observed(self, index: int, value: object) -> None:
        if value.__class__ in (Veto, Patch):
            impl = self.impls[index]
            what = "vetoed" if value.__class__ is Veto else "patched"
            msg = (
                f"plugin {impl.plugin_name!r}: {impl.qualname} {what} after-hook {self.spec.name!r} "
                f"(returned {value!r}); observe hooks run after the operation and cannot veto or patch it"
            )
            raise HookResultError(msg, plugin=impl.plugin_name, hook=self.spec.name)

    # -- wrappers ----------------------------------------------------------
    def enter_failed(self, index: int, error: BaseException) -> NoReturn:
        wrapper = self.wrappers[index]
        if isinstance(error, StopIteration):
            msg = f"plugin {wrapper.plugin_name!r}: wrapper {wrapper.qualname} of hook {self.spec.name!r} did not yield"
            raise HookResultError(msg, plugin=wrapper.plugin_name, hook=self.spec.name) from None
        _note(error, wrapper, "wrapper")
        raise error

    def yielded_twice(self, index: int, generator: Any) -> NoReturn:
        wrapper = self.wrappers[index]
        generator.close()
        msg = (
            f"plugin {wrapper.plugin_name!r}: wrapper {wrapper.qualname} of hook {self.spec.name!r} "
            "yielded twice; a wrapper yields once"
        )
        raise HookResultError(msg, plugin=wrapper.plugin_name, hook=self.spec.name)

    def throw(self, index: int, generator: Any, error: BaseException) -> Any:
        try:
            generator.throw(error)
        except StopIteration as stop:
            return stop.value
        except BaseException as raised:
            if raised is not error:
                _note(raised, self.wrappers[index], "wrapper")
            raise
        return self.yielded_twice(index, generator)

    def after_send_failed(self, index: int, error: BaseException) -> NoReturn:
        _note(error, self.wrappers[index], "wrapper")
        raise error


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


def _signature(spec: HookSpec[..., Any], namespace: dict[str, Any], *, provenance: bool) -> str:
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
    return ", ".join(parts)


def _call(impl: HookImpl, function: str) -> str:
    if impl.style == "context":
        return f"{function}(_hw_ctx)"
    args = [*impl.argnames, *(f"{k}={k}" for k in impl.kwargnames)]
    return f"{function}({', '.join(args)})"


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
) -> tuple[list[str], list[str]]:
    """One implementation's lines: those that may raise on its behalf, and those that end the call.

    Under the isolate policy the first group runs inside the implementation's
    own ``try`` and the second in its ``else``, so that ending the call is
    never mistaken for the implementation failing.
    """
    guarded = [f"_hw_r = {_call(impl, f'_hw_f{index}')}"]
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
    out: _Emitter, spec: HookSpec[..., Any], impls: Sequence[HookImpl], *, provenance: bool, record: bool
) -> None:
    """The implementations' calls and the kind's result handling (no wrappers)."""
    kind, policy = spec.kind, spec.policy
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
        guarded, after = _impl_lines(spec, impl, index, args, ret, provenance=provenance, context=uses_context)
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
    """Wrappers around the inner caller, the first outermost."""
    for index, wrapper in enumerate(wrappers):
        out.emit(f"_hw_g{index} = {_call(wrapper, f'_hw_w{index}')}")
        out.emit("try:")
        out.emit(f"    _hw_g{index}.send(None)")
        out.emit("except BaseException as _hw_e:")
        out.emit(f"    _hw_s.enter_failed({index}, _hw_e)")
        out.emit("try:")
        out.depth += 1
    out.emit(f"_hw_res = {inner_call}")
    for index in reversed(range(len(wrappers))):
        out.depth -= 1
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
) -> Callable[..., Any]:
    """Compile the caller of one hook for its implementations and wrappers, in effective order.

    ``history``, for historic hooks, is the list each call's arguments are appended to.
    """
    support = _Support(spec, impls, wrappers)
    namespace: dict[str, Any] = {
        "_hw_s": support,
        "_hw_name": spec.name,
        "_hw_MP": types.MappingProxyType,
        "_hw_DR": DispatchResult,
        "_hw_HR": HookResult,
        "_hw_Allow": Allow,
        "_hw_hist": history,
    }
    for index, impl in enumerate(impls):
        namespace[f"_hw_f{index}"] = impl.function
        namespace[f"_hw_n{index}"] = impl.plugin_name
    for index, wrapper in enumerate(wrappers):
        namespace[f"_hw_w{index}"] = wrapper.function
    signature = _signature(spec, namespace, provenance=provenance)
    out = _Emitter()
    record = history is not None
    if wrappers:
        out.emit(f"def _hw_inner({signature}):")
        out.depth = 1
        _plain_body(out, spec, impls, provenance=provenance, record=False)
        call_args = [p.name if not p.keyword_only else f"{p.name}={p.name}" for p in spec.params]
        if provenance:
            call_args.append(f"{_PROV}={_PROV}")
        out.depth = 0
        out.emit(f"def _hw_call({signature}):")
        out.depth = 1
        if record:
            out.emit(f"_hw_hist.append({_args_dict(spec)})")
        _wrapped_body(out, wrappers, f"_hw_inner({', '.join(call_args)})")
    else:
        out.emit(f"def _hw_call({signature}):")
        out.depth = 1
        _plain_body(out, spec, impls, provenance=provenance, record=record)
    support.lines = out.owner
    filename = f"<hookwise caller {spec.name}>"
    exec(compile(out.source(), filename, "exec"), namespace)  # noqa: S102 - our own generated code
    function: Callable[..., Any] = namespace["_hw_call"]
    _rename(function, spec.name)
    setattr(function, "__hookwise_source__", out.source())  # for debugging: the code a hook runs  # noqa: B010
    return function


def _rename(function: Any, name: str) -> None:
    """Let Python's own argument errors name the hook: ``before_complete_task() got an unexpected keyword``."""
    function.__code__ = function.__code__.replace(co_name=name, co_qualname=name)
    function.__name__ = function.__qualname__ = name
