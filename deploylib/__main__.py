"""`python -m deploylib`: the same as the `deploylib` command."""

import sys

from deploylib.cli import main

sys.exit(main())
