"""pluggy's warnings."""

from __future__ import annotations

from typing import final


class PluggyWarning(UserWarning):
    """Base class for all warnings emitted by pluggy."""


@final
class PluggyTeardownRaisedWarning(PluggyWarning):
    """A plugin raised an exception during an old-style hookwrapper teardown."""
