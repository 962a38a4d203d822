"""``HookCaller``: one hook of a manager, to call, inspect and explain."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, Generic, ParamSpec, TypeVar, cast, final

from hookwise._engine import HookEngine
from hookwise._guardrails import hidden_from_pytest
from hookwise._impl import HookImpl
from hookwise._order import Explanation, explain
from hookwise._results import AllowedResult, CallRecord, Dispatched, PluginResult
from hookwise._spec import HookSpec
from hookwise.exceptions import HookCallError

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's

P = ParamSpec("P")
Out = TypeVar("Out")


@final
class HookCaller(Generic[P, Out]):
    """One hook of a manager: call it, inspect its implementations, explain their order.

    Get it with :meth:`HookManager.hook`. Calling it is the same as calling
    ``manager.call.<hook>``, with one attribute look-up more.
    """

    __slots__ = ("_engine", "name", "spec")

    def __init__(self, engine: HookEngine) -> None:
        self._engine = engine
        self.name: str = engine.spec.name
        """The hook's name."""
        self.spec: HookSpec[P, Out] = cast("HookSpec[P, Out]", engine.spec)
        """The hook's spec."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Out:
        """Call the hook's implementations; the result follows the hook's kind.

        Raises:
            HookCallError: the hook has async implementations; await :meth:`acall`.
        """
        result: Out = self._engine.function(*args, **kwargs)
        return result

    async def acall(self, *args: P.args, **kwargs: P.kwargs) -> Out:
        """Await the hook's implementations, sync and async alike (all together for concurrent hooks)."""
        result: Out = await self._engine.afunction(*args, **kwargs)
        return result

    def call_with_provenance(self, *args: P.args, **kwargs: P.kwargs) -> CallRecord[Out]:
        """Call the hook and also record which plugin returned what.

        Returns:
            a :class:`CallRecord` whose ``result`` is what the plain call
            returns and whose ``results`` lists every non-None value an
            implementation returned, with its plugin, in call order (before
            wrappers saw them).
        """
        recorded: list[PluginResult[Any]] = []
        result: Out = self._engine.provenance_function(is_async=False)(*args, _hw_prov=recorded, **kwargs)
        return CallRecord(result, recorded)

    async def acall_with_provenance(self, *args: P.args, **kwargs: P.kwargs) -> CallRecord[Out]:
        """:meth:`call_with_provenance`, awaited."""
        recorded: list[PluginResult[Any]] = []
        result: Out = await self._engine.provenance_function(is_async=True)(*args, _hw_prov=recorded, **kwargs)
        return CallRecord(result, recorded)

    def call_robust(self, *args: P.args, **kwargs: P.kwargs) -> list[PluginResult[Any]]:
        """Call the hook so that no implementation's exception stops it (blinker's ``send_robust``).

        Every implementation runs as under the ``isolate`` error policy
        (a ``first`` hook still stops at the first value); nothing raises a
        group. Monitors and traces see the call as any other.

        Returns:
            in call order, a :class:`PluginResult` per implementation that
            returned a value other than None (``.value``) or raised an
            ``Exception`` (``.error``, with a note naming plugin and hook).

        Raises:
            HookCallError: a historic hook, or a hook with async
                implementations (await :meth:`acall_robust`).
        """
        return self._engine.call_robust(args, kwargs)

    async def acall_robust(self, *args: P.args, **kwargs: P.kwargs) -> list[PluginResult[Any]]:
        """:meth:`call_robust`, awaited: async implementations are awaited (together for concurrent hooks)."""
        return await self._engine.acall_robust(args, kwargs)

    def dispatch(self, context: Mapping[str, Any]) -> Dispatched:
        """Call an intercept or observe hook with its arguments in one mapping.

        Returns:
            the intercept hook's result; for an observe hook, an allowed result
            holding the arguments.

        Raises:
            HookCallError: a collect or first hook, or a context whose keys do
                not match the hook's parameters.
        """
        self._check_context(context)
        return self._dispatched(context, self._engine.function(**context))

    async def adispatch(self, context: Mapping[str, Any]) -> Dispatched:
        """:meth:`dispatch`, awaited: async handlers are awaited."""
        self._check_context(context)
        return self._dispatched(context, await self._engine.afunction(**context))

    def _check_context(self, context: Mapping[str, Any]) -> None:
        spec = self.spec
        if spec.kind not in ("intercept", "observe"):
            msg = (
                f"dispatch() calls intercept and observe hooks; {spec.name!r} is a {spec.kind} hook: "
                f"call manager.hook({spec.name!r})(**context)"
            )
            raise HookCallError(msg, hook=spec.name)
        names = set(spec.param_names)
        if set(context) != names:
            unknown = sorted(set(context) - names)
            missing = [p.name for p in spec.params if p.required and p.name not in context]
            if unknown or missing:
                problems = [f"unknown keys {unknown}"] if unknown else []
                problems += [f"missing keys {missing}"] if missing else []
                msg = f"dispatch of {spec.signature_text()}: the context has {' and '.join(problems)}"
                raise HookCallError(msg, hook=spec.name)

    def _dispatched(self, context: Mapping[str, Any], result: Any) -> Dispatched:
        if self.spec.kind == "observe":
            return AllowedResult(self.name, types.MappingProxyType(dict(context)))
        dispatched: Dispatched = result
        return dispatched

    @property
    def implementations(self) -> tuple[HookImpl, ...]:
        """Every implementation in effective order: wrappers (outermost first), then plain ones."""
        return self._engine.ordered

    @property
    def plugins(self) -> list[str]:
        """The implementing plugins' names in effective order (wrappers first)."""
        return [impl.plugin_name for impl in self.implementations]

    def explain(self) -> Explanation:
        """The effective order with the reason for each position (``str()`` it for text)."""
        return explain(self.name, self.implementations, self._engine.order)

    def source(self) -> str:
        """The Python hookwise generates to call the current implementations (see ``docs/architecture.md``)."""
        return self._engine.source()

    @property
    def compiled(self) -> bool:
        """Whether calls run the compiled caller yet.

        After a registration a hook's calls are interpreted; once its
        implementations have been called a few times unchanged, its caller is
        compiled and swapped in (``docs/performance.md``).
        """
        return self._engine.compiled

    def __repr__(self) -> str:
        engine = self._engine
        return f"<HookCaller {engine.spec.signature_text()} kind={engine.spec.kind} impls={len(engine.ordered)}>"
