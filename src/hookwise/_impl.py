"""Hook implementations: the ``hookimpl`` marker, its options, and registered implementations.

``hookimpl`` records an :class:`ImplOptions` on a function; registration turns
each marked function of a plugin into a :class:`HookImpl`, validated against
its spec. The options are declared once, in :class:`ImplOptions`; the
``TypedDict``\\ s beside it type the keyword arguments of ``hookimpl`` and of
``HookManager.register(hook, handler, ...)`` (a test keeps them in step).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Final, Literal, NamedTuple, TypeAlias, TypedDict, TypeVar, Unpack, overload

from hookwise._spec import HookSpec
from hookwise.exceptions import PluginValidationError

F = TypeVar("F", bound=Callable[..., Any])

IMPL_MARK: Final = "__hookwise_impl__"

ArgumentStyle: TypeAlias = Literal["named", "mapping"]
"""How an implementation receives the call's arguments.

``named``: the spec parameters it names (any subset), matched by name.
``mapping``: one argument, a read-only mapping of all of them (handlers registered by hook name).
"""

BAND_NAMES: Final = ("tryfirst", "normal", "trylast")


class ImplOptions(NamedTuple):
    """The options of one hook implementation: the one place they are declared."""

    priority: int = 0
    """Lower runs first, within the implementation's band."""
    tryfirst: bool = False
    """Run in the first band, before every normal implementation."""
    trylast: bool = False
    """Run in the last band, after every normal implementation."""
    before: tuple[str, ...] = ()
    """Plugins whose implementations of this hook must run after this one."""
    after: tuple[str, ...] = ()
    """Plugins whose implementations of this hook must run before this one."""
    wrapper: bool = False
    """A generator that yields once and runs around the plain implementations."""
    specname: str | None = None
    """The hook to implement, when it differs from the function's name."""
    optional: bool = False
    """No error when no spec of that name exists; the implementation waits for one."""

    @classmethod
    def of(cls, options: Mapping[str, object], *, where: str, allowed: Sequence[str] | None = None) -> ImplOptions:
        """Options from keyword arguments, checked: unknown names and wrong types are a ``TypeError``.

        ``where`` names the call for messages (``"hookimpl()"``); ``allowed``
        limits the names (a handler registered by hook name takes the ordering ones).
        """
        names = cls._fields if allowed is None else tuple(allowed)
        for name, value in options.items():
            if name not in names:
                from hookwise._text import did_you_mean

                msg = f"{where} got an unknown option {name!r}{did_you_mean(name, names)} (options: {', '.join(names)})"
                raise TypeError(msg)
            _check_option(name, value, where)
        values: dict[str, Any] = dict(options)
        for name in ("before", "after"):
            if name in values:
                value = values[name]
                values[name] = (value,) if isinstance(value, str) else tuple(value)
        return cls(**values)

    @property
    def band(self) -> int:
        """0 for tryfirst, 1 for normal, 2 for trylast."""
        return 0 if self.tryfirst else 2 if self.trylast else 1


def _check_option(name: str, value: object, where: str) -> None:
    if name == "priority":
        ok = isinstance(value, int) and not isinstance(value, bool)
        expected = "an int"
    elif name in ("before", "after"):
        ok = isinstance(value, str) or (
            isinstance(value, Sequence) and all(isinstance(item, str) for item in value)  # pyright: ignore[reportUnknownVariableType]
        )
        expected = "a plugin name or a sequence of plugin names"
    elif name == "specname":
        ok = value is None or isinstance(value, str)
        expected = "a hook name or None"
    else:
        ok = isinstance(value, bool)
        expected = "True or False"
    if not ok:
        msg = f"{where}: option {name}={value!r} must be {expected}"
        raise TypeError(msg)


class HandlerOptions(TypedDict, total=False):
    """The ordering options: what ``HookManager.register(hook, handler, ...)`` takes."""

    priority: int
    tryfirst: bool
    trylast: bool
    before: str | Sequence[str]
    after: str | Sequence[str]


class ImplementationOptions(HandlerOptions, total=False):
    """Every option :func:`hookimpl` takes."""

    wrapper: bool
    specname: str | None
    optional: bool


HANDLER_OPTIONS: Final = tuple(HandlerOptions.__annotations__)


@overload
def hookimpl(function: F, /) -> F: ...
@overload
def hookimpl(**options: Unpack[ImplementationOptions]) -> Callable[[F], F]: ...
def hookimpl(function: F | None = None, /, **options: Unpack[ImplementationOptions]) -> F | Callable[[F], F]:
    """Mark a function or method as a hook implementation.

    The function's name is the hook's name unless ``specname`` is given. It
    may take any subset of the spec's parameters, by name.

    Other Parameters:
        priority (int): lower runs first, within the implementation's band (default 0).
        tryfirst (bool): run in the first band, before every normal implementation.
        trylast (bool): run in the last band, after every normal implementation.
        before (str | Sequence[str]): plugin name(s) whose implementations of this hook must run after this one.
        after (str | Sequence[str]): plugin name(s) whose implementations of this hook must run before this one.
        wrapper (bool): a generator that yields once and runs around the plain
            implementations; ``result = yield`` receives their outcome (or has
            their exception raised into it) and what it returns becomes the outcome.
        specname (str): the hook to implement, when it differs from the function's name.
        optional (bool): no error when no spec of that name exists; the
            implementation waits until one is added.

    Raises:
        TypeError: an unknown option, or an option of the wrong type.

    Options that depend on the hook (``tryfirst`` with ``trylast``, a wrapper
    that is not a generator) are checked at registration, where the error can
    name the plugin.

    Example::

        class Budget:
            @hookimpl(priority=20, after="validation")
            def before_complete_task(self, owner_id: str) -> Veto | None: ...
    """
    checked = ImplOptions.of(options, where="hookimpl()")

    def mark(fn: F) -> F:
        target = getattr(fn, "__func__", fn)  # staticmethod / classmethod objects
        setattr(target, IMPL_MARK, checked)
        return fn

    if function is not None:
        return mark(function)
    return mark


def impl_options(value: object) -> ImplOptions | None:
    """The options a plugin attribute was marked with, or None."""
    target = getattr(value, "__func__", value)
    try:
        options = getattr(target, IMPL_MARK, None)
    except Exception:  # noqa: BLE001 - an attribute that fails to read is not a hook implementation
        return None
    return options if isinstance(options, ImplOptions) else None


class HookImpl:
    """A registered implementation of one hook by one plugin.

    Attributes:
        plugin_name: the plugin's registered name.
        plugin: the plugin object (the handler itself for handlers registered by hook name;
            what holds it weakly for ``register(..., weak=True)``).
        function: the callable that is called.
        hook: the hook's name.
        options: its :class:`ImplOptions` (``priority``, ``tryfirst``, ...,
            also readable as attributes of the implementation).
        seq: its registration sequence number, unique in its manager.
        argnames: the spec parameters it takes, passed positionally in this order.
        kwonly: the spec parameters it takes as keyword-only arguments (also ``kwargnames``).
        style: ``"named"``, or ``"mapping"`` (one argument, the call's arguments as a mapping).
        is_async: a coroutine function (or, for wrappers, an async generator
            function): only awaited calls can run it.
    """

    __slots__ = (
        "argnames",
        "function",
        "hook",
        "is_async",
        "kwonly",
        "options",
        "plugin",
        "plugin_name",
        "seq",
        "style",
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
        style: ArgumentStyle = "named",
    ) -> None:
        self.plugin_name: str = plugin_name
        self.plugin: object = plugin
        self.function: Callable[..., Any] = function
        self.hook: str = hook
        self.options: ImplOptions = options
        self.seq: int = seq
        self.style: ArgumentStyle = style
        self.argnames: tuple[str, ...] = ()
        self.kwonly: tuple[str, ...] = ()
        self.is_async: bool = False

    @property
    def kwargnames(self) -> tuple[str, ...]:
        """The spec parameters it takes as keyword-only arguments (``kwonly``)."""
        return self.kwonly

    @property
    def priority(self) -> int:
        """Lower runs first, within the band."""
        return self.options.priority

    @property
    def tryfirst(self) -> bool:
        """Runs in the first band."""
        return self.options.tryfirst

    @property
    def trylast(self) -> bool:
        """Runs in the last band."""
        return self.options.trylast

    @property
    def before(self) -> tuple[str, ...]:
        """Plugins that must run after this implementation."""
        return self.options.before

    @property
    def after(self) -> tuple[str, ...]:
        """Plugins that must run before this implementation."""
        return self.options.after

    @property
    def wrapper(self) -> bool:
        """Whether it is a wrapper."""
        return self.options.wrapper

    @property
    def band(self) -> int:
        """0 for tryfirst, 1 for normal, 2 for trylast."""
        return self.options.band

    @property
    def qualname(self) -> str:
        """The implementing function's qualified name, for messages."""
        qualname = str(getattr(self.function, "__qualname__", repr(self.function)))
        return qualname.rpartition("<locals>.")[2]

    def __repr__(self) -> str:
        return f"<HookImpl {self.hook} plugin={self.plugin_name!r} function={self.qualname}>"


# -- signatures ---------------------------------------------------------------------------

_CO_VARARGS: Final = 0x04
_CO_VARKEYWORDS: Final = 0x08
POSITIONAL_ONLY, POSITIONAL, VAR_POSITIONAL, KEYWORD_ONLY, VAR_KEYWORD = range(5)
"""The kinds of :class:`Parameter`, in signature order."""


class Parameter(NamedTuple):
    """One parameter of an implementation: its name, its kind, whether it has a default."""

    name: str
    kind: int
    has_default: bool


def parameters(function: Callable[..., Any]) -> list[Parameter]:
    """The parameters of ``function`` as a call sees them (``self`` of a bound method left out).

    Plain functions and methods are read from their code objects, which is
    about twenty times faster than :func:`inspect.signature`; anything else
    (partials, callable objects, decorated functions) goes through it.

    Raises:
        TypeError, ValueError: the signature cannot be read.
    """
    target: Any = function
    bound = False
    if type(target).__name__ == "method" and hasattr(target, "__func__"):
        target, bound = target.__func__, True
    code = getattr(target, "__code__", None)
    if (
        code is None
        or type(target).__name__ != "function"
        or hasattr(target, "__wrapped__")
        or hasattr(target, "__signature__")
    ):
        return _inspected(function)
    positional = code.co_argcount
    names = code.co_varnames
    defaults = target.__defaults__ or ()
    kwdefaults: dict[str, Any] = target.__kwdefaults__ or {}
    found: list[Parameter] = []
    first_default = positional - len(defaults)
    for index in range(positional):
        kind = POSITIONAL_ONLY if index < code.co_posonlyargcount else POSITIONAL
        found.append(Parameter(names[index], kind, index >= first_default))
    cursor = positional + code.co_kwonlyargcount
    if code.co_flags & _CO_VARARGS:
        found.append(Parameter(names[cursor], VAR_POSITIONAL, False))
        cursor += 1
    found.extend(
        Parameter(name, KEYWORD_ONLY, name in kwdefaults)
        for name in names[positional : positional + code.co_kwonlyargcount]
    )
    if code.co_flags & _CO_VARKEYWORDS:
        found.append(Parameter(names[cursor], VAR_KEYWORD, False))
    if bound:
        if not found or found[0].kind not in (POSITIONAL_ONLY, POSITIONAL):
            return _inspected(function)  # a method whose self is *args: let inspect say what it takes
        found = found[1:]
    return found


def _inspected(function: Callable[..., Any]) -> list[Parameter]:
    import inspect

    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD: POSITIONAL,
        inspect.Parameter.VAR_POSITIONAL: VAR_POSITIONAL,
        inspect.Parameter.KEYWORD_ONLY: KEYWORD_ONLY,
        inspect.Parameter.VAR_KEYWORD: VAR_KEYWORD,
    }
    signature = inspect.signature(function)
    return [Parameter(p.name, kinds[p.kind], p.default is not p.empty) for p in signature.parameters.values()]


# -- validation --------------------------------------------------------------------------------


def _fail(impl: HookImpl, spec: HookSpec[..., Any], problem: str) -> PluginValidationError:
    where = f"plugin {impl.plugin_name!r}: {impl.qualname} for hook {impl.hook!r}"
    msg = f"{where} {problem}; the spec is {spec.signature_text()}"
    return PluginValidationError(msg, plugin=impl.plugin_name, hook=impl.hook)


def _read(impl: HookImpl) -> list[Parameter]:
    try:
        return parameters(impl.function)
    except (TypeError, ValueError) as e:
        msg = f"plugin {impl.plugin_name!r}: cannot read the signature of {impl.function!r} for hook {impl.hook!r}"
        raise PluginValidationError(msg, plugin=impl.plugin_name, hook=impl.hook) from e


def show_parameters(found: Sequence[Parameter]) -> str:
    """Parameters as a signature shows them: ``version, *args, **kwargs``."""
    prefix = {VAR_POSITIONAL: "*", VAR_KEYWORD: "**"}
    return ", ".join(prefix.get(p.kind, "") + p.name for p in found)


def validated(impl: HookImpl, spec: HookSpec[..., Any] | None, known: Collection[str]) -> HookImpl:
    """``impl``, checked against its hook's spec, or waiting for one if it is ``optional`` (``known``: the hooks).

    Raises:
        PluginValidationError: it does not fit its spec, or its hook has no spec and it is not optional.
    """
    if spec is not None:
        validate(impl, spec)
    elif not impl.options.optional:
        from hookwise._text import did_you_mean

        names = ", ".join(sorted(known)) or "none"
        msg = (
            f"plugin {impl.plugin_name!r}: {impl.qualname} implements hook {impl.hook!r}, which has no spec"
            f"{did_you_mean(impl.hook, known)} (known hooks: {names}); mark it @hookimpl(optional=True) "
            "if the hook may not exist"
        )
        raise PluginValidationError(msg, plugin=impl.plugin_name, hook=impl.hook)
    return impl


def validate(impl: HookImpl, spec: HookSpec[..., Any]) -> None:
    """Check an implementation against its spec and record how to call it.

    Raises:
        PluginValidationError: naming the plugin, the hook, the offending
            parameters and the spec's signature.
    """
    options = impl.options
    if options.tryfirst and options.trylast:
        raise _fail(impl, spec, "is marked both tryfirst and trylast; choose one")
    if impl.plugin_name in options.before or impl.plugin_name in options.after:
        raise _fail(impl, spec, "names its own plugin in before=/after=")
    import inspect

    function = impl.function
    if options.wrapper:
        if not (inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function)):
            raise _fail(impl, spec, "is marked wrapper=True but is not a generator function; a wrapper yields once")
        impl.is_async = inspect.isasyncgenfunction(function)
    elif inspect.isasyncgenfunction(function):
        raise _fail(impl, spec, "is an async generator; mark it wrapper=True, or make it a coroutine (async def)")
    else:
        impl.is_async = inspect.iscoroutinefunction(function)
    found = _read(impl)
    if impl.style == "mapping":
        _validate_mapping(impl, spec, found)
        return
    allowed = set(spec.param_names)
    positional: list[str] = []
    keyword: list[str] = []
    unknown: list[str] = []
    for p in found:
        if p.kind in (VAR_POSITIONAL, VAR_KEYWORD):
            raise _fail(impl, spec, f"takes {show_parameters([p])}; name the parameters it needs instead")
        if p.name not in allowed:
            if not p.has_default:
                unknown.append(p.name)
            continue
        if p.kind == POSITIONAL_ONLY:
            raise _fail(impl, spec, f"takes {p.name!r} positional-only; hook parameters are passed by name")
        (keyword if p.kind == KEYWORD_ONLY else positional).append(p.name)
    if unknown:
        names = "{" + ", ".join(repr(n) for n in unknown) + "}"
        raise _fail(impl, spec, f"takes {names} which is not in the spec")
    impl.argnames = tuple(positional)
    impl.kwonly = tuple(keyword)


def _validate_mapping(impl: HookImpl, spec: HookSpec[..., Any], found: Sequence[Parameter]) -> None:
    """A handler registered by hook name takes one positional argument: the context mapping."""
    required = [p for p in found if not p.has_default and p.kind not in (VAR_POSITIONAL, VAR_KEYWORD)]
    positional = [p for p in found if p.kind in (POSITIONAL_ONLY, POSITIONAL, VAR_POSITIONAL)]
    if len(required) > 1 or not positional or (required and required[0].kind == KEYWORD_ONLY):
        raise _fail(
            impl,
            spec,
            f"takes ({show_parameters(found)}); "
            "a handler registered by hook name takes one argument, the context mapping",
        )
    first = positional[0]
    if first.kind == VAR_POSITIONAL:
        return
    mistaken = first.name in spec.param_names and first.name not in _CONTEXT_NAMES
    annotation = getattr(impl.function, "__annotations__", {}).get(first.name)
    if mistaken or _scalar(annotation):
        what = f"{first.name!r}, a parameter of the hook" if mistaken else f"{first.name!r} annotated {annotation!r}"
        key = spec.param_names[0] if spec.params else "name"
        example = f"def {impl.qualname.rpartition('.')[2]}(context): ... context[{key!r}]"
        raise _fail(
            impl,
            spec,
            f"takes {what}, but a handler registered by hook name receives one argument, the context mapping "
            f"({example}); to take the hook's parameters by name, mark the function with @hookimpl and register "
            "it as a plugin",
        )


_CONTEXT_NAMES: Final = frozenset({"context", "ctx", "mapping", "arguments", "kwargs"})
"""Parameter names that mean the context mapping, even where a spec has a parameter of that name."""
_SCALAR_NAMES: Final = frozenset({"str", "int", "float", "bool", "bytes", "list", "tuple", "set"})


def _scalar(annotation: object) -> bool:
    """Whether a handler's annotation says it takes a single value, not a mapping."""
    if isinstance(annotation, str):
        return annotation in _SCALAR_NAMES
    return isinstance(annotation, type) and annotation.__name__ in _SCALAR_NAMES and annotation.__module__ == "builtins"
