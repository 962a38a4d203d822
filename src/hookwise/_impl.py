"""Hook implementations: the ``hookimpl`` marker and registered implementations.

``hookimpl`` records options on a function; registration turns each marked
function of a plugin into a :class:`HookImpl`, validated against its spec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, TypeVar, final, overload

from hookwise._spec import HookSpec
from hookwise.exceptions import PluginValidationError

if TYPE_CHECKING:
    import inspect

F = TypeVar("F", bound=Callable[..., Any])

IMPL_MARK: Final = "__hookwise_impl__"
Style: TypeAlias = Literal["params", "context", "positional"]
"""``params``: the implementation takes named hook parameters.
``context``: it takes one argument, the mapping of all of them (seed 004's handlers).
``positional``: it takes the spec's parameters by position, whatever it names them (lifecycle hooks)."""

BAND_NAMES: Final = ("tryfirst", "normal", "trylast")


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@final
class ImplOptions:
    """The options given to :func:`hookimpl`, stored on the marked function."""

    __slots__ = ("after", "before", "optional", "priority", "specname", "tryfirst", "trylast", "wrapper")

    def __init__(
        self,
        *,
        priority: int = 0,
        tryfirst: bool = False,
        trylast: bool = False,
        before: str | Sequence[str] = (),
        after: str | Sequence[str] = (),
        wrapper: bool = False,
        specname: str | None = None,
        optional: bool = False,
    ) -> None:
        self.priority = priority
        self.tryfirst = tryfirst
        self.trylast = trylast
        self.before = _names(before)
        self.after = _names(after)
        self.wrapper = wrapper
        self.specname = specname
        self.optional = optional


@overload
def hookimpl(function: F, /) -> F: ...
@overload
def hookimpl(
    *,
    priority: int = 0,
    tryfirst: bool = False,
    trylast: bool = False,
    before: str | Sequence[str] = (),
    after: str | Sequence[str] = (),
    wrapper: bool = False,
    specname: str | None = None,
    optional: bool = False,
) -> Callable[[F], F]: ...
def hookimpl(
    function: F | None = None,
    /,
    *,
    priority: int = 0,
    tryfirst: bool = False,
    trylast: bool = False,
    before: str | Sequence[str] = (),
    after: str | Sequence[str] = (),
    wrapper: bool = False,
    specname: str | None = None,
    optional: bool = False,
) -> F | Callable[[F], F]:
    """Mark a function or method as a hook implementation.

    The function's name is the hook's name unless ``specname`` is given. It
    may take any subset of the spec's parameters, by name.

    Args:
        priority: lower runs first, within the implementation's band (default 0).
        tryfirst: run in the first band, before every normal implementation.
        trylast: run in the last band, after every normal implementation.
        before: plugin name(s) whose implementations of this hook must run after this one.
        after: plugin name(s) whose implementations of this hook must run before this one.
        wrapper: a generator that yields once and runs around the plain
            implementations; ``result = yield`` receives their outcome (or has
            their exception raised into it) and what it returns becomes the outcome.
        specname: the hook to implement, when it differs from the function's name.
        optional: no error when no spec of that name exists; the
            implementation waits until one is added.

    Options are checked at registration (``tryfirst`` with ``trylast``, a
    wrapper that is not a generator), where the error can name the plugin.

    Example::

        class Budget:
            @hookimpl(priority=20, after="validation")
            def before_complete_task(self, owner_id: str) -> Veto | None: ...
    """
    options = ImplOptions(
        priority=priority,
        tryfirst=tryfirst,
        trylast=trylast,
        before=before,
        after=after,
        wrapper=wrapper,
        specname=specname,
        optional=optional,
    )

    def mark(fn: F) -> F:
        target = getattr(fn, "__func__", fn)  # staticmethod / classmethod objects
        setattr(target, IMPL_MARK, options)
        return fn

    if function is not None:
        return mark(function)
    return mark


def impl_options(value: object) -> ImplOptions | None:
    """The options a plugin attribute was marked with, or None."""
    target = getattr(value, "__func__", value)
    options = getattr(target, IMPL_MARK, None)
    return options if isinstance(options, ImplOptions) else None


@final
class HookImpl:
    """A registered implementation of one hook by one plugin.

    Attributes:
        plugin_name: the plugin's registered name.
        plugin: the plugin object (the handler itself for handlers registered by hook name).
        function: the callable that is called.
        hook: the hook's name.
        priority, tryfirst, trylast, before, after, wrapper: its ordering options.
        seq: its registration sequence number, unique in its manager.
        argnames: the spec parameters it takes, passed positionally in this order.
        kwargnames: the spec parameters it takes as keyword-only arguments.
        style: ``"params"`` or ``"context"`` (one mapping argument).
        is_async: a coroutine function (or, for wrappers, an async generator
            function): only awaited calls can run it.
    """

    __slots__ = (
        "after",
        "argnames",
        "before",
        "function",
        "hook",
        "is_async",
        "kwargnames",
        "optional",
        "plugin",
        "plugin_name",
        "priority",
        "seq",
        "style",
        "tryfirst",
        "trylast",
        "wrapper",
    )

    def __init__(
        self,
        plugin_name: str,
        plugin: object,
        function: Callable[..., Any],
        hook: str,
        options: ImplOptions,
        *,
        seq: int,
        style: Style = "params",
    ) -> None:
        self.plugin_name = plugin_name
        self.plugin = plugin
        self.function = function
        self.hook = hook
        self.priority = options.priority
        self.tryfirst = options.tryfirst
        self.trylast = options.trylast
        self.before = options.before
        self.after = options.after
        self.wrapper = options.wrapper
        self.optional = options.optional
        self.seq = seq
        self.style: Style = style
        self.argnames: tuple[str, ...] = ()
        self.kwargnames: tuple[str, ...] = ()
        self.is_async = False

    @property
    def band(self) -> int:
        """0 for tryfirst, 1 for normal, 2 for trylast."""
        return 0 if self.tryfirst else 2 if self.trylast else 1

    @property
    def qualname(self) -> str:
        """The implementing function's qualified name, for messages."""
        qualname = str(getattr(self.function, "__qualname__", repr(self.function)))
        return qualname.rpartition("<locals>.")[2]

    def __repr__(self) -> str:
        return f"<HookImpl {self.hook} plugin={self.plugin_name!r} function={self.qualname}>"


def _fail(impl: HookImpl, spec: HookSpec[..., Any], problem: str) -> PluginValidationError:
    where = f"plugin {impl.plugin_name!r}: {impl.qualname} for hook {impl.hook!r}"
    msg = f"{where} {problem}; the spec is {spec.signature_text()}"
    return PluginValidationError(msg, plugin=impl.plugin_name, hook=impl.hook)


def _parameters(impl: HookImpl) -> list[inspect.Parameter]:
    import inspect

    try:
        return list(inspect.signature(impl.function).parameters.values())
    except (TypeError, ValueError) as e:
        msg = f"plugin {impl.plugin_name!r}: cannot read the signature of {impl.function!r} for hook {impl.hook!r}"
        raise PluginValidationError(msg, plugin=impl.plugin_name, hook=impl.hook) from e


def validate(impl: HookImpl, spec: HookSpec[..., Any]) -> None:
    """Check an implementation against its spec and record how to call it.

    Raises:
        PluginValidationError: naming the plugin, the hook, the offending
            parameters and the spec's signature.
    """
    if impl.tryfirst and impl.trylast:
        raise _fail(impl, spec, "is marked both tryfirst and trylast; choose one")
    if impl.plugin_name in impl.before or impl.plugin_name in impl.after:
        raise _fail(impl, spec, "names its own plugin in before=/after=")
    import inspect

    function = impl.function
    if impl.wrapper:
        if not (inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function)):
            raise _fail(impl, spec, "is marked wrapper=True but is not a generator function; a wrapper yields once")
        impl.is_async = inspect.isasyncgenfunction(function)
    elif inspect.isasyncgenfunction(function):
        raise _fail(impl, spec, "is an async generator; mark it wrapper=True, or make it a coroutine (async def)")
    else:
        impl.is_async = inspect.iscoroutinefunction(function)
    if impl.style == "context":
        _validate_context(impl, spec)
        return
    if impl.style == "positional":
        _validate_positional(impl, spec)
        return
    allowed = set(spec.param_names)
    positional: list[str] = []
    keyword: list[str] = []
    unknown: list[str] = []
    for p in _parameters(impl):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            star = "*" if p.kind == p.VAR_POSITIONAL else "**"
            raise _fail(impl, spec, f"takes {star}{p.name}; name the parameters it needs instead")
        if p.name not in allowed:
            if p.default is p.empty:
                unknown.append(p.name)
            continue
        if p.kind == p.POSITIONAL_ONLY:
            raise _fail(impl, spec, f"takes {p.name!r} positional-only; hook parameters are passed by name")
        (keyword if p.kind == p.KEYWORD_ONLY else positional).append(p.name)
    if unknown:
        names = "{" + ", ".join(repr(n) for n in unknown) + "}"
        raise _fail(impl, spec, f"takes {names} which is not in the spec")
    impl.argnames = tuple(positional)
    impl.kwargnames = tuple(keyword)


def _validate_positional(impl: HookImpl, spec: HookSpec[..., Any]) -> None:
    parameters = _parameters(impl)
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if any(p.kind == p.KEYWORD_ONLY and p.default is p.empty for p in parameters) or len(required) > len(spec.params):
        shown = ", ".join(p.name for p in parameters)
        raise _fail(impl, spec, f"takes ({shown}); it is called with the spec's {len(spec.params)} arguments, in order")
    count = len(spec.params) if any(p.kind == p.VAR_POSITIONAL for p in parameters) else len(positional)
    impl.argnames = spec.param_names[: min(count, len(spec.params))]


def _validate_context(impl: HookImpl, spec: HookSpec[..., Any]) -> None:
    required = [
        p for p in _parameters(impl) if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    positional = [
        p for p in _parameters(impl) if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    if len(required) > 1 or not positional or (required and required[0].kind == required[0].KEYWORD_ONLY):
        shown = ", ".join(p.name for p in _parameters(impl))
        raise _fail(
            impl,
            spec,
            f"takes ({shown}); a handler registered by hook name takes one argument, the context mapping",
        )
