"""Compatibility layers: other hook libraries' APIs on the hookwise engine (``hookwise.compat.pluggy``)."""
