"""The facade other programs, the CLI and the REPL use: build, describe and search an index."""

from __future__ import annotations

from .indexer import BuildProgress, IndexReport, build_index
from .stats import IndexStats, index_stats

__all__ = ["BuildProgress", "IndexReport", "IndexStats", "build_index", "index_stats"]
