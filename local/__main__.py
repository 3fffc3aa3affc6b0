"""``python -m local ...``: see ``local.cli``."""

from local.cli import main

raise SystemExit(main())
