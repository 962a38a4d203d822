"""``python -m hookwise``: the command line."""

from hookwise.cli import main

raise SystemExit(main())
