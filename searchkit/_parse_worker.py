"""Entry point of the parse worker process started by searchkit.loader."""

import sys

from searchkit.loader import worker_main

worker_main(sys.argv[1])
