"""Entry point of the full-build worker process started by searchkit.build.full."""

from searchkit.build.worker import worker_main

worker_main()
