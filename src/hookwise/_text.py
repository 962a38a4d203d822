"""Text for messages: suggestions, and user values shown briefly and safely.

Whatever a plugin returns or a caller passes can end up in a message, a
trace or a timeline. Such values are shown through :func:`shown`: their
``repr`` (or a description when the ``repr`` itself raises), cut to
:data:`LIMIT` characters, so a 10 MB reason never becomes a 10 MB message.
Text that goes to a terminal or a log line goes through :func:`printable`,
which escapes newlines and other control characters, so a plugin name or a
reason cannot forge log lines or move a cursor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

LIMIT: Final = 200
"""How many characters of one user value a message shows."""

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest known name, or nothing."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def cut(text: str, limit: int = LIMIT) -> str:
    """``text``, or its first ``limit`` characters and how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def shown(value: object, limit: int = LIMIT) -> str:
    """``repr(value)``, cut to ``limit`` characters; a description when the ``repr`` raises."""
    try:
        text = repr(value)
    except Exception as error:  # noqa: BLE001 - a hostile repr must not break a message
        text = f"<{type(value).__name__} object; its repr raised {type(error).__name__}>"
    return cut(text, limit)


def told(value: object, limit: int = LIMIT) -> str:
    """``str(value)``, cut to ``limit`` characters; a description when the ``str`` raises."""
    if isinstance(value, str):  # a subclass's own __str__ (which formatting would call) is not trusted either
        return cut(value if value.__class__ is str else str.__str__(value), limit)
    try:
        text = str(value)
    except Exception as error:  # noqa: BLE001 - a hostile str must not break a message
        text = f"<{type(value).__name__} object; its str raised {type(error).__name__}>"
    return cut(text, limit)


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``, ...), for terminals and log lines."""
    if text.isprintable():
        return text
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)
