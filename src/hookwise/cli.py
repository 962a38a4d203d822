"""The ``hookwise`` command line.

``hookwise demo`` runs the todo application of seed 004 (``examples/todos``)
and shows what each hook handler did and the order they ran in, with reasons.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

DEMO = Path("examples") / "todos" / "main.py"


def _find_demo() -> Path | None:
    """The demo script: under the current directory, else beside an editable install's source tree."""
    import hookwise

    candidates = [Path.cwd() / DEMO, Path(hookwise.__file__).resolve().parents[2] / DEMO]
    return next((path for path in candidates if path.is_file()), None)


def _demo(_: argparse.Namespace) -> int:
    script = _find_demo()
    if script is None:
        print(
            f"hookwise demo: cannot find {DEMO}; run it from a checkout of the hookwise repository",
            file=sys.stderr,
        )
        return 2
    namespace = runpy.run_path(str(script), run_name="hookwise_demo")
    code: int = namespace["main"]()
    return code


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hookwise`` command."""
    from hookwise import __version__

    parser = argparse.ArgumentParser(prog="hookwise", description="Typed, explainable, fast hooks.")
    parser.add_argument("--version", action="version", version=f"hookwise {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="run seed 004's todo application and show what its hooks did")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code
