"""pluggy's tag tracer: ``pm.trace``, and what ``enable_tracing`` writes to."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from hookwise.compat.pluggy._result import Result

_Writer = Callable[[str], object]
_Processor = Callable[[tuple[str, ...], tuple[Any, ...]], object]
_Before = Callable[[str, Sequence[Any], Mapping[str, object]], None]
_After = Callable[["Result[Any]", str, Sequence[Any], Mapping[str, object]], None]


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

    def hook_monitor(self) -> tuple[_Before, _After]:
        """``enable_tracing``'s ``before`` and ``after``: each call indents, and is written under ``hook``.

        A message nothing would receive (no writer, no processor of ``hook``)
        is not formed at all: tracing costs little until someone listens.
        """
        hooktrace = self.get("hook")
        tags = hooktrace.tags

        def before(hook_name: str, methods: Sequence[object], kwargs: Mapping[str, object]) -> None:  # noqa: ARG001
            self.indent += 1
            if self._writer is not None or tags in self._tags2proc:
                hooktrace(hook_name, kwargs)

        def after(
            outcome: Result[Any],
            hook_name: str,
            methods: Sequence[object],  # noqa: ARG001 - pluggy's monitor signature
            kwargs: Mapping[str, object],  # noqa: ARG001
        ) -> None:
            if (self._writer is not None or tags in self._tags2proc) and outcome.exception is None:
                hooktrace("finish", hook_name, "-->", outcome.get_result())
            self.indent -= 1

        return before, after

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
