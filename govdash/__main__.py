"""``python -m govdash``: the command line."""

from govdash.cli import main

raise SystemExit(main())
