"""What a caller does with everything but a plain result: errors, intercept answers, wrappers.

Each caller, compiled or interpreted, holds one :class:`Outcomes` for its plan
and reaches it only when something other than a plain result happens: an
implementation raised, an intercept handler answered ``Veto`` or ``Patch``, a
wrapper is set up or torn down, or a concurrent hook is awaited. The
interpreter passes the index of the implementation concerned; the generated
code finds it from the line its exception came from (:meth:`Outcomes.at`).
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn, cast, final

from hookwise._guardrails import hidden_from_pytest
from hookwise._impl import HookImpl
from hookwise._results import AllowedResult, DispatchResult, Patch, PatchConflict, PluginResult, Veto, VetoedResult
from hookwise._text import shown, told
from hookwise.exceptions import HookCallError, HookErrorGroup, HookResultError, ReentrancyError

if TYPE_CHECKING:
    from hookwise._instrumentation import CallFrame
    from hookwise._plan import CallPlan

    Errors = list[tuple[int, Exception]] | None

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's


@final
class InterceptState:
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
        return (VetoedResult if self.vetoed else AllowedResult)(
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


def refuse_sync(plan: CallPlan) -> Any:
    """A sync caller for a hook with async implementations: it names them and says how to call the hook."""
    spec = plan.spec
    names = ", ".join(f"{impl.qualname} of plugin {impl.plugin_name!r}" for impl in plan.async_impls)
    attribute = spec.attribute if spec.attribute.isidentifier() else None
    how = f"await manager.call.{attribute}.acall(...)" if attribute else f"await manager.hook({spec.name!r}).acall(...)"
    msg = f"hook {spec.name!r} has async implementations ({names}); call it with {how}"

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        del args, kwargs  # any call is refused
        raise HookCallError(msg, hook=spec.name)

    return refuse


def with_failures(plan: CallPlan, recorded: list[PluginResult[Any]], group: HookErrorGroup) -> list[PluginResult[Any]]:
    """A robust call's results: ``recorded`` values and ``group``'s exceptions, merged in the plan's call order."""
    position: dict[str, int] = {}
    for index, impl in enumerate((*plan.impls, *plan.wrappers)):
        position.setdefault(impl.plugin_name, index)
    failed = [PluginResult(plugin, None, error) for plugin, error in zip(group.plugins, group.exceptions, strict=True)]
    return sorted([*recorded, *failed], key=lambda result: position.get(result.plugin, len(position)))


class Outcomes:
    """Errors, intercept answers and wrappers of one caller (see the module docstring; an interpreted entry
    is its own, ``_interpreter._Entry``)."""

    __slots__ = ("impl_lines", "impls", "instrumentation", "notes", "plan", "spec", "wrapper_lines", "wrappers")

    def __init__(self, plan: CallPlan) -> None:
        self.plan = plan
        self.spec = plan.spec
        self.impls = plan.impls
        self.wrappers = plan.wrappers
        self.instrumentation = plan.instrumentation
        self.notes = plan.dialect.notes
        self.impl_lines: dict[int, int] = {}
        self.wrapper_lines: dict[int, int] = {}

    # -- where an exception came from (generated code) -----------------------------------
    def at(self, error: BaseException) -> int:
        """The index of the implementation whose line ``error`` came from, or -1."""
        tb = error.__traceback__
        return self.impl_lines.get(tb.tb_lineno, -1) if tb is not None else -1

    def wrapper_at(self, error: BaseException) -> int:
        """The index of the wrapper whose set-up line ``error`` came from, or -1."""
        tb = error.__traceback__
        return self.wrapper_lines.get(tb.tb_lineno, -1) if tb is not None else -1

    def _note(self, error: BaseException, impl: HookImpl, what: str = "implementation") -> None:
        if isinstance(error, ReentrancyError):
            error.add_step(impl.hook, impl.plugin_name)
        if not self.notes or (isinstance(error, HookResultError) and error.plugin == impl.plugin_name):
            return  # the message already names the plugin and the hook
        error.add_note(
            f"hookwise: raised by {what} {impl.qualname} of plugin {impl.plugin_name!r} in hook {impl.hook!r}"
        )

    # -- an implementation raised ------------------------------------------------------------
    def raised(
        self, index: int, error: BaseException, frame: CallFrame | None = None, started: float | None = None
    ) -> None:
        """Implementation ``index`` raised ``error``: its event, and a note naming it; the caller re-raises."""
        if index < 0:
            return
        impl = self.impls[index]
        if self.instrumentation is not None:
            self.instrumentation.impl_failed(frame, impl, started, error)
        if isinstance(error, Exception):
            self._note(error, impl)

    def veto_error(
        self,
        index: int,
        error: BaseException,
        state: InterceptState | None,
        args: dict[str, Any],
        frame: CallFrame | None = None,
        started: float | None = None,
    ) -> DispatchResult:
        """The ``veto`` policy: implementation ``index``'s exception becomes its veto.

        A ``RecursionError`` (``ReentrancyError`` too) is not a plugin's objection but a
        broken call stack: it propagates, so a runaway recursion never ends as an answer.
        """
        self.raised(index, error, frame, started)
        if index < 0 or not isinstance(error, Exception) or isinstance(error, RecursionError):
            raise error
        impl = self.impls[index]
        if state is None:
            state = InterceptState(self.spec.name, args)
        state.vetoed = True
        state.vetoed_by = impl.plugin_name
        state.reason = f"plugin {impl.plugin_name!r} raised {type(error).__name__}: {told(error)}"
        return state.result(error)

    def isolate(
        self,
        errors: Errors,
        index: int,
        error: BaseException,
        frame: CallFrame | None = None,
        started: float | None = None,
    ) -> list[tuple[int, Exception]]:
        """The ``isolate`` policy: remember the failure; the call goes on (a ``RecursionError`` propagates)."""
        self.raised(index, error, frame, started)
        if not isinstance(error, Exception) or isinstance(error, RecursionError):
            raise error
        if errors is None:
            errors = []
        errors.append((index, error))
        return errors

    def done(self, errors: Errors, value: Any) -> Any:
        """The end of an ``isolate`` call: ``value``, or every failure in a :class:`HookErrorGroup`."""
        if errors:
            plugins = [self.impls[i].plugin_name for i, _ in errors]
            count = f"{len(errors)} implementation{'s' if len(errors) > 1 else ''}"
            msg = f"{count} of hook {self.spec.name!r} failed: {', '.join(repr(p) for p in plugins)}"
            raise HookErrorGroup(msg, [e for _, e in errors], hook=self.spec.name, plugins=plugins, partial=value)
        return value

    # -- results -------------------------------------------------------------------------------
    def respond(
        self, state: InterceptState | None, index: int, response: object, args: dict[str, Any]
    ) -> InterceptState:
        """An intercept handler answered ``response`` (not None, not Allow): a veto or a patch."""
        impl = self.impls[index]
        if state is None:
            state = InterceptState(self.spec.name, args)
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
                f"plugin {impl.plugin_name!r}: {impl.qualname} returned {shown(response)} from intercept hook "
                f"{self.spec.name!r}; intercept handlers return None, Allow(), Veto(reason) or Patch(mapping)"
            )
            raise HookResultError(msg, plugin=impl.plugin_name, hook=self.spec.name)
        return state

    def _patch(self, state: InterceptState, impl: HookImpl, patch: Patch) -> None:
        unknown = [key for key in patch.data if key not in state.args]
        if unknown:
            names = ", ".join(shown(k, 60) for k in unknown)
            msg = (
                f"plugin {impl.plugin_name!r}: {impl.qualname} patched {names}, which "
                f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'} of hook "
                f"{self.spec.signature_text()}"
            )
            raise HookResultError(msg, plugin=impl.plugin_name, hook=self.spec.name)
        data: Mapping[str, Any] = patch.data
        if self.instrumentation is not None and self.instrumentation.strict:
            from hookwise._guardrails import frozen

            try:
                data = frozen(self.spec, data, what=f"plugin {impl.plugin_name!r} patched")
            except HookCallError as error:
                raise HookResultError(str(error), plugin=impl.plugin_name, hook=self.spec.name) from None
        for key, value in data.items():
            earlier = state.patched_by.get(key)
            if earlier is not None and earlier != impl.plugin_name and state.patches[key] != value:
                state.conflicts.append(PatchConflict(key, earlier, state.patches[key], impl.plugin_name, value))
            state.patches[key] = value
            state.patched_by[key] = impl.plugin_name
        state.args = {**state.args, **data}
        state.context = types.MappingProxyType(state.args)

    def observed(self, index: int, value: object) -> None:
        """An after-hook's implementation returned ``value`` (not None): a veto or patch is an error."""
        if value.__class__ in (Veto, Patch):
            impl = self.impls[index]
            what = "vetoed" if value.__class__ is Veto else "patched"
            msg = (
                f"plugin {impl.plugin_name!r}: {impl.qualname} {what} after-hook {self.spec.name!r} "
                f"(returned {shown(value)}); observe hooks run after the operation and cannot veto or patch it"
            )
            raise HookResultError(msg, plugin=impl.plugin_name, hook=self.spec.name)

    # -- wrappers ---------------------------------------------------------------------------------
    def _wrapper_error(self, index: int, generator: Any, problem: str) -> BaseException:
        wrapper = self.wrappers[index]
        build = self.plan.dialect.wrapper_error
        if build is not None:
            return build(wrapper, generator, problem)
        msg = f"plugin {wrapper.plugin_name!r}: wrapper {wrapper.qualname} of hook {self.spec.name!r} {problem}"
        return HookResultError(msg, plugin=wrapper.plugin_name, hook=self.spec.name)

    def checked(self, index: int, outcome: Any) -> BaseException | None:
        """What wrapper ``index`` left, if it is not what the hook's kind returns (a wrapper that forgot
        ``return result`` must not make a veto disappear): the error, else None."""
        kind = self.spec.kind
        if kind == "intercept" and not isinstance(outcome, DispatchResult):
            expected = "the DispatchResult its yield received (or another one)"
        elif kind == "collect" and not isinstance(outcome, list):
            expected = "a list (the one its yield received, or another)"
        else:
            return None
        wrapper = self.wrappers[index]
        msg = (
            f"plugin {wrapper.plugin_name!r}: wrapper {wrapper.qualname} of {kind} hook {self.spec.name!r} returned "
            f"{shown(outcome)}; it must return {expected}: did it forget `return result`?"
        )
        return HookResultError(msg, plugin=wrapper.plugin_name, hook=self.spec.name)

    def unwound(self, error: BaseException, args: dict[str, Any]) -> Any:
        """The wrappers are finished and ``error`` is left: a wrapper's fault goes through the error policy.

        A wrapper that did not yield, yielded twice or left the wrong outcome
        vetoes under the ``veto`` policy and is reported with the others under
        ``isolate``; any other error propagates.
        """
        faulty = isinstance(error, HookResultError) and any(w.plugin_name == error.plugin for w in self.wrappers)
        policy = self.spec.policy
        if faulty and policy == "veto":
            state = InterceptState(self.spec.name, args)
            state.vetoed = True
            state.vetoed_by = cast("HookResultError", error).plugin
            state.reason = told(error)
            return state.result(error)
        if faulty and policy == "isolate":
            plugin = cast("HookResultError", error).plugin
            msg = f"wrapper of plugin {plugin!r} of hook {self.spec.name!r} failed"
            raise HookErrorGroup(msg, [cast("HookResultError", error)], hook=self.spec.name, plugins=[plugin])
        raise error

    def setup_failed(self, index: int, error: BaseException, generator: Any) -> BaseException:
        """Setting up wrapper ``index`` failed (for -1: the calls inside the wrappers did): the error to unwind with."""
        if index < 0:
            return error
        if isinstance(error, StopIteration | StopAsyncIteration):
            return self._wrapper_error(index, generator, "did not yield")
        self._note(error, self.wrappers[index], "wrapper")
        return error

    def teardown_raised(self, index: int, error: BaseException) -> BaseException:
        """Wrapper ``index`` raised while it finished: its error goes on outwards, with a note naming it."""
        self._note(error, self.wrappers[index], "wrapper")
        return error

    def yielded_twice(self, index: int, generator: Any) -> BaseException:
        """Wrapper ``index`` yielded again after receiving the outcome."""
        generator.close()
        return self._wrapper_error(index, generator, "yielded twice; a wrapper yields once")

    def unwind(self, index: int, generator: Any, result: Any, error: BaseException | None) -> tuple[Any, Any]:
        """Finish sync wrapper ``index`` with the outcome so far; return the outcome it leaves."""
        if error is not None:
            return self._throw(index, generator, error)
        try:
            generator.send(result)
        except StopIteration as stop:
            return self._left(index, stop.value)
        except BaseException as raised:  # noqa: BLE001 - it becomes the outcome the next wrapper sees
            return None, self.teardown_raised(index, raised)
        return None, self.yielded_twice(index, generator)

    def _throw(self, index: int, generator: Any, error: BaseException) -> tuple[Any, Any]:
        try:
            generator.throw(error)
        except StopIteration as stop:
            return self._left(index, stop.value)
        except BaseException as raised:  # noqa: BLE001 - it becomes the outcome the next wrapper sees
            if isinstance(error, StopIteration) and isinstance(raised, RuntimeError) and raised.__cause__ is error:
                # PEP 479 turned the StopIteration thrown in into a RuntimeError: keep the original.
                generator.close()
                return None, error
            return None, raised if raised is error else self.teardown_raised(index, raised)
        return None, self.yielded_twice(index, generator)

    def _left(self, index: int, outcome: Any) -> tuple[Any, Any]:
        """Wrapper ``index`` finished and left ``outcome``: it, or the error for the wrong kind of outcome."""
        bad = self.checked(index, outcome) if self.plan.dialect.checks_outcomes else None
        return (outcome, None) if bad is None else (None, bad)

    async def aunwind(self, index: int, generator: Any, result: Any, error: BaseException | None) -> tuple[Any, Any]:
        """Finish async generator wrapper ``index``: a second ``yield value`` replaces the outcome."""
        try:
            replacement = await (generator.asend(result) if error is None else generator.athrow(error))
        except StopAsyncIteration:
            return self._left(index, result) if error is None else (None, None)
        except BaseException as raised:  # noqa: BLE001 - it becomes the outcome the next wrapper sees
            return None, raised if raised is error else self.teardown_raised(index, raised)
        try:
            await generator.asend(None)
        except StopAsyncIteration:
            return self._left(index, replacement)
        await generator.aclose()
        return None, self._wrapper_error(
            index, generator, "yielded three times; an async wrapper yields once, and once more to replace the outcome"
        )

    # -- concurrent hooks ----------------------------------------------------------------------------
    async def concurrent(
        self, frame: CallFrame | None, args: dict[str, Any], provenance: list[PluginResult[Any]] | None
    ) -> Any:
        """Await every implementation together; handle the outcomes in effective order, by the policy.

        Each implementation is instrumented as in a sequential call (events,
        budget by wall time), inside its own task.
        """
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            msg = f"hook {self.spec.name!r} is concurrent, which needs an asyncio event loop; none is running"
            raise HookCallError(msg, hook=self.spec.name) from None
        context = types.MappingProxyType(args)
        instrumentation = self.instrumentation

        async def run(impl: HookImpl) -> Any:
            started = instrumentation.impl_start(frame, impl) if instrumentation is not None else 0.0
            try:
                if impl.style == "mapping":
                    result = impl.function(context)
                else:
                    result = impl.function(*(args[n] for n in impl.argnames), **{k: args[k] for k in impl.kwonly})
                if impl.is_async:
                    result = await result
            except BaseException as error:
                if instrumentation is not None:
                    instrumentation.impl_failed(frame, impl, started, error)
                raise
            if instrumentation is not None:
                result = instrumentation.impl_end(frame, impl, started, result)
            return result

        outcomes = await asyncio.gather(*(run(impl) for impl in self.impls), return_exceptions=True)
        results: list[Any] = []
        errors: Errors = None
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome
                self._note(outcome, self.impls[index])
                errors = [*(errors or []), (index, outcome)]
                continue
            if outcome is None:
                continue
            if provenance is not None:
                provenance.append(PluginResult(self.impls[index].plugin_name, outcome))
            if self.spec.kind == "observe":
                try:
                    self.observed(index, outcome)
                except HookResultError as error:
                    errors = [*(errors or []), (index, error)]
            else:
                results.append(outcome)
        value = results if self.spec.kind == "collect" else None
        if errors and self.spec.policy == "raise":
            raise errors[0][1]  # the first failure in effective order; the others ran too
        return self.done(errors, value)
