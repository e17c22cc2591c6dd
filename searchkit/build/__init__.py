"""Building the index from a seeds folder, by stages:

    run.py          build_index(): lock, read the manifest, scan, pick the build that fits
    full.py         a full build into a new store, shared with a worker process (worker.py)
    plan.py         the documents a full build holds: duplicates and stubs, in path order
    incremental.py  an incremental build: rewrite what changed seeds own or cite
    context.py      what a build's stages share, and its report
    options.py      BuildOptions: processes and memory

Each stage is a module of its own.
"""

from __future__ import annotations

from .options import BuildOptions
from .run import build_index

__all__ = ["BuildOptions", "build_index"]
