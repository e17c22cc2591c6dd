"""Building the index from a seeds folder, by stages:

    run.py          build_index(): lock, read the manifest, scan, pick the build that fits
    full.py         a full build into a new store, in N processes (worker.py)
    table.py        the full build's seed files, numbered in path order, in one file
    share.py        one process's share of a full build: chunks claimed, read and indexed
    rows.py         what a process keeps per seed: fixed-size fields, entries spilled to disk
    decide.py       duplicates and stubs, decided from every process's rows with arrays
    incremental.py  an incremental build: rewrite what changed seeds own or cite
    context.py      what a build's stages share, and its report
    options.py      BuildOptions: processes and memory

Each stage is a module of its own.
"""

from __future__ import annotations

from .options import BuildOptions
from .run import build_index

__all__ = ["BuildOptions", "build_index"]
