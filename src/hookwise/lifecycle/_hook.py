"""The lifecycle hook base class: Hatchling's build hook, for any host."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol


class App(Protocol):
    """The host's channel for messages to its user (a ``logging.Logger`` fits)."""

    def info(self, msg: str, *args: object) -> None: ...

    def warning(self, msg: str, *args: object) -> None: ...

    def error(self, msg: str, *args: object) -> None: ...


class LifecycleHook:
    """Base class of lifecycle hooks: ``clean``, ``initialize`` and ``finalize`` around an operation.

    A runner makes one instance per run, for each enabled hook, and calls it
    for every version the operation produces, with one shared data dict per
    version (Hatchling's build hooks)::

        class GenerateHook(LifecycleHook):
            PLUGIN_NAME = "generate"

            def initialize(self, version: str, build_data: dict[str, Any]) -> None:
                build_data["artifacts"].append("generated/*.py")

    Methods are called positionally (they are positional-only here), so
    overrides may name their parameters as Hatchling does (``build_data``) or
    otherwise. The defaults do nothing.
    """

    PLUGIN_NAME: ClassVar[str] = ""
    """The name configuration tables and environment variables use for this hook."""

    def __init__(
        self,
        root: str,
        config: Mapping[str, Any],
        target_name: str,
        directory: str,
        metadata: Mapping[str, Any] | None = None,
        app: App | None = None,
        *,
        name: str = "",
    ) -> None:
        self.__name = name or self.PLUGIN_NAME
        self.__root = root
        self.__config = config
        self.__target_name = target_name
        self.__directory = directory
        self.__metadata: Mapping[str, Any] = metadata or {}
        self.__app = app

    @property
    def name(self) -> str:
        """The name the hook runs under: its configuration table's name (``PLUGIN_NAME`` by default)."""
        return self.__name

    @property
    def root(self) -> str:
        """The root of the project tree."""
        return self.__root

    @property
    def config(self) -> Mapping[str, Any]:
        """The hook's configuration: its global table, with its target table merged over it key by key."""
        return self.__config

    @property
    def target_name(self) -> str:
        """The target being produced (``"wheel"``, ``"sdist"``, ...)."""
        return self.__target_name

    @property
    def directory(self) -> str:
        """Where the operation writes its artifacts."""
        return self.__directory

    @property
    def metadata(self) -> Mapping[str, Any]:
        """What the host tells hooks about the project (name, version, ...)."""
        return self.__metadata

    @property
    def app(self) -> App:
        """The host's channel for user-facing messages; by default the ``hookwise`` logger."""
        if self.__app is None:
            import logging

            self.__app = logging.getLogger("hookwise")
        return self.__app

    def clean(self, versions: list[str], /) -> None:
        """Remove what earlier runs left, before building (when asked to clean)."""

    def initialize(self, version: str, data: dict[str, Any], /) -> None:
        """Before the operation produces ``version``; changes to ``data`` are seen by later hooks and the operation."""

    def finalize(self, version: str, data: dict[str, Any], artifact_path: str, /) -> None:
        """After the operation produced ``artifact_path``; not called in hooks-only runs."""

    def dependencies(self) -> list[str]:
        """Requirements the hook needs installed, as PEP 508 strings (added to its configured ``dependencies``)."""
        return []
