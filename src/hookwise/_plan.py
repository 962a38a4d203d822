"""What a caller is made from: a :class:`CallPlan`, and the :class:`Dialect` a face speaks.

A plan holds one hook's spec, its implementations in effective order, its
wrappers (outermost first), the instrumentation the hook has, and which
shape of call is wanted (sync or awaited, with provenance or not). Both ways
of running a plan read it and nothing else: the code generator
(``_codegen.py``) and the reference interpreter (``_interpreter.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, final

from hookwise._impl import HookImpl
from hookwise._spec import HookSpec

if TYPE_CHECKING:
    from hookwise._instrumentation import Instrumentation

WrapperError = Callable[[HookImpl, Any, str], BaseException]
"""Builds the error for a wrapper that did not yield, or yielded twice: ``(wrapper, generator, problem)``."""


@final
class Dialect:
    """How a face's calls differ from hookwise's own; the engine's one switch for faces.

    Attributes:
        name: the dialect's name (``"hookwise"``, ``"pluggy"``).
        accepts_unknown: a call may pass keyword arguments the spec does not
            declare, which are ignored (pluggy lets calls pass more than
            implementations take).
        notes: an implementation's exception gets a note naming its plugin and hook.
        wrapper_error: builds the error for a misbehaving wrapper; ``None``
            for hookwise's ``HookResultError``.
        checks_outcomes: what a wrapper of an intercept or collect hook leaves
            must be a ``DispatchResult`` or a list, and a wrapper's fault goes
            through the hook's error policy (hookwise's rule; pluggy has none).
    """

    __slots__ = ("accepts_unknown", "checks_outcomes", "name", "notes", "wrapper_error")

    def __init__(
        self,
        name: str,
        *,
        accepts_unknown: bool = False,
        notes: bool = True,
        wrapper_error: WrapperError | None = None,
        checks_outcomes: bool = True,
    ) -> None:
        self.name: str = name
        self.accepts_unknown: bool = accepts_unknown
        self.notes: bool = notes
        self.wrapper_error: WrapperError | None = wrapper_error
        self.checks_outcomes: bool = checks_outcomes

    def __repr__(self) -> str:
        return f"<Dialect {self.name}>"


HOOKWISE: Final = Dialect("hookwise")
"""hookwise's own dialect."""


@final
class CallPlan:
    """Everything one caller of one hook is built from.

    Attributes:
        spec: the hook's spec.
        impls: the plain implementations, in effective order.
        wrappers: the wrappers, outermost first.
        instrumentation: what the hook is instrumented with, or ``None``.
        is_async: an awaited caller (``async def``).
        provenance: the caller takes a ``_hw_prov`` list and records who returned what.
        dialect: the face's dialect.
    """

    __slots__ = (
        "dialect",
        "impls",
        "instrumentation",
        "is_async",
        "provenance",
        "simple",
        "spec",
        "wrapper_names",
        "wrappers",
    )

    def __init__(
        self,
        spec: HookSpec[..., Any],
        impls: tuple[HookImpl, ...],
        wrappers: tuple[HookImpl, ...] = (),
        *,
        instrumentation: Instrumentation | None = None,
        is_async: bool = False,
        provenance: bool = False,
        dialect: Dialect = HOOKWISE,
    ) -> None:
        self.spec = spec
        self.impls = impls
        self.wrappers = wrappers
        self.wrapper_names: tuple[str, ...] = tuple(wrapper.plugin_name for wrapper in wrappers)
        """The wrappers' plugins, outermost first (what monitors are told at each call's start)."""
        self.instrumentation = instrumentation
        self.is_async = is_async
        self.provenance = provenance
        self.dialect = dialect
        self.simple = (
            instrumentation is None
            and not provenance
            and not wrappers
            and spec.policy == "raise"
            and spec.kind != "intercept"
            and all(impl.style == "named" and not impl.kwonly for impl in impls)
        )
        """Nothing but the implementations' results to handle: no instrumentation, provenance, wrappers,
        intercept answers or other error policy (the interpreter runs such a plan in its tightest loop)."""

    @property
    def async_impls(self) -> list[HookImpl]:
        """The async implementations and wrappers, which only an awaited call can run."""
        return [impl for impl in (*self.impls, *self.wrappers) if impl.is_async]

    @property
    def concurrent(self) -> bool:
        """Whether the implementations are awaited together (a concurrent hook, awaited)."""
        return self.is_async and self.spec.concurrent

    def __repr__(self) -> str:
        shape = ("async " if self.is_async else "") + ("provenance " if self.provenance else "")
        return (
            f"<CallPlan {shape}{self.spec.name} impls={len(self.impls)} wrappers={len(self.wrappers)} "
            f"instrumented={self.instrumentation is not None} dialect={self.dialect.name}>"
        )
