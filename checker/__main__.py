"""`python -m checker`: the command line of checker/cli/."""

import sys

from checker.cli import main

sys.exit(main())
