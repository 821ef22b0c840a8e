"""``python -m station.cli``: same as the ``station`` script."""

from station.cli import main

raise SystemExit(main())
