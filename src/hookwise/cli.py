"""The ``hookwise`` command line.

- ``hookwise demo`` runs the todo application of seed 004 (``examples/todos``)
  and shows what each hook handler did and the order they ran in, with reasons.
- ``hookwise inspect TARGET`` lists a manager's hooks and their implementations
  in effective order; ``hookwise explain TARGET HOOK`` gives one hook's order
  with the reason for each position. TARGET is ``module:attribute``.
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEMO = Path("examples") / "todos" / "main.py"


def _find_demo() -> Path | None:
    """The demo script: under the current directory, else beside an editable install's source tree."""
    import hookwise

    candidates = [Path.cwd() / DEMO, Path(hookwise.__file__).resolve().parents[2] / DEMO]
    return next((path for path in candidates if path.is_file()), None)


def _demo(args: argparse.Namespace) -> int:
    script = _find_demo()
    if script is None:
        print(
            f"hookwise demo: cannot find {DEMO}; run it from a checkout of the hookwise repository",
            file=sys.stderr,
        )
        return 2
    namespace = runpy.run_path(str(script), run_name="hookwise_demo")
    code: int = namespace["main"](["--html", args.html])
    return code


def _manager(args: argparse.Namespace) -> Any:
    from hookwise._inspect import resolve_target

    return resolve_target(args.target, entry_points=args.entry_points)


def _inspect(args: argparse.Namespace) -> int:
    from hookwise._inspect import describe, render

    description = describe(_manager(args))
    print(json.dumps(description, indent=2) if args.json else render(description))
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
    demo = commands.add_parser("demo", help="run seed 004's todo application and show what its hooks did")
    demo.add_argument("--html", default="hookwise-trace.html", help="where to write the trace timeline (HTML)")
    demo.set_defaults(run=_demo)
    target_help = "module:attribute naming a HookManager, a function returning one, or a spec class"
    inspect = commands.add_parser("inspect", help="list hooks and their implementations in effective order")
    inspect.add_argument("target", help=target_help)
    explain = commands.add_parser("explain", help="the order of one hook, with the reason for each position")
    explain.add_argument("target", help=target_help)
    explain.add_argument("hook", help="the hook's name")
    for sub in (inspect, explain):
        sub.add_argument("--entry-points", metavar="GROUP", help="also register the plugins of this entry-point group")
        sub.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(run=_inspect)
    explain.set_defaults(run=_explain)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for usage errors and hookwise errors)."""
    from hookwise.exceptions import HookwiseError

    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except HookwiseError as error:
        print(f"hookwise {args.command}: {error}", file=sys.stderr)
        return 2
    return code
