"""``python -m sknn``: the command line (the demo when run without arguments)."""

from ._cli import main

raise SystemExit(main())
