"""``python -m portal_sync_api`` runs the command line."""

import sys

from portal_sync_api.cli import main

sys.exit(main())
