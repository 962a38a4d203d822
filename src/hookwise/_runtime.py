"""What compiled callers call at run time, off their hot path.

Errors, patches, vetoes, wrappers that misbehave, async wrappers and
concurrent calls: each compiled caller holds one :class:`Support` for its
implementations and reaches it only when something other than a plain
result happens.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, final

from hookwise._impl import HookImpl
from hookwise._results import DispatchResult, HookResult, Patch, PatchConflict, Veto
from hookwise._spec import HookSpec
from hookwise.exceptions import HookCallError, HookErrorGroup, HookResultError, ReentrancyError

if TYPE_CHECKING:
    from collections.abc import Callable

    from hookwise._guardrails import OnBudget

    WrapFail = Callable[[HookImpl, Any, str], BaseException]
    """Builds the error for a wrapper that did not yield, or yielded twice (pluggy's style for the compat layer)."""


def _note(error: BaseException, impl: HookImpl, what: str = "implementation") -> None:
    if isinstance(error, ReentrancyError):
        error.add_step(impl.hook, impl.plugin_name)
    if isinstance(error, HookResultError) and error.plugin == impl.plugin_name:
        return  # hookwise's own message already names the plugin and the hook
    error.add_note(f"hookwise: raised by {what} {impl.qualname} of plugin {impl.plugin_name!r} in hook {impl.hook!r}")


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
class Support:
    """Everything a compiled caller needs off its hot path: errors, patches, vetoes."""

    __slots__ = ("budget", "impls", "lines", "notes", "on_budget", "spec", "wrapfail", "wrappers")

    def __init__(
        self,
        spec: HookSpec[..., Any],
        impls: Sequence[HookImpl],
        wrappers: Sequence[HookImpl],
        *,
        budget: float | None = None,
        on_budget: OnBudget = "warn",
        notes: bool = True,
        wrapfail: WrapFail | None = None,
    ) -> None:
        self.spec = spec
        self.notes = notes
        self.wrapfail = wrapfail
        self.budget = budget
        self.on_budget: OnBudget = on_budget
        self.impls = tuple(impls)
        self.wrappers = tuple(wrappers)
        self.lines: dict[int, int] = {}

    def _note(self, error: BaseException, impl: HookImpl, what: str = "implementation") -> None:
        if self.notes:
            _note(error, impl, what)
        elif isinstance(error, ReentrancyError):
            error.add_step(impl.hook, impl.plugin_name)

    def _failed_impl(self, error: BaseException) -> HookImpl:
        tb = error.__traceback__
        assert tb is not None  # noqa: S101 - the exception was raised through the caller
        return self.impls[self.lines[tb.tb_lineno]]

    # -- raise policy ------------------------------------------------------
    def note(self, error: BaseException) -> None:
        self._note(error, self._failed_impl(error))

    # -- veto policy -------------------------------------------------------
    def veto_error(self, error: Exception, state: InterceptState | None, args: dict[str, Any]) -> DispatchResult:
        impl = self._failed_impl(error)
        self._note(error, impl)
        if state is None:
            state = InterceptState(self.spec.name, args)
        state.vetoed = True
        state.vetoed_by = impl.plugin_name
        state.reason = f"plugin {impl.plugin_name!r} raised {type(error).__name__}: {error}"
        return state.result(error)

    # -- isolate policy ----------------------------------------------------
    def isolate(
        self, errors: list[tuple[int, Exception]] | None, index: int, error: Exception
    ) -> list[tuple[int, Exception]]:
        self._note(error, self.impls[index])
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
        self, state: InterceptState | None, index: int, response: object, args: dict[str, Any]
    ) -> InterceptState:
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
                f"plugin {impl.plugin_name!r}: {impl.qualname} returned {response!r} from intercept hook "
                f"{self.spec.name!r}; intercept handlers return None, Allow(), Veto(reason) or Patch(mapping)"
            )
            raise HookResultError(msg, plugin=impl.plugin_name, hook=self.spec.name)
        return state

    def _patch(self, state: InterceptState, impl: HookImpl, patch: Patch) -> None:
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

    def over_budget(self, index: int, duration: float, result: Any) -> Any:
        from hookwise._guardrails import over_budget

        assert self.budget is not None  # noqa: S101 - only timed callers call this
        return over_budget(self.spec, self.impls[index], duration, self.budget, self.on_budget, result)

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
    def enter_failed(self, index: int, error: BaseException, generator: Any = None) -> NoReturn:
        wrapper = self.wrappers[index]
        if isinstance(error, StopIteration | StopAsyncIteration) and self.wrapfail is not None:
            raise self.wrapfail(wrapper, generator, "did not yield") from None
        if isinstance(error, StopIteration | StopAsyncIteration):
            msg = f"plugin {wrapper.plugin_name!r}: wrapper {wrapper.qualname} of hook {self.spec.name!r} did not yield"
            raise HookResultError(msg, plugin=wrapper.plugin_name, hook=self.spec.name) from None
        self._note(error, wrapper, "wrapper")
        raise error

    def yielded_twice(self, index: int, generator: Any) -> NoReturn:
        wrapper = self.wrappers[index]
        generator.close()
        if self.wrapfail is not None:
            raise self.wrapfail(wrapper, generator, "has second yield")
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
                self._note(raised, self.wrappers[index], "wrapper")
            raise
        return self.yielded_twice(index, generator)

    def after_send_failed(self, index: int, error: BaseException) -> NoReturn:
        self._note(error, self.wrappers[index], "wrapper")
        raise error

    # -- async generator wrappers: a second ``yield value`` replaces the outcome ----
    async def asend(self, index: int, generator: Any, result: Any) -> Any:
        try:
            replacement = await generator.asend(result)
        except StopAsyncIteration:
            return result
        except BaseException as error:
            self._note(error, self.wrappers[index], "wrapper")
            raise
        await self._aend(index, generator)
        return replacement

    async def athrow(self, index: int, generator: Any, error: BaseException) -> Any:
        try:
            replacement = await generator.athrow(error)
        except StopAsyncIteration:
            return None  # the wrapper handled the exception and gave no replacement
        except BaseException as raised:
            if raised is not error:
                self._note(raised, self.wrappers[index], "wrapper")
            raise
        await self._aend(index, generator)
        return replacement

    async def _aend(self, index: int, generator: Any) -> None:
        try:
            await generator.asend(None)
        except StopAsyncIteration:
            return
        await generator.aclose()
        wrapper = self.wrappers[index]
        msg = (
            f"plugin {wrapper.plugin_name!r}: async wrapper {wrapper.qualname} of hook {self.spec.name!r} "
            "yielded three times; an async wrapper yields once, and once more to replace the outcome"
        )
        raise HookResultError(msg, plugin=wrapper.plugin_name, hook=self.spec.name)

    # -- concurrent hooks ------------------------------------------------------
    async def concurrent(self, args: dict[str, Any], provenance: list[HookResult[Any]] | None) -> Any:
        """Await every implementation together; handle the outcomes in effective order, by the policy."""
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            msg = f"hook {self.spec.name!r} is concurrent, which needs an asyncio event loop; none is running"
            raise HookCallError(msg, hook=self.spec.name) from None
        context = types.MappingProxyType(args)

        async def run(impl: HookImpl) -> Any:
            if impl.style == "context":
                result = impl.function(context)
            else:
                result = impl.function(*(args[n] for n in impl.argnames), **{k: args[k] for k in impl.kwargnames})
            return await result if impl.is_async else result

        outcomes = await asyncio.gather(*(run(impl) for impl in self.impls), return_exceptions=True)
        results: list[Any] = []
        errors: list[tuple[int, Exception]] | None = None
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome
                errors = self.isolate(errors, index, outcome)
                continue
            if outcome is None:
                continue
            if provenance is not None:
                provenance.append(HookResult(self.impls[index].plugin_name, outcome))
            if self.spec.kind == "observe":
                try:
                    self.observed(index, outcome)
                except HookResultError as error:
                    errors = self.isolate(errors, index, error)
            else:
                results.append(outcome)
        value = results if self.spec.kind == "collect" else None
        if errors and self.spec.policy == "raise":
            raise errors[0][1]  # the first failure in effective order; the others ran too
        return self.done(errors, value)
