"""pluggy's markers: ``HookspecMarker`` and ``HookimplMarker``, the options they set, what a marked function
takes (``varnames``), and a marked spec (``HookSpec``).

``pluggy._hooks`` holds them in pluggy; ``hookwise.compat.pluggy._hooks``
imports them from here, so both paths name the same objects.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from typing import Any, Final, TypedDict, TypeVar, cast, final, overload

from hookwise._engine import POSITIONAL, POSITIONAL_ONLY, parameters

F = TypeVar("F", bound=Callable[..., object])


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
    tuple (they are never passed by a hook call). Read once per code object:
    pytest asks again for the same functions with every plugin manager it makes.
    """
    if inspect.isclass(func):
        func = getattr(func, "__init__", None)
        if func is None:  # pragma: no cover - every class has __init__
            return (), ()
    elif not inspect.isroutine(func) and callable(func):
        func = func.__call__
    method = inspect.ismethod(func)
    target: Any = func.__func__ if method else func  # type: ignore[attr-defined]
    code = getattr(target, "__code__", None)
    if type(target) is not types.FunctionType or code is None or hasattr(target, "__wrapped__"):
        return _varnames(target, method)
    key = (code, len(target.__defaults__ or ()), method)
    found = _VARNAMES.get(key)
    if found is None:
        found = _varnames(target, method)
        if len(_VARNAMES) < 8192:
            _VARNAMES[key] = found
    return found


_VARNAMES: dict[tuple[object, int, bool], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _varnames(target: Any, method: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        found = parameters(cast("Callable[..., Any]", target))
    except (TypeError, ValueError):  # pragma: no cover - builtins without signatures
        return (), ()
    positional = [p for p in found if p.kind in (POSITIONAL_ONLY, POSITIONAL)]
    required = tuple(p.name for p in positional if not p.has_default)
    optional = tuple(p.name for p in positional if p.has_default)
    qualname: str = getattr(target, "__qualname__", "")
    if required and (method or ("." in qualname and required[0] == "self")):
        required = required[1:]
    return required, optional


@final
class HookSpec:
    """A hook specification: where it was declared and its options."""

    __slots__ = ("argnames", "function", "kwargnames", "name", "namespace", "opts", "warn_on_impl", "warn_on_impl_args")

    def __init__(self, namespace: Any, name: str, opts: HookspecOpts) -> None:
        self.namespace: Any = namespace
        self.function: Callable[..., object] = getattr(namespace, name)
        self.name: str = name
        self.argnames: tuple[str, ...]
        self.kwargnames: tuple[str, ...]
        self.argnames, self.kwargnames = varnames(self.function)
        self.opts: HookspecOpts = opts
        self.warn_on_impl: Warning | None = opts.get("warn_on_impl")
        self.warn_on_impl_args: Mapping[str, Warning] | None = opts.get("warn_on_impl_args")
