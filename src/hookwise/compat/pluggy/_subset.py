"""pluggy's ``subset_hook_caller``: a hook caller that calls every implementation but some plugins' (``_hooks.py``).

It keeps an engine of its own (derived from its original's), mirrors its
original's implementations whenever they changed, and keeps the compat
layer's ``__call__`` (it checks its original's version on every call).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, ClassVar

from hookwise._guardrails import hidden_from_pytest
from hookwise.compat.pluggy._hooks import HookCaller, HookImpl

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's


class SubsetHookCaller(HookCaller):
    """A proxy to another HookCaller that calls every implementation except the given plugins'."""

    __slots__ = ("_orig", "_remove_plugins", "_seen")  # _seen: the original's version this proxy mirrors
    _fronts: ClassVar[bool] = False  # a proxy checks its original's version on every call

    def __init__(self, orig: HookCaller, remove_plugins: AbstractSet[object]) -> None:
        engine = orig._engine_now()  # noqa: SLF001 - a proxy of its own class
        super().__init__(
            orig.name,
            orig._hookexec,  # noqa: SLF001 - a proxy of its own class
            engine=engine.derive() if engine is not None else None,
            route=orig._route,  # noqa: SLF001 - a proxy of its own class
        )
        self._orig = orig
        self._remove_plugins = remove_plugins
        self._seen = -1
        self.spec = orig.spec
        self._call_history = orig._call_history  # noqa: SLF001 - a proxy of its own class

    def _sync(self) -> None:
        orig = self._orig
        if self._seen != orig._version:  # noqa: SLF001 - a proxy of its own class
            impls = [impl for impl in orig._hookimpls if impl.plugin not in self._remove_plugins]  # noqa: SLF001 - a proxy of its own class
            self._hookimpls = impls
            self._wrappers = sum(bool(impl.wrapper or impl.hookwrapper) for impl in impls)
            self.spec = orig.spec
            self._call_history = orig._call_history  # noqa: SLF001 - a proxy of its own class
            self._seen = orig._version  # noqa: SLF001 - a proxy of its own class
            self._changed()

    def __call__(self, **kwargs: object) -> Any:
        """Call the hook, leaving out the removed plugins' implementations."""
        self._sync()
        return super().__call__(**kwargs)

    def call_historic(
        self, result_callback: Callable[[Any], None] | None = None, kwargs: Mapping[str, object] | None = None
    ) -> None:
        """Call the hook for the registered plugins but the removed ones, and remember the call."""
        self._sync()
        super().call_historic(result_callback, kwargs)

    def call_extra(self, methods: Sequence[Callable[..., object]], kwargs: Mapping[str, object]) -> Any:
        """:meth:`HookCaller.call_extra`, leaving out the removed plugins' implementations."""
        self._sync()
        return super().call_extra(methods, kwargs)

    def get_hookimpls(self) -> list[HookImpl]:
        """The original's implementations, without the removed plugins'."""
        self._sync()
        return super().get_hookimpls()

    def __repr__(self) -> str:
        return f"<_SubsetHookCaller {self.name!r}>"
