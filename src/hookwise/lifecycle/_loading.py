"""Loading a hook class from a file inside the project."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import cast

from hookwise._text import shown, told
from hookwise.exceptions import LifecycleConfigError
from hookwise.lifecycle._hook import LifecycleHook

_LONGEST = 1024
"""The longest hook file path taken (beyond any file system's, and any real project's)."""


def resolve_hook_file(root: Path, path: str, hook: str) -> Path:
    """The hook file ``path`` names, which must lie inside ``root``.

    Raises:
        LifecycleConfigError: the path is absolute, leaves the root (``..`` or a
            symlink), or names no file (the message says where it looked).
    """
    where = f"hook {hook!r}: path {shown(path, 80)}"
    if "\x00" in path or len(path) > _LONGEST:
        problem = "contains a NUL character" if "\x00" in path else f"is {len(path)} characters long"
        msg = f"{where} {problem}; give the path of a hook file inside the project"
        raise LifecycleConfigError(msg, source=shown(path, 80), hook=hook)
    if Path(path).is_absolute():
        msg = f"{where} is absolute; hook files are given relative to the project root {root}"
        raise LifecycleConfigError(msg, source=path, hook=hook)
    candidate = root / path
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError) as error:  # a loop of symlinks, a name the system refuses
        msg = f"{where}: cannot resolve it: {error}"
        raise LifecycleConfigError(msg, source=shown(path, 80), hook=hook) from error
    if not resolved.is_relative_to(root.resolve()):
        how = "through a symlink" if ".." not in Path(path).parts else "with '..'"
        msg = f"{where} leaves the project root {root} ({how}, to {resolved}); hook files must be inside the project"
        raise LifecycleConfigError(msg, source=path, hook=hook)
    if not resolved.is_file():
        msg = f"{where}: no such file; looked for {candidate}"
        raise LifecycleConfigError(msg, source=path, hook=hook)
    return resolved


def load_hook_class(file: Path, hook: str) -> type[LifecycleHook]:
    """The hook class a hook file provides.

    It is what a ``get_hook()`` function in the file returns, else the one
    ``LifecycleHook`` subclass the file defines; classes imported into the
    file do not count.

    Raises:
        LifecycleConfigError: the file fails to import, defines no hook class or
            several, or ``get_hook()`` returns something else.
    """
    module_name = f"_hookwise_hook_{hook.replace('-', '_').replace('.', '_')}_{abs(hash(str(file)))}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a loader
        msg = f"hook {hook!r}: cannot load {file}"
        raise LifecycleConfigError(msg, source=str(file), hook=hook)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        del sys.modules[module_name]
        what = f"called sys.exit({shown(error.code, 40)})" if isinstance(error, SystemExit) else "failed"
        msg = f"hook {hook!r}: importing {file} {what}: {type(error).__name__}: {told(error)}"
        raise LifecycleConfigError(msg, source=str(file), hook=hook) from error
    get_hook = getattr(module, "get_hook", None)
    if callable(get_hook):
        try:
            found = get_hook()
        except (Exception, SystemExit) as error:
            msg = f"hook {hook!r}: get_hook() in {file} raised {type(error).__name__}: {told(error)}"
            raise LifecycleConfigError(msg, source=str(file), hook=hook) from error
        if not (isinstance(found, type) and issubclass(found, LifecycleHook)):
            returned = cast("object", found)
            msg = f"hook {hook!r}: get_hook() in {file} returned {shown(returned, 80)}, not a LifecycleHook subclass"
            raise LifecycleConfigError(msg, source=str(file), hook=hook)
        return found
    defined = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, LifecycleHook)
        and value is not LifecycleHook
        and value.__module__ == module_name
    ]
    if not defined:
        msg = f"hook {hook!r}: {file} defines no LifecycleHook subclass (and no get_hook() function)"
        raise LifecycleConfigError(msg, source=str(file), hook=hook)
    if len(defined) > 1:
        names = ", ".join(cls.__name__ for cls in defined)
        msg = f"hook {hook!r}: {file} defines several LifecycleHook subclasses ({names}); keep one, or add get_hook()"
        raise LifecycleConfigError(msg, source=str(file), hook=hook)
    return defined[0]
