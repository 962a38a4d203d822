"""What implementations return and what calls give back.

``Allow``, ``Veto`` and ``Patch`` are the responses of intercept handlers
(the veto/patch/allow model); ``DispatchResult`` is what an intercept call returns;
``PluginResult`` pairs a value with the plugin that produced it (provenance).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, Literal, NoReturn, TypeAlias, TypeVar, final

from hookwise._text import shown
from hookwise.exceptions import OperationVetoed

T = TypeVar("T")

_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


@final
class Allow:
    """Let the operation go ahead; the same as returning ``None``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Allow()"

    def __eq__(self, other: object) -> bool:
        return other.__class__ is Allow

    def __hash__(self) -> int:
        return hash(Allow)


@final
class Veto:
    """Stop the operation. The first veto ends the dispatch.

    Args:
        reason: why, in words the end user may see.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        if not isinstance(reason, str):  # pyright: ignore[reportUnnecessaryIsInstance] - untyped callers
            msg = f"Veto(reason): the reason is what the user is told, a str, not {shown(reason)}"
            raise TypeError(msg)
        self.reason: str = reason

    def __repr__(self) -> str:
        return f"Veto({shown(self.reason)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Veto) and other.reason == self.reason

    def __hash__(self) -> int:
        return hash((Veto, self.reason))


@final
class Patch:
    """Change the operation's input. Handlers after this one see the patched values.

    Args:
        data: parameter name to new value; every key must be a parameter of
            the hook.
    """

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data: Mapping[str, Any] = dict(data)

    def __repr__(self) -> str:
        return f"Patch({shown(dict(self.data))})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Patch) and dict(other.data) == dict(self.data)

    def __hash__(self) -> int:
        return hash((Patch, tuple(sorted(self.data))))


HookResponse: TypeAlias = Allow | Veto | Patch | None
"""What an intercept handler returns."""


@final
class PatchConflict:
    """A key that two handlers of one dispatch patched to different values.

    The later patch wins (it is applied over the earlier one); the conflict
    records both so that nothing is lost silently.
    """

    __slots__ = ("earlier_plugin", "earlier_value", "key", "later_plugin", "later_value")

    def __init__(self, key: str, earlier_plugin: str, earlier_value: Any, later_plugin: str, later_value: Any) -> None:
        self.key: str = key
        self.earlier_plugin: str = earlier_plugin
        self.earlier_value: Any = earlier_value
        self.later_plugin: str = later_plugin
        self.later_value: Any = later_value

    def __repr__(self) -> str:
        return (
            f"PatchConflict({self.key!r}: {self.earlier_plugin!r} set {shown(self.earlier_value)}, "
            f"then {self.later_plugin!r} set {shown(self.later_value)})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PatchConflict):
            return NotImplemented
        return (
            self.key == other.key
            and self.earlier_plugin == other.earlier_plugin
            and self.earlier_value == other.earlier_value
            and self.later_plugin == other.later_plugin
            and self.later_value == other.later_value
        )

    __hash__: ClassVar[None] = None  # type: ignore[assignment]  # pyright: ignore[reportIncompatibleMethodOverride]


class DispatchResult:
    """The outcome of an intercept (or observe) dispatch: an :class:`AllowedResult` or a :class:`VetoedResult`.

    An intercept hook's call is typed ``AllowedResult | VetoedResult``, so the
    checkers narrow it: mypy after ``if result.vetoed:``, mypy and pyright after
    ``if not result:`` or ``if result.vetoed is True:``; then ``reason`` is a
    ``str``. ``DispatchResult(...)`` (in a wrapper that replaces the outcome)
    builds whichever of the two ``vetoed`` says.

    Attributes:
        hook: the hook dispatched.
        vetoed: whether a handler vetoed.
        reason: the veto's reason (``None`` when not vetoed).
        vetoed_by: the plugin that vetoed (``None`` when not vetoed).
        exception: the exception that became the veto, under the ``veto``
            error policy.
        patches: every patched key and its final value, merged in call order.
        patched_by: for each patched key, the plugin whose value won.
        arguments: the arguments after all patches; what the operation should use.
        conflicts: keys two handlers patched to different values.

    Raises:
        TypeError: a vetoed result without a reason; an ``AllowedResult``
            built with ``vetoed=True`` or a ``VetoedResult`` without.
    """

    __slots__ = (
        "_reason",
        "_vetoed",
        "_vetoed_by",
        "arguments",
        "conflicts",
        "exception",
        "hook",
        "patched_by",
        "patches",
    )

    def __init__(
        self,
        hook: str,
        arguments: Mapping[str, Any],
        *,
        vetoed: bool = False,
        reason: str | None = None,
        vetoed_by: str | None = None,
        exception: BaseException | None = None,
        patches: Mapping[str, Any] = _EMPTY,
        patched_by: Mapping[str, str] = _EMPTY,
        conflicts: tuple[PatchConflict, ...] = (),
    ) -> None:
        self.hook: str = hook
        self.arguments: Mapping[str, Any] = arguments
        self._vetoed = vetoed
        self._reason = reason
        self._vetoed_by = vetoed_by
        self.exception: BaseException | None = exception
        self.patches: Mapping[str, Any] = patches
        self.patched_by: Mapping[str, str] = patched_by
        self.conflicts: tuple[PatchConflict, ...] = conflicts
        kind = VetoedResult if vetoed else AllowedResult
        if self.__class__ is not kind:  # DispatchResult(...) is whichever of the two it describes
            if self.__class__ is not DispatchResult:
                built = f"{self.__class__.__name__}({hook!r}, vetoed={vetoed!r})"
                msg = f"{built}: build a {kind.__name__}, or a DispatchResult"
                raise TypeError(msg)
            if vetoed and reason is None:
                msg = f"DispatchResult({hook!r}, vetoed=True) needs the veto's reason (reason=...)"
                raise TypeError(msg)
            self.__class__ = kind  # pyright: ignore[reportAttributeAccessIssue] - same layout, narrower type

    @property
    def vetoed(self) -> bool:
        """Whether a handler vetoed."""
        return self._vetoed

    @property
    def reason(self) -> str | None:
        """The veto's reason (``None`` when not vetoed)."""
        return self._reason

    @property
    def vetoed_by(self) -> str | None:
        """The plugin that vetoed (``None`` when not vetoed, or when a wrapper's result does not say)."""
        return self._vetoed_by

    def __bool__(self) -> bool:
        """True when the operation may go ahead (nothing vetoed)."""
        return not self._vetoed

    def raise_if_vetoed(self) -> None:
        """Raise :class:`~hookwise.exceptions.OperationVetoed` if a handler vetoed.

        Raises:
            OperationVetoed: carrying the reason, the vetoing plugin and the
                hook; chained to the handler's exception when the veto came
                from one.
        """
        if self._vetoed:
            self._raise()

    def _raise(self) -> NoReturn:
        error = OperationVetoed(self._reason, plugin=self._vetoed_by, hook=self.hook)
        raise error from self.exception

    def __repr__(self) -> str:
        if self._vetoed:
            return f"DispatchResult({self.hook!r}, vetoed by {self._vetoed_by!r}: {shown(self._reason)})"
        return f"DispatchResult({self.hook!r}, allowed, patches={shown(dict(self.patches))})"


@final
class AllowedResult(DispatchResult):
    """A dispatch no handler vetoed: ``vetoed`` is ``False``, ``reason`` and ``vetoed_by`` are ``None``."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def vetoed(self) -> Literal[False]: ...
        @property
        def reason(self) -> None: ...
        @property
        def vetoed_by(self) -> None: ...
        def __bool__(self) -> Literal[True]: ...


@final
class VetoedResult(DispatchResult):
    """A vetoed dispatch: ``vetoed`` is ``True`` and ``reason`` a ``str``."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def vetoed(self) -> Literal[True]: ...
        @property
        def reason(self) -> str: ...
        def __bool__(self) -> Literal[False]: ...


Dispatched: TypeAlias = AllowedResult | VetoedResult
"""What an intercept hook's call returns, typed so that checking ``vetoed`` narrows it."""


@final
class PluginResult(Generic[T]):
    """One implementation's result with the plugin that returned it.

    Attributes:
        plugin: the name of the plugin.
        value: what its implementation returned (``None`` when it raised).
        error: what it raised, in a :meth:`~hookwise.HookCaller.call_robust`
            result; ``None`` when it returned.
    """

    __slots__ = ("error", "plugin", "value")

    def __init__(self, plugin: str, value: T, error: Exception | None = None) -> None:
        self.plugin: str = plugin
        self.value: T = value
        self.error: Exception | None = error

    def __repr__(self) -> str:
        if self.error is not None:
            return f"PluginResult({self.plugin!r}, error={shown(self.error)})"
        return f"PluginResult({self.plugin!r}, {shown(self.value)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PluginResult):
            return NotImplemented
        theirs: PluginResult[Any] = other  # pyright: ignore[reportUnknownVariableType]
        return bool(self.plugin == theirs.plugin and self.value == theirs.value and self.error is theirs.error)

    __hash__: ClassVar[None] = None  # type: ignore[assignment]  # pyright: ignore[reportIncompatibleMethodOverride]


@final
class CallRecord(Generic[T]):
    """A hook call's result together with who returned what (provenance).

    Attributes:
        result: what the call returned, as a plain call would.
        results: every non-None value an implementation returned, with its
            plugin, in call order.
    """

    __slots__ = ("result", "results")

    def __init__(self, result: T, results: list[PluginResult[Any]]) -> None:
        self.result: T = result
        self.results: list[PluginResult[Any]] = results

    @property
    def by_plugin(self) -> dict[str, Any]:
        """Plugin name to the value it returned (the last one, if a plugin returned twice)."""
        return {r.plugin: r.value for r in self.results}

    def __repr__(self) -> str:
        return f"CallRecord(result={shown(self.result)}, results={shown(self.results)})"
