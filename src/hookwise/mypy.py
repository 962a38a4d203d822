"""A mypy plugin that names the hook in the errors of typed hook calls.

Without it, mypy reports a wrong call of ``manager.call.compute(...)`` against
the protocol that types every hook call::

    error: Unexpected keyword argument "c" for "__call__" of "HookCall"

With it, as it would for a method of the spec class::

    error: Unexpected keyword argument "c" for "compute" of "Specs"

Enable it in the mypy configuration (it needs nothing at run time)::

    [tool.mypy]
    plugins = ["hookwise.mypy"]

pyright has no plugins, and needs none here: its messages do not name the
protocol (``No parameter named "c"``).
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import CallExpr, MemberExpr
from mypy.plugin import MethodSigContext, Plugin
from mypy.types import CallableType, Instance, get_proper_type

_CALLS = {"hookwise._spec.HookCall.__call__": "", "hookwise._spec.HookCall.acall": ".acall"}


class HookNamesPlugin(Plugin):
    """Gives the signatures of ``manager.call.<hook>(...)`` and ``.acall(...)`` the hook's name."""

    def get_method_signature_hook(self, fullname: str) -> Callable[[MethodSigContext], CallableType] | None:
        """Name the signature of a typed hook call after its hook."""
        suffix = _CALLS.get(fullname)
        if suffix is None:
            return None

        def named(ctx: MethodSigContext) -> CallableType:
            return _named(ctx, suffix)

        return named


def _named(ctx: MethodSigContext, suffix: str) -> CallableType:
    callee = ctx.context.callee if isinstance(ctx.context, CallExpr) else None
    if suffix and isinstance(callee, MemberExpr):  # manager.call.<hook>.acall(...)
        callee = callee.expr
    if not isinstance(callee, MemberExpr):  # a hook call held in a variable: nothing names it
        return ctx.default_signature
    owner = get_proper_type(ctx.api.get_expression_type(callee.expr))
    where = owner.type.name if isinstance(owner, Instance) else "hooks"
    # No definition: mypy would point at hookwise's protocol, not at the spec the user wrote.
    signature: CallableType = ctx.default_signature.copy_modified(  # pyright: ignore[reportUnknownMemberType]
        name=f"{callee.name}{suffix} of {where}", definition=None
    )
    return signature


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point for the plugin."""
    del version  # works with the mypy versions hookwise is checked with (1.11 and later)
    return HookNamesPlugin
