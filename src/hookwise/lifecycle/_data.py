"""The data dict hooks share for one version, and its rules (Hatchling's build data).

Always present:

- ``artifacts``: ``list[str]``, append-only: a hook may add patterns, never
  remove or replace what another hook added;
- ``force_include``: ``dict[str, str]``;
- ``build_hooks``: the names of the hooks, in run order, as a tuple no hook may replace.

Hosts declare further fields per target (:class:`Field`); hooks may add their
own to talk to each other. Field names use underscores. The data is
checked after each hook, and a violation names the hook, the stage, the field,
and what was expected against what was found.
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, NoReturn, cast, final

from hookwise._text import cut, shown
from hookwise.exceptions import BuildDataError

RESERVED: Final = ("artifacts", "force_include", "build_hooks")


@final
class Field:
    """A build data field a host declares: its type and default (copied for every version).

    Example::

        runner = LifecycleRunner("mytool", root, fields={"wheel": {"pure_python": Field(bool, True)}})
    """

    __slots__ = ("default", "description", "type")

    type: builtins.type | tuple[builtins.type, ...]

    def __init__(
        self,
        type: builtins.type | tuple[builtins.type, ...],  # noqa: A002 - reads best
        default: Any,
        description: str = "",
    ) -> None:
        self.type = type
        self.default: Any = default
        self.description: str = description


_GONE: Final = object()
_JSON_SCALARS: Final = (str, int, float, bool, type(None))


def _not_json(value: object, name: str) -> str | None:
    """Why a field a hook added is not JSON data (str, numbers, bools, None, lists and str-keyed dicts), or None."""
    work: list[tuple[object, str, int]] = [(value, name, 0)]
    while work:
        item, path, depth = work.pop()
        if isinstance(item, _JSON_SCALARS):
            continue
        if depth >= 64:
            return f"nests deeper than 64 levels at {cut(path, 60)}"
        if isinstance(item, list | tuple):
            work.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(cast("Sequence[object]", item)))
        elif isinstance(item, dict):
            for key, child in cast("dict[object, object]", item).items():
                if not isinstance(key, str):
                    return f"holds the key {shown(key, 40)} at {cut(path, 60)}; keys of build data are str"
                work.append((child, f"{path}[{key!r}]", depth + 1))
        else:
            return (
                f"holds {shown(item, 60)} ({type(item).__name__}) at {cut(path, 60)}; fields hooks add hold JSON "
                "data (str, int, float, bool, None, lists and str-keyed dicts), so that hosts and `hookwise run "
                "--json` can read them"
            )
    return None


def _type_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " | ".join(k.__name__ for k in kind)
    return kind.__name__


@final
class Snapshot:
    """What the data held before a hook ran: enough to tell what it changed."""

    __slots__ = ("artifacts", "keys")

    def __init__(self, data: Mapping[str, Any]) -> None:
        artifacts: object = data.get("artifacts")
        # pyright narrows to list[Unknown], mypy to list[Any]: the cast is for pyright
        self.artifacts: list[Any] = list(cast("list[Any]", artifacts)) if isinstance(artifacts, list) else []  # type: ignore[redundant-cast]
        self.keys = set(data)


@final
class DataRules:
    """Creates each version's data and checks it after every hook."""

    __slots__ = ("build_hooks", "fields", "finished")

    def __init__(self, build_hooks: tuple[str, ...], fields: Mapping[str, Field]) -> None:
        self.build_hooks = build_hooks
        self.fields = dict(fields)
        self.finished: list[tuple[str, Mapping[str, Any], dict[str, Any]]] = []  # (version, its data, a copy)

    def finish(self, version: str, data: Mapping[str, Any]) -> None:
        """``version``'s run ended: from now on no hook may change its data (see :meth:`check_finished`)."""
        self.finished.append((version, data, copy.deepcopy(dict(data))))

    def check_finished(self, *, hook: str, stage: str) -> None:
        """Raise :class:`BuildDataError` if ``hook`` changed the data of a version whose run ended."""
        for version, data, kept in self.finished:
            if dict(data) != kept:
                changed = sorted(str(key) for key in {*data, *kept} if data.get(key, _GONE) != kept.get(key, _GONE))
                field = changed[0] if changed else "?"
                msg = (
                    f"hook {hook!r} in {stage}: build data field {field!r} of version {version!r} changed after that "
                    f"version's run ended (from {shown(kept.get(field))} to {shown(data.get(field))}); "
                    "a finished version's data is final"
                )
                raise BuildDataError(msg, hook=hook, stage=stage, field=field)

    def fresh(self) -> dict[str, Any]:
        """A new data dict: the reserved fields, then the host's fields with their defaults."""
        data: dict[str, Any] = {"artifacts": [], "force_include": {}, "build_hooks": self.build_hooks}
        for name, field in self.fields.items():
            data[name] = copy.deepcopy(field.default)
        return data

    def check(self, data: Mapping[str, Any], before: Snapshot, *, hook: str, stage: str) -> None:
        """Raise :class:`BuildDataError` if ``hook`` broke a rule during ``stage``."""

        def fail(field: object, problem: str) -> NoReturn:
            msg = f"hook {hook!r} in {stage}: build data field {shown(field, 60)} {problem}"
            raise BuildDataError(msg, hook=hook, stage=stage, field=str(field))

        for key in cast("Mapping[object, object]", data):  # hooks may put any key in the dict
            if not isinstance(key, str):
                fail(key, f"is a {type(key).__name__}; build data field names are str")

        for name in RESERVED:
            if name not in data:
                fail(name, "was removed; expected it to stay (it is always present)")
        if data["build_hooks"] is not self.build_hooks:
            fail(
                "build_hooks",
                f"was replaced: expected the run's hook order {self.build_hooks!r}, found {data['build_hooks']!r}; "
                "it cannot be changed",
            )
        self._check_artifacts(data["artifacts"], before, fail)
        force_include = data["force_include"]
        if not isinstance(force_include, dict) or not all(
            isinstance(k, str) and isinstance(v, str)
            for k, v in force_include.items()  # pyright: ignore[reportUnknownVariableType]
        ):
            fail("force_include", f"must map str paths to str paths; found {force_include!r}")
        for name, field in self.fields.items():
            value = data.get(name)
            if name not in data:
                fail(name, f"was removed; expected a {_type_name(field.type)}")
            if not isinstance(value, field.type):
                fail(name, f"must be a {_type_name(field.type)}; found {value!r} ({type(value).__name__})")
        for name in set(data) - before.keys:
            if "-" in name:
                suggestion = name.replace("-", "_")
                fail(name, f"was added, but build data field names use underscores: {suggestion!r}")
        for name, value in data.items():
            if name not in RESERVED and name not in self.fields:
                problem = _not_json(value, name)
                if problem is not None:
                    fail(name, problem)
        self.check_finished(hook=hook, stage=stage)

    @staticmethod
    def _check_artifacts(artifacts: object, before: Snapshot, fail: Callable[[str, str], NoReturn]) -> None:
        if not isinstance(artifacts, list):
            fail("artifacts", f"must be a list of str patterns; found {artifacts!r}")
        patterns: list[object] = artifacts  # pyright: ignore[reportUnknownVariableType]
        if patterns[: len(before.artifacts)] != before.artifacts:
            fail(
                "artifacts",
                f"lost entries other hooks added: expected it to start with {before.artifacts!r}, found {patterns!r}; "
                "artifacts are append-only",
            )
        for index, pattern in enumerate(patterns):
            if not isinstance(pattern, str):
                found = f"{pattern!r} ({type(pattern).__name__})"
                fail("artifacts", f"entry {index} is {found}; expected a str pattern")
