"""The parts of the pluggy layer that are not the plugin manager: markers, results, tracing, errors."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Final, Generic, TypedDict, TypeVar, cast, final, overload

F = TypeVar("F", bound=Callable[..., object])
ResultType = TypeVar("ResultType")

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class PluggyWarning(UserWarning):
    """Base class for all warnings emitted by pluggy."""


@final
class PluggyTeardownRaisedWarning(PluggyWarning):
    """A plugin raised an exception during an old-style hookwrapper teardown."""


class PluginValidationError(Exception):
    """A plugin failed validation.

    Attributes:
        plugin: the plugin which failed validation.
    """

    def __init__(self, plugin: object, message: str) -> None:
        super().__init__(message)
        self.plugin = plugin


class HookCallError(Exception):
    """Hook was called incorrectly."""


class HookspecOpts(TypedDict):
    """Options for a hook specification."""

    firstresult: bool
    historic: bool
    warn_on_impl: Warning | None
    warn_on_impl_args: Mapping[str, Warning] | None


class HookimplOpts(TypedDict):
    """Options for a hook implementation."""

    wrapper: bool
    hookwrapper: bool
    optionalhook: bool
    tryfirst: bool
    trylast: bool
    specname: str | None


@final
class HookspecMarker:
    """Decorator for marking functions as hook specifications (``project_name + "_spec"`` attribute)."""

    __slots__ = ("project_name",)

    def __init__(self, project_name: str) -> None:
        self.project_name: Final = project_name

    @overload
    def __call__(
        self,
        function: F,
        firstresult: bool = False,
        historic: bool = False,
        warn_on_impl: Warning | None = None,
        warn_on_impl_args: Mapping[str, Warning] | None = None,
    ) -> F: ...
    @overload
    def __call__(
        self,
        function: None = ...,
        firstresult: bool = ...,
        historic: bool = ...,
        warn_on_impl: Warning | None = ...,
        warn_on_impl_args: Mapping[str, Warning] | None = ...,
    ) -> Callable[[F], F]: ...
    def __call__(
        self,
        function: F | None = None,
        firstresult: bool = False,
        historic: bool = False,
        warn_on_impl: Warning | None = None,
        warn_on_impl_args: Mapping[str, Warning] | None = None,
    ) -> F | Callable[[F], F]:
        """Mark ``function`` as a hook specification, or return a decorator that does."""

        def mark(func: F) -> F:
            if historic and firstresult:
                msg = "cannot have a historic firstresult hook"
                raise ValueError(msg)
            opts: HookspecOpts = {
                "firstresult": firstresult,
                "historic": historic,
                "warn_on_impl": warn_on_impl,
                "warn_on_impl_args": warn_on_impl_args,
            }
            setattr(func, self.project_name + "_spec", opts)
            return func

        return mark if function is None else mark(function)


@final
class HookimplMarker:
    """Decorator for marking functions as hook implementations (``project_name + "_impl"`` attribute)."""

    __slots__ = ("project_name",)

    def __init__(self, project_name: str) -> None:
        self.project_name: Final = project_name

    @overload
    def __call__(
        self,
        function: F,
        hookwrapper: bool = ...,
        optionalhook: bool = ...,
        tryfirst: bool = ...,
        trylast: bool = ...,
        specname: str | None = ...,
        wrapper: bool = ...,
    ) -> F: ...
    @overload
    def __call__(
        self,
        function: None = ...,
        hookwrapper: bool = ...,
        optionalhook: bool = ...,
        tryfirst: bool = ...,
        trylast: bool = ...,
        specname: str | None = ...,
        wrapper: bool = ...,
    ) -> Callable[[F], F]: ...
    def __call__(
        self,
        function: F | None = None,
        hookwrapper: bool = False,
        optionalhook: bool = False,
        tryfirst: bool = False,
        trylast: bool = False,
        specname: str | None = None,
        wrapper: bool = False,
    ) -> F | Callable[[F], F]:
        """Mark ``function`` as a hook implementation, or return a decorator that does."""

        def mark(func: F) -> F:
            opts: HookimplOpts = {
                "wrapper": wrapper,
                "hookwrapper": hookwrapper,
                "optionalhook": optionalhook,
                "tryfirst": tryfirst,
                "trylast": trylast,
                "specname": specname,
            }
            setattr(func, self.project_name + "_impl", opts)
            return func

        return mark if function is None else mark(function)


def normalize_hookimpl_opts(opts: HookimplOpts) -> None:
    """Fill in the options a third-party marker may have left out."""
    opts.setdefault("tryfirst", False)
    opts.setdefault("trylast", False)
    opts.setdefault("wrapper", False)
    opts.setdefault("hookwrapper", False)
    opts.setdefault("optionalhook", False)
    opts.setdefault("specname", None)


def varnames(func: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The positional parameter names a hook function takes, and those with defaults (pluggy's rule).

    For a class, its ``__init__``; for a callable object, its ``__call__``.
    ``self`` of methods is left out; parameters with defaults are the second
    tuple (they are never passed by a hook call).
    """
    if inspect.isclass(func):
        func = getattr(func, "__init__", None)
        if func is None:  # pragma: no cover - every class has __init__
            return (), ()
    elif not inspect.isroutine(func) and callable(func):
        func = func.__call__
    try:
        target = func.__func__ if inspect.ismethod(func) else func
        signature = inspect.signature(cast("Callable[..., Any]", target))
    except (TypeError, ValueError):  # pragma: no cover - builtins without signatures
        return (), ()
    positional = [p for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = tuple(p.name for p in positional if p.default is p.empty)
    optional = tuple(p.name for p in positional if p.default is not p.empty)
    qualname: str = getattr(func, "__qualname__", "")
    if required and (inspect.ismethod(func) or ("." in qualname and required[0] == "self")):
        required = required[1:]
    return required, optional


@final
class Result(Generic[ResultType]):
    """The outcome of the inner calls, as an old-style hookwrapper sees it."""

    __slots__ = ("_exception", "_result", "_traceback")

    def __init__(self, result: ResultType | None, exception: BaseException | None) -> None:
        self._result = result
        self._exception = exception
        self._traceback = exception.__traceback__ if exception is not None else None

    @property
    def excinfo(self) -> _ExcInfo | None:
        """The exception as a ``(type, value, traceback)`` triple, or None."""
        if self._exception is None:
            return None
        return (type(self._exception), self._exception, self._traceback)

    @property
    def exception(self) -> BaseException | None:
        """The exception, or None."""
        return self._exception

    @classmethod
    def from_call(cls, func: Callable[[], ResultType]) -> Result[ResultType]:
        """The outcome of calling ``func``."""
        try:
            return cls(func(), None)
        except BaseException as error:  # noqa: BLE001 - the outcome holds any exception, as pluggy's does
            return cls(None, error)

    def force_result(self, result: ResultType) -> None:
        """Replace the outcome with ``result``, dropping any exception."""
        self._result = result
        self._exception = None
        self._traceback = None

    def force_exception(self, exception: BaseException) -> None:
        """Replace the outcome with ``exception``."""
        self._result = None
        self._exception = exception
        self._traceback = exception.__traceback__

    def get_result(self) -> ResultType:
        """The result(s), or raise the exception with its original traceback."""
        if self._exception is None:
            return cast("ResultType", self._result)
        raise self._exception.with_traceback(self._traceback)


_Writer = Callable[[str], object]
_Processor = Callable[[tuple[str, ...], tuple[Any, ...]], object]


class TagTracer:
    """pluggy's tag tracer: messages under ``:``-joined tags, to a writer and to processors."""

    def __init__(self) -> None:
        self._tags2proc: dict[tuple[str, ...], _Processor] = {}
        self._writer: _Writer | None = None
        self.indent = 0

    def get(self, name: str) -> TagTracerSub:
        """A sub-tracer for tag ``name``."""
        return TagTracerSub(self, (name,))

    def _format_message(self, tags: Sequence[str], args: Sequence[object]) -> str:
        extra: Mapping[str, object] = {}
        if args and isinstance(args[-1], dict):
            extra = cast("dict[str, object]", args[-1])
            args = args[:-1]
        indent = "  " * self.indent
        lines = [f"{indent}{' '.join(map(str, args))} [{':'.join(tags)}]\n"]
        lines.extend(f"{indent}    {name}: {value}\n" for name, value in extra.items())
        return "".join(lines)

    def _processmessage(self, tags: tuple[str, ...], args: tuple[object, ...]) -> None:
        if self._writer is not None and args:
            self._writer(self._format_message(tags, args))
        processor = self._tags2proc.get(tags)
        if processor is not None:
            processor(tags, args)

    def setwriter(self, writer: _Writer | None) -> None:
        """Where formatted messages go (None: nowhere)."""
        self._writer = writer

    def setprocessor(self, tags: str | tuple[str, ...], processor: _Processor) -> None:
        """Call ``processor(tags, args)`` for messages with exactly these tags."""
        key = tuple(tags.split(":")) if isinstance(tags, str) else tags
        self._tags2proc[key] = processor


class TagTracerSub:
    """A tracer for one tag path."""

    def __init__(self, root: TagTracer, tags: tuple[str, ...]) -> None:
        self.root = root
        self.tags = tags

    def __call__(self, *args: object) -> None:
        self.root._processmessage(self.tags, args)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage]

    def get(self, name: str) -> TagTracerSub:
        """A sub-tracer for one more tag."""
        return self.__class__(self.root, (*self.tags, name))
