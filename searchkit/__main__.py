"""`python -m searchkit`."""

import sys

from searchkit.cli import main

sys.exit(main())
