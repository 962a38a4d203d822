"""What ``hookwise inspect`` and ``hookwise explain`` show: a manager's hooks and plugins, as data and text."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, cast

from hookwise._discovery import load_entry_points, naming_advice
from hookwise._manager import HookManager
from hookwise._text import shown, told
from hookwise.exceptions import TargetError


def import_target(target: str) -> object:
    """What a ``module:attribute`` target names (the attribute may be dotted); the current directory is
    importable, as for ``python -m``.

    Raises:
        TargetError: the target is malformed, its module cannot be imported, or has no such attribute.
    """
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        msg = f"target {target!r} must be module:attribute, such as myapp.hooks:manager"
        raise TargetError(msg)
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        obj: Any = importlib.import_module(module_name)
    except (Exception, SystemExit) as error:
        msg = f"target {target!r}: cannot import module {module_name!r}: {type(error).__name__}: {told(error)}"
        raise TargetError(msg) from error
    for part in attribute.split("."):
        if not hasattr(obj, part):
            msg = f"target {target!r}: {obj.__name__ if hasattr(obj, '__name__') else obj!r} has no attribute {part!r}"
            raise TargetError(msg)
        obj = getattr(obj, part)
    return obj


def call_target(target: str, obj: object, *, what: str = "calling", of: object = None) -> object:
    """``obj()``, with an exception it raises told as a :class:`TargetError` naming the target and ``of``
    (what was called, by default ``obj``)."""
    try:
        return cast("Any", obj)()
    except (Exception, SystemExit) as error:
        called = obj if of is None else of
        name: object = getattr(called, "__qualname__", None)
        module: object = getattr(called, "__module__", "?")
        shown_obj = f"{module}.{name}" if isinstance(name, str) else shown(called, 60)
        msg = f"target {target!r}: {what} {shown_obj} raised {type(error).__name__}: {told(error)}"
        raise TargetError(msg) from error


def resolve_target(target: str, *, entry_points: str | None = None) -> HookManager[Any]:
    """The manager a ``module:attribute`` target names.

    The attribute may be a :class:`HookManager`, a function returning one, or a
    spec class (a fresh manager is made for it). With ``entry_points``, the
    plugins of that entry-point group are registered on it.

    Raises:
        TargetError: the target is malformed, cannot be imported, or names
            something else.
    """
    obj = import_target(target)
    candidate: object = obj
    if isinstance(obj, type):
        candidate = call_target(target, lambda: HookManager[Any](obj), what="making a manager for", of=obj)
    elif callable(obj) and not isinstance(obj, HookManager):
        candidate = call_target(target, obj)
    manager = _as_manager(candidate)
    if manager is None:
        msg = (
            f"target {target!r} is {shown(candidate, 60)} (type {type(candidate).__name__}), not a HookManager, "
            "a function returning one, "
            "or a spec class"
        )
        raise TargetError(msg)
    if entry_points:
        load_entry_points(manager, entry_points)
    return manager


def _as_manager(obj: object) -> HookManager[Any] | None:
    if isinstance(obj, HookManager):
        manager: HookManager[Any] = obj  # pyright: ignore[reportUnknownVariableType]
        return manager
    return None


def describe(manager: HookManager[Any]) -> dict[str, Any]:
    """The hooks (with implementations in effective order), plugins and blocked names of a manager."""
    hooks: list[dict[str, Any]] = []
    for name in manager.hook_names:
        caller = manager.hook(name)
        spec = caller.spec
        impls: list[dict[str, Any]] = []
        for position, impl in enumerate(caller.implementations, start=1):
            impls.append(
                {
                    "position": position,
                    "plugin": impl.plugin_name,
                    "function": impl.qualname,
                    "source": manager.plugin_info(impl.plugin_name).source,
                    "priority": impl.priority,
                    "tryfirst": impl.tryfirst,
                    "trylast": impl.trylast,
                    "wrapper": impl.wrapper,
                    "before": list(impl.before),
                    "after": list(impl.after),
                }
            )
        hooks.append(
            {
                "name": name,
                "signature": spec.signature_text(),
                "kind": spec.kind,
                "policy": spec.policy,
                "historic": spec.historic,
                "doc": spec.doc,
                "implementations": impls,
            }
        )
    plugins = [
        {"name": name, "source": manager.plugin_info(name).source, "hooks": manager.plugin_hooks(name)}
        for name in manager.plugins
    ]
    return {
        "order": manager.order,
        "hooks": hooks,
        "plugins": plugins,
        "blocked": manager.blocked,
        "advice": naming_advice(manager.hook_names),
    }


def _flags(impl: dict[str, Any]) -> str:
    flags = [f"priority {impl['priority']}"]
    flags += [flag for flag in ("tryfirst", "trylast", "wrapper") if impl[flag]]
    flags += [f"before={', '.join(impl['before'])}"] if impl["before"] else []
    flags += [f"after={', '.join(impl['after'])}"] if impl["after"] else []
    return ", ".join(flags)


def render(description: dict[str, Any]) -> str:
    """``describe()``'s data as text."""
    counts = f"{len(description['hooks'])} hooks, {len(description['plugins'])} plugins"
    lines = [f"{counts} ({description['order'].upper()} order)"]
    for hook in description["hooks"]:
        extra = ", historic" if hook["historic"] else ""
        lines.append(f"\n{hook['signature']}  [{hook['kind']}, policy {hook['policy']}{extra}]")
        if hook["doc"]:
            lines.append(f"    {hook['doc'].splitlines()[0]}")
        if not hook["implementations"]:
            lines.append("    (no implementations)")
        for impl in hook["implementations"]:
            lines.append(f"  {impl['position']}. {impl['plugin']} ({impl['function']}): {_flags(impl)}")
            lines.append(f"       from {impl['source']}")
    lines.append("\nplugins:")
    lines.extend(f"  {p['name']}: {p['source']}" for p in description["plugins"])
    if not description["plugins"]:
        lines.append("  (none)")
    lines.append(f"blocked: {', '.join(description['blocked']) or '(none)'}")
    if description["advice"]:
        lines.append("\nnaming advice (Kedro's convention; not enforced):")
        lines.extend(f"  {line}" for line in description["advice"])
    return "\n".join(lines)
