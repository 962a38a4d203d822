"""Hooks around a host's command line, as Kedro's CLI hooks.

Plugins implement ``before_command_run(project_metadata, command_args)`` and
``after_command_run(project_metadata, command_args, exit_code)``; the host runs
its commands through :func:`run_command`, :func:`argparse_main` or
:func:`click_main` (click is optional: only :func:`click_main` needs it).

Example::

    hooks = HookManager(CLIHooks)
    hooks.register(Telemetry())
    main = argparse_main(hooks, parser, handler, project_metadata={"name": "demo"})
    raise SystemExit(main())
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hookwise._manager import HookManager
from hookwise._spec import hookspec

__all__ = ["CLIHooks", "argparse_main", "click_main", "run_command"]


class CLIHooks:
    """The hook specs of a command line: one call before each command, one after."""

    @hookspec(kind="observe")
    def before_command_run(self, project_metadata: Mapping[str, Any], command_args: list[str]) -> None:
        """Before a command runs, with its arguments (without the program name)."""

    @hookspec(kind="observe")
    def after_command_run(self, project_metadata: Mapping[str, Any], command_args: list[str], exit_code: int) -> None:
        """After a command ran (or failed), with its exit code."""


def _exit_code(error: SystemExit) -> int:
    code = error.code
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def run_command(
    manager: HookManager[Any],
    project_metadata: Mapping[str, Any],
    command_args: Sequence[str],
    command: Callable[[], int | None],
) -> int:
    """Run ``command`` between the CLI hooks and return its exit code.

    ``command`` returns an exit code (``None`` counts as 0) or raises
    ``SystemExit``; any other exception counts as exit code 1 for
    ``after_command_run`` and then propagates. The manager gets the
    :class:`CLIHooks` specs if it lacks them.
    """
    calls = manager.add_specs(CLIHooks)
    args = list(command_args)
    calls.before_command_run(project_metadata=project_metadata, command_args=args)
    try:
        code = command() or 0
    except SystemExit as error:
        code = _exit_code(error)
    except BaseException:
        calls.after_command_run(project_metadata=project_metadata, command_args=args, exit_code=1)
        raise
    calls.after_command_run(project_metadata=project_metadata, command_args=args, exit_code=code)
    return code


def argparse_main(
    manager: HookManager[Any],
    parser: argparse.ArgumentParser,
    handler: Callable[[argparse.Namespace], int | None],
    project_metadata: Mapping[str, Any],
) -> Callable[[Sequence[str] | None], int]:
    """A ``main(argv=None) -> int`` for an argparse host, with the CLI hooks around each run.

    A usage error (argparse exits with 2) still reaches ``after_command_run``.
    """

    def main(argv: Sequence[str] | None = None) -> int:
        args = list(sys.argv[1:] if argv is None else argv)
        return run_command(manager, project_metadata, args, lambda: handler(parser.parse_args(args)))

    return main


def click_main(
    manager: HookManager[Any], command: Any, project_metadata: Mapping[str, Any]
) -> Callable[[Sequence[str] | None], int]:
    """A ``main(argv=None) -> int`` for a click command or group, with the CLI hooks around each run.

    Raises:
        ImportError: click is not installed.
    """
    try:
        import click
    except ImportError as error:  # pragma: no cover - click is installed for the tests
        msg = "click_main needs click, which is not installed: pip install click"
        raise ImportError(msg) from error

    def main(argv: Sequence[str] | None = None) -> int:
        args = list(sys.argv[1:] if argv is None else argv)

        def invoke() -> int:
            try:
                result = command.main(args=args, standalone_mode=False)
            except click.exceptions.Exit as error:
                return int(error.exit_code)
            except click.ClickException as error:
                error.show()
                return error.exit_code
            return result if isinstance(result, int) else 0

        return run_command(manager, project_metadata, args, invoke)

    return main
