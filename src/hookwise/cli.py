"""The ``hookwise`` command line.

- ``hookwise demo`` runs the todo application (``examples/todos``: hooks that veto, patch and allow)
  and shows what each hook handler did and the order they ran in, with reasons.
- ``hookwise inspect TARGET`` lists a manager's hooks and their implementations
  in effective order; ``hookwise explain TARGET HOOK`` gives one hook's order
  with the reason for each position. TARGET is ``module:attribute``.
- ``hookwise run --project DIR --target T`` runs a project's lifecycle hooks
  (``[tool.hookwise.hooks]``); ``hookwise inspect --project DIR`` shows them,
  per target, enabled or not and why.
- ``hookwise events worker --app module:bus`` delivers events; ``hookwise events
  status|dead|retry|show|prune|forget`` operate a bus's store (``hookwise.events._cli``).
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hookwise.exceptions import CommandError, HookwiseError

DEMO = Path("examples") / "todos" / "main.py"


def _find_demo() -> Path | None:
    """The demo script: in an installed wheel (``hookwise/_demo``), else beside an editable install's source tree."""
    import hookwise

    package = Path(hookwise.__file__).resolve().parent
    candidates = [package / "_demo" / "main.py", package.parents[1] / DEMO]
    return next((path for path in candidates if path.is_file()), None)


def _demo(args: argparse.Namespace) -> int:
    html = Path(args.html)
    if not html.parent.is_dir():
        msg = f"cannot write the timeline to {html}: {html.parent} is not a directory"
        raise CommandError(msg)
    script = _find_demo()
    if script is None:
        print(
            f"hookwise demo: cannot find the demo (hookwise/_demo in a wheel, {DEMO} in a checkout); "
            "reinstall hookwise from its wheel or a checkout",
            file=sys.stderr,
        )
        return 2
    namespace = runpy.run_path(str(script), run_name="hookwise_demo")
    code: int = namespace["main"](["--html", args.html])
    return code


def _manager(args: argparse.Namespace) -> Any:
    from hookwise._inspect import resolve_target

    return resolve_target(args.target, entry_points=args.entry_points)


def _lifecycle(args: argparse.Namespace, target: str | None = None) -> Any:
    """The runner of ``--project``, which must be a project's directory; ``target`` must be one it configures."""
    from hookwise.lifecycle import LifecycleRunner

    project = Path(args.project)
    if not project.is_dir():
        what = "is a file, not a directory" if project.exists() else "does not exist"
        msg = f"--project {project} {what}; give the directory that holds the project's pyproject.toml"
        raise CommandError(msg)
    if not (project / "pyproject.toml").is_file():
        msg = f"--project {project}: there is no pyproject.toml in it; give the directory of a project"
        raise CommandError(msg)
    runner = LifecycleRunner(args.app, project, env_prefix=args.env_prefix)
    configured = runner.targets()
    if target is not None and configured and target not in configured:
        from hookwise._text import did_you_mean

        msg = (
            f"unknown target {target!r}{did_you_mean(target, configured)}: the project configures "
            f"{', '.join(configured)} ([tool.{args.app}.targets.<name>])"
        )
        raise CommandError(msg)
    return runner


def _inspect(args: argparse.Namespace) -> int:
    from hookwise._inspect import describe, render

    if args.project is not None:
        return _inspect_project(args)
    if args.target is None:
        print("hookwise inspect: give a TARGET (module:attribute) or --project DIR", file=sys.stderr)
        return 2
    description = describe(_manager(args))
    print(json.dumps(description, indent=2) if args.json else render(description))
    return 0


def _inspect_project(args: argparse.Namespace) -> int:
    runner = _lifecycle(args, args.lifecycle_target)
    targets = [args.lifecycle_target] if args.lifecycle_target else runner.targets() or ["(any)"]
    plans = {target: [planned.as_dict() for planned in runner.plan(target)] for target in targets}
    if args.json:
        print(json.dumps({"project": str(runner.root), "app": runner.app, "targets": plans}, indent=2))
        return 0
    print(f"lifecycle hooks of {runner.root} ([tool.{runner.app}], variables {runner.env_prefix}_*)")
    for target, planned in plans.items():
        print(f"\ntarget {target}:")
        if not planned:
            print("  (no hooks)")
        for position, hook in enumerate(planned, start=1):
            state = "enabled " if hook["enabled"] else "disabled"
            where = f", {hook['path']}" if hook["path"] else ""
            print(f"  {position}. {hook['name']} [{hook['scope']}{where}] {state}: {hook['reason']}")
    return 0


def _run(args: argparse.Namespace) -> int:
    runner = _lifecycle(args, args.target)
    result = runner.run(
        args.target, versions=args.version or ["standard"], hooks_only=args.hooks_only or None, clean=args.clean
    )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return 0
    for hook, stage, version in result.calls:
        print(f"{stage:<10} {hook}  (version {version})")
    for version, data in result.as_dict()["data"].items():
        print(f"\ndata of version {version}:")
        for name, value in data.items():
            print(f"  {name} = {json.dumps(value)}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    explanation = _manager(args).explain(args.hook)
    print(explanation.to_json() if args.json else explanation)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hookwise`` command."""
    from hookwise import __version__

    parser = argparse.ArgumentParser(prog="hookwise", description="Typed, explainable, fast hooks.")
    parser.add_argument("--version", action="version", version=f"hookwise {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="run the todo application and show what its hooks did, and why in that order"
    )
    demo.add_argument("--html", default="hookwise-trace.html", help="where to write the trace timeline (HTML)")
    demo.set_defaults(run=_demo)
    target_help = "module:attribute naming a HookManager, a function returning one, or a spec class"
    inspect = commands.add_parser("inspect", help="list hooks and their implementations in effective order")
    inspect.add_argument("target", nargs="?", help=target_help)
    inspect.add_argument("--project", metavar="DIR", help="show a project's lifecycle hooks instead")
    inspect.add_argument("--lifecycle-target", metavar="T", help="with --project: only this target")
    explain = commands.add_parser("explain", help="the order of one hook, with the reason for each position")
    explain.add_argument("target", help=target_help)
    explain.add_argument("hook", help="the hook's name")
    for sub in (inspect, explain):
        sub.add_argument("--entry-points", metavar="GROUP", help="also register the plugins of this entry-point group")
        sub.add_argument("--json", action="store_true", help="print JSON")
    run = commands.add_parser("run", help="run a project's lifecycle hooks (no operation of its own)")
    run.add_argument("--project", metavar="DIR", required=True, help="the project (where pyproject.toml is)")
    run.add_argument("--target", required=True, help="the target whose hooks run (wheel, sdist, ...)")
    run.add_argument("--version", action="append", help="a version to produce (repeat for several; default: standard)")
    run.add_argument("--hooks-only", action="store_true", help="run initialize only: no operation, no finalize")
    run.add_argument("--clean", action="store_true", help="call every hook's clean first")
    run.add_argument("--json", action="store_true", help="print the calls and the final data as JSON")
    for sub in (inspect, run):
        sub.add_argument(
            "--app", default="hookwise", help="the host whose tables to read: [tool.APP] (default: hookwise)"
        )
        sub.add_argument(
            "--env-prefix", metavar="PREFIX", help="the environment switches' prefix (default: APP upper-cased)"
        )
    inspect.set_defaults(run=_inspect)
    explain.set_defaults(run=_explain)
    run.set_defaults(run=_run)
    from hookwise.events._cli import add_commands

    add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for usage errors and hookwise errors).

    An error is one line on stderr (one JSON object under ``--json``), never a
    traceback, and never a success: a run that did not complete exits 2.
    """
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (HookwiseError, OSError) as error:
        return _failed(args, error)
    return code


def _failed(args: argparse.Namespace, error: BaseException) -> int:
    from hookwise._text import printable, told

    if getattr(args, "json", False):
        report = {"command": args.command, "error": type(error).__name__, "message": str(error)}
        print(json.dumps(report), file=sys.stderr)
    else:
        print(printable(f"hookwise {args.command}: {told(error, 2000)}"), file=sys.stderr)
    return 2
