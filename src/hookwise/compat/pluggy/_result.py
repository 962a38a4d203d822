"""The outcome of hook calls, as old-style hookwrappers and monitors see it; pluggy's call error."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar, final

from hookwise._guardrails import hidden_from_pytest

__tracebackhide__ = hidden_from_pytest  # pytest shows users their own frames, not the call path's

ResultType = TypeVar("ResultType")

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class HookCallError(Exception):
    """Hook was called incorrectly."""


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
            return self._result  # type: ignore[return-value]  # pyright: ignore[reportReturnType] - None only with an exception
        raise self._exception.with_traceback(self._traceback)
