"""`python -m webstats.cli`: the `webstats` command."""

import sys

from webstats.cli import main

sys.exit(main())
