"""How a build runs (not what it builds): process and memory settings with their defaults."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from ..loader import PARSE_WORKER_MIN_FILES
from ..scan import PARALLEL_STAT_MIN_FILES, STAT_HELPER, usable_cores
from .parts import PartPool

DEFAULT_WORKER_COMMAND = (sys.executable, "-m", "searchkit._build_worker")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """Settings of a build's processes and memory. The defaults suit any machine; tests and
    benchmarks change them to reach every path on small folders."""

    # A full build of this many seed files or more is shared with worker processes.
    worker_min_files: int = 400
    # Seed files per claim when a full build is shared: small enough that the processes
    # finish close together.
    chunk_size: int = 32
    # How a worker of a full build is started (argv; the job comes on its stdin).
    worker_command: tuple[str, ...] = DEFAULT_WORKER_COMMAND
    # Postings each writer keeps in memory before spilling them to run files.
    writer_limit_mb: float = 128
    # An incremental run parses this many changed seed files or more in a worker process.
    parse_worker_min_files: int = PARSE_WORKER_MIN_FILES
    # A folder whose last build found this many seed files or more is scanned by `jobs`
    # processes.
    parallel_stat_min_files: int = PARALLEL_STAT_MIN_FILES
    # A folder whose last build found this many seed files or more has its folders' mtimes
    # recorded (for freshness checks), and is not listed again while they do not change:
    # its files are stat-ed by name (stamped.py).
    stamp_min_files: int = 10_000
    # How a scan helper is started (argv; the folder, its share and the suffixes are appended).
    stat_helper: tuple[str, ...] = STAT_HELPER
    # Where the workers of a full build run (None: processes of this machine, started with
    # worker_command); a Ray cluster's pool spreads them over its nodes (cluster/parts.py).
    parts: PartPool | None = None
    # Processes a full build runs in, this one included (None: one per core this process
    # may use); the scan of a large folder is shared between as many.
    jobs: int | None = None


DEFAULT_OPTIONS = BuildOptions()


def jobs_for(options: BuildOptions) -> int:
    """The processes a full build with `options` may run in."""
    return max(1, options.jobs if options.jobs is not None else usable_cores())
