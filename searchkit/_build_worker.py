"""Entry point of the full-build worker process started by searchkit.parallel."""

from searchkit.parallel import worker_main

worker_main()
