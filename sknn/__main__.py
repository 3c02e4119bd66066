"""``python -m sknn``: the command line (the demo when run without arguments)."""

from .cli import main

raise SystemExit(main())
