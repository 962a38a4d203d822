"""Hook specifications: the hook points a host declares.

A spec is declared as an annotated method of a spec class, decorated with
:func:`hookspec`, or by name with :meth:`HookManager.add_spec`. The decorator's
return type carries the hook's parameters and result type, so a call through
``manager.call`` is checked by mypy and pyright with no plugin.
"""

from __future__ import annotations

import keyword
import types
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Final,
    Generic,
    Literal,
    ParamSpec,
    Protocol,
    TypeAlias,
    TypedDict,
    TypeVar,
    Unpack,
    cast,
    final,
    overload,
)

from hookwise.exceptions import SpecError

if TYPE_CHECKING:
    from hookwise._results import Dispatched
P = ParamSpec("P")
R = TypeVar("R")
Out = TypeVar("Out")
Out_co = TypeVar("Out_co", covariant=True)

Kind: TypeAlias = Literal["collect", "first", "intercept", "observe"]
"""How a hook's implementations are called and their results combined."""

ErrorPolicy: TypeAlias = Literal["raise", "veto", "isolate"]
"""What happens when an implementation raises."""

OnBudget: TypeAlias = Literal["warn", "error", "veto"]
"""What happens when an implementation runs over its hook's time budget."""

KINDS: Final = ("collect", "first", "intercept", "observe")
POLICIES: Final = ("raise", "veto", "isolate")
ON_BUDGET: Final = ("warn", "error", "veto")
RESERVED_PREFIX: Final = "_hw_"


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Final = _NoDefault()
"""The default of a parameter that has none."""


@final
class Param:
    """One parameter of a hook spec."""

    __slots__ = ("default", "keyword_only", "name")

    def __init__(self, name: str, *, keyword_only: bool = False, default: Any = NO_DEFAULT) -> None:
        self.name = name
        self.keyword_only = keyword_only
        self.default = default

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Param):
            return NotImplemented
        return (self.name, self.keyword_only, self.required) == (
            other.name,
            other.keyword_only,
            other.required,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.keyword_only, self.required))

    def __repr__(self) -> str:
        return f"Param({self.name!r})"


class HookCall(Protocol[P, Out_co]):
    """The type of ``manager.call.<hook>``: call it, or await ``.acall(...)``.

    Both take the hook's parameters; the result type follows the hook's kind.
    """

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Out_co: ...

    def acall(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, Out_co]: ...


_PARAMS: dict[tuple[str, object], Param] = {}


def _shared_param(name: str, default: object) -> Param:
    """``Param(name, default=default)``, one object per name and default (hosts declare hundreds of hooks
    with the same few parameter names; pytest's managers hold many specs each)."""
    try:
        key = (name, default)
        param = _PARAMS.get(key)
    except TypeError:  # an unhashable default
        return Param(name, default=default)
    if param is None:
        param = Param(name, default=default)
        if len(_PARAMS) < 4096:
            _PARAMS[key] = param
    return param


@final
class HookSpec(Generic[P, Out]):
    """A hook point: its name, parameters, kind and options.

    Created by :func:`hookspec` on a method of a spec class, or by
    :meth:`HookManager.add_spec`. In a spec class it is a descriptor whose
    type, ``HookSpec[P, Out]``, makes ``manager.call.<name>`` a
    ``Callable[P, Out]`` for the type checker.

    Attributes:
        name: the hook's name (``"before_complete_task"``,
            ``"todos.before_complete_task"``).
        params: the parameters implementations may take, in order.
        kind: ``"collect"``, ``"first"``, ``"intercept"`` or ``"observe"``.
        policy: the error policy: ``"raise"``, ``"veto"`` or ``"isolate"``.
        historic: calls are remembered and replayed to implementations
            registered later.
        doc: the hook's documentation.
        function: the declaring function, for class-declared specs.
    """

    __slots__ = (
        "_param_set",
        "attribute",
        "budget",
        "concurrent",
        "doc",
        "function",
        "historic",
        "kind",
        "max_depth",
        "name",
        "on_budget",
        "params",
        "policy",
        "strict",
    )

    def __init__(
        self,
        name: str,
        params: Iterable[Param],
        *,
        kind: Kind = "collect",
        policy: ErrorPolicy | None = None,
        historic: bool = False,
        concurrent: bool = False,
        budget: float | None = None,
        on_budget: OnBudget | None = None,
        strict: bool = False,
        max_depth: int | None = None,
        doc: str | None = None,
        function: Callable[..., Any] | None = None,
    ) -> None:
        self.name: str = name
        self.params: tuple[Param, ...] = tuple(params)
        self.kind: Kind = kind
        self.policy: ErrorPolicy = policy or ("veto" if kind == "intercept" else "raise")
        self.historic: bool = historic
        self.concurrent: bool = concurrent
        self.budget: float | None = budget
        self.on_budget: OnBudget | None = on_budget
        self.strict: bool = strict
        self.max_depth: int | None = max_depth
        self.doc: str | None = doc
        self.function: Callable[..., Any] | None = function
        self.attribute: str = name
        self._param_set: frozenset[str] | None = None
        self._check()

    @classmethod
    def from_names(
        cls,
        name: str,
        params: Iterable[str],
        *,
        kind: Kind = "collect",
        policy: ErrorPolicy | None = None,
        doc: str | None = None,
        defaults: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> HookSpec[..., Any]:
        """Declare a spec by name and parameter names (string hook points such as ``"todos.before_complete_task"``).

        ``defaults`` gives parameters a default value, which makes them optional in calls.
        ``options`` are :class:`HookSpec`'s (``historic``, ``concurrent``, ``budget``, ...).
        """
        if isinstance(params, str):
            msg = f"hook {name!r}: params must be a sequence of names, not the string {params!r}"
            raise SpecError(msg, hook=name)
        given = defaults or {}
        return cls(
            name,
            (_shared_param(p, given.get(p, NO_DEFAULT)) for p in params),
            kind=kind,
            policy=policy,
            doc=doc,
            **options,
        )

    @classmethod
    def from_function(
        cls,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        kind: Kind = "collect",
        policy: ErrorPolicy | None = None,
        drop_first: bool = True,
        **options: Any,
    ) -> HookSpec[..., Any]:
        """Build a spec from a declaring function (its first parameter, ``self``, dropped)."""
        import inspect

        hook = name or function.__name__
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError) as e:  # pragma: no cover - builtins only
            msg = f"hook {hook!r}: cannot read the signature of {function!r}"
            raise SpecError(msg, hook=hook) from e
        params = list(signature.parameters.values())
        if drop_first:
            if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
                msg = f"hook {hook!r}: a spec method takes self first, then the hook's parameters"
                raise SpecError(msg, hook=hook)
            params = params[1:]
        converted: list[Param] = []
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
                what = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**", p.POSITIONAL_ONLY: ""}[p.kind]
                msg = (
                    f"hook {hook!r}: parameter {what}{p.name} is not allowed in a spec; "
                    "hook parameters are named, so that implementations can take any subset of them"
                )
                raise SpecError(msg, hook=hook)
            default = NO_DEFAULT if p.default is p.empty else p.default
            converted.append(Param(p.name, keyword_only=p.kind == p.KEYWORD_ONLY, default=default))
        return cls(
            hook,
            converted,
            kind=kind,
            policy=policy,
            doc=inspect.getdoc(function),
            function=function,
            **options,
        )

    def _check(self) -> None:
        if self.kind not in KINDS:
            msg = f"hook {self.name!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}"
            raise SpecError(msg, hook=self.name)
        if self.policy not in POLICIES:
            msg = f"hook {self.name!r}: error policy {self.policy!r} is not one of {', '.join(POLICIES)}"
            raise SpecError(msg, hook=self.name)
        if self.policy == "veto" and self.kind != "intercept":
            msg = f"hook {self.name!r}: error policy 'veto' needs an intercept hook, and this one is {self.kind}"
            raise SpecError(msg, hook=self.name)
        if self.historic and self.kind not in ("collect", "observe"):
            msg = (
                f"hook {self.name!r}: historic hooks replay past calls to late implementations, "
                f"which only collect and observe hooks can do; this one is {self.kind}"
            )
            raise SpecError(msg, hook=self.name)
        if self.budget is not None and not self.budget > 0:
            msg = f"hook {self.name!r}: budget must be a positive number of seconds, not {self.budget!r}"
            raise SpecError(msg, hook=self.name)
        if self.on_budget is not None and self.on_budget not in ON_BUDGET:
            msg = f"hook {self.name!r}: on_budget {self.on_budget!r} is not one of warn, error, veto"
            raise SpecError(msg, hook=self.name)
        if self.on_budget == "veto" and self.kind != "intercept":
            msg = f"hook {self.name!r}: on_budget='veto' needs an intercept hook, and this one is {self.kind}"
            raise SpecError(msg, hook=self.name)
        if self.max_depth is not None and self.max_depth < 1:
            msg = f"hook {self.name!r}: max_depth must be at least 1, not {self.max_depth!r}"
            raise SpecError(msg, hook=self.name)
        if self.concurrent and self.kind not in ("collect", "observe"):
            msg = (
                f"hook {self.name!r}: concurrent hooks await their implementations together, which only "
                f"collect and observe hooks can do; this one is {self.kind}"
            )
            raise SpecError(msg, hook=self.name)
        seen: set[str] = set()
        for p in self.params:
            if not p.name.isidentifier() or keyword.iskeyword(p.name):
                msg = f"hook {self.name!r}: parameter name {p.name!r} is not a Python identifier"
                raise SpecError(msg, hook=self.name)
            if not p.name.isascii():
                import unicodedata

                normal = unicodedata.normalize("NFKC", p.name)
                if normal != p.name:
                    msg = (
                        f"hook {self.name!r}: parameter name {p.name!r} is not in the form Python reads names in "
                        f"(NFKC: {normal!r}); Python code naming it means {normal!r}: declare {normal!r}"
                    )
                    raise SpecError(msg, hook=self.name)
            if p.name.startswith(RESERVED_PREFIX):
                msg = f"hook {self.name!r}: parameter names starting with {RESERVED_PREFIX!r} are reserved"
                raise SpecError(msg, hook=self.name)
            if p.name in seen:
                msg = f"hook {self.name!r}: parameter {p.name!r} is declared twice"
                raise SpecError(msg, hook=self.name)
            seen.add(p.name)

    @property
    def instrumented(self) -> bool:
        """Whether the spec itself asks for guardrails (a budget, a strict context, a depth)."""
        return self.budget is not None or self.strict or self.max_depth is not None

    @property
    def param_names(self) -> tuple[str, ...]:
        """The names of the parameters, in order."""
        return tuple(p.name for p in self.params)

    @property
    def param_set(self) -> frozenset[str]:
        """The names of the parameters, as a set (made once: every caller of the spec shares it)."""
        names = self._param_set
        if names is None:
            names = self._param_set = frozenset(p.name for p in self.params)
        return names

    def signature_text(self) -> str:
        """The spec as text: ``todos.before_complete_task(task_id, owner_id, actor_id)``."""
        parts: list[str] = []
        star = False
        for p in self.params:
            if p.keyword_only and not star:
                parts.append("*")
                star = True
            parts.append(p.name if p.required else f"{p.name}=...")
        return f"{self.name}({', '.join(parts)})"

    def same_shape(self, other: HookSpec[..., Any]) -> bool:
        """Whether two specs of one name declare the same hook."""
        return self._options() == other._options()

    def _options(self) -> tuple[object, ...]:
        return (
            self.params,
            self.kind,
            self.policy,
            self.historic,
            self.concurrent,
            self.budget,
            self.on_budget,
            self.strict,
            self.max_depth,
        )

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> HookSpec[P, Out]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> HookCall[P, Out]: ...
    def __get__(self, obj: object, owner: type | None = None) -> HookSpec[P, Out] | HookCall[P, Out]:
        if obj is None:
            return self
        # A spec method read on an instance of its own class: its declaring
        # function, bound; hooks are called through ``manager.call``.
        if self.function is None:  # pragma: no cover - from_names specs are not descriptors
            return self
        return cast("HookCall[P, Out]", self.function.__get__(obj, owner))

    def __repr__(self) -> str:
        return f"<HookSpec {self.signature_text()} kind={self.kind} policy={self.policy}>"


def iter_specs(namespace: object) -> list[HookSpec[..., Any]]:
    """The hook specs a spec class, an instance of one, or a module declares, in definition order."""
    scopes: list[Mapping[str, Any]]
    if isinstance(namespace, types.ModuleType):
        scopes = [vars(namespace)]
    else:
        cls = namespace if isinstance(namespace, type) else type(namespace)
        scopes = [vars(klass) for klass in reversed(cls.__mro__)]
    found: dict[str, HookSpec[..., Any]] = {}
    for scope in scopes:
        found.update({attr: cast("HookSpec[..., Any]", v) for attr, v in scope.items() if isinstance(v, HookSpec)})
    return list(found.values())


class GuardrailOptions(TypedDict, total=False):
    """The guardrail options every :func:`hookspec` accepts."""

    budget: float | None
    """Seconds each implementation may take (0.1 keeps handlers under 100 ms); ``None`` uses the manager's."""
    on_budget: OnBudget | None
    """Over budget: ``"warn"`` (``BudgetWarning``), ``"error"`` (``BudgetExceededError``), ``"veto"`` (intercept)."""
    strict: bool
    """Arguments must be primitive data (no ORM objects or locks in a context), checked at each call."""
    max_depth: int | None
    """How many times the hook may run on one call stack; detects hooks that call each other in a loop."""


_Decorator: TypeAlias = Callable[[Callable[..., Any]], HookSpec[..., Any]]


@overload
def hookspec(function: Callable[Concatenate[Any, P], R | None], /) -> HookSpec[P, list[R]]: ...
@overload
def hookspec(
    *,
    kind: Literal["collect"] = "collect",
    name: str | None = None,
    policy: Literal["raise", "isolate"] | None = None,
    historic: bool = False,
    concurrent: bool = False,
    **options: Unpack[GuardrailOptions],
) -> Callable[[Callable[Concatenate[Any, P], R | None]], HookSpec[P, list[R]]]: ...
@overload
def hookspec(
    *,
    kind: Literal["first"],
    name: str | None = None,
    policy: Literal["raise", "isolate"] | None = None,
    **options: Unpack[GuardrailOptions],
) -> Callable[[Callable[Concatenate[Any, P], R | None]], HookSpec[P, R | None]]: ...
@overload
def hookspec(
    *,
    kind: Literal["intercept"],
    name: str | None = None,
    policy: ErrorPolicy | None = None,
    **options: Unpack[GuardrailOptions],
) -> Callable[[Callable[Concatenate[Any, P], object]], HookSpec[P, Dispatched]]: ...
@overload
def hookspec(
    *,
    kind: Literal["observe"],
    name: str | None = None,
    policy: Literal["raise", "isolate"] | None = None,
    historic: bool = False,
    concurrent: bool = False,
    **options: Unpack[GuardrailOptions],
) -> Callable[[Callable[Concatenate[Any, P], object]], HookSpec[P, None]]: ...
def hookspec(
    function: Callable[..., Any] | None = None,
    /,
    *,
    kind: Kind = "collect",
    name: str | None = None,
    policy: ErrorPolicy | None = None,
    historic: bool = False,
    concurrent: bool = False,
    **options: Unpack[GuardrailOptions],
) -> HookSpec[..., Any] | _Decorator:
    """Declare a hook spec on a method of a spec class.

    The method's parameters (after ``self``) are the hook's parameters; its
    body is never run. The result type of a typed call follows the kind:
    ``list[R]`` for collect (the declared return type without ``None``, since
    None results are dropped), ``R | None`` for first, ``AllowedResult | VetoedResult`` (a ``DispatchResult``) for
    intercept, ``None`` for observe.

    Args:
        kind: how implementations are called; ``"collect"`` by default.
        name: the hook's name, if not the method's (``"todos.before_complete_task"``).
        policy: the error policy; ``"veto"`` for intercept hooks, else ``"raise"``.
        historic: remember calls and replay them to implementations registered
            later (collect and observe hooks).
        concurrent: an awaited call (``.acall``) awaits the implementations
            together instead of in turn (collect and observe hooks); results
            still come back in effective order.
        options: guardrails: ``budget``, ``on_budget``, ``strict``, ``max_depth``
            (see :class:`GuardrailOptions`).

    Raises:
        SpecError: the method's signature or the options cannot make a hook.

    Example::

        class TodoHooks:
            @hookspec(kind="intercept")
            def before_complete_task(self, task_id: str, actor_id: str) -> None:
                "Called before a task is completed; may veto."
    """

    def decorate(fn: Callable[..., Any]) -> HookSpec[..., Any]:
        return HookSpec.from_function(
            fn, name=name, kind=kind, policy=policy, historic=historic, concurrent=concurrent, **options
        )

    if function is not None:
        return decorate(function)
    return decorate
