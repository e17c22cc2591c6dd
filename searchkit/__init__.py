"""searchkit: full-text search over a folder of news seed documents.

>>> import searchkit
>>> report = searchkit.build_index("seeds", "index")
"""

from __future__ import annotations

from .api import BuildProgress, IndexReport, IndexStats, build_index, index_stats
from .errors import (
    DocumentNotFoundError,
    IndexCorruptError,
    IndexLockedError,
    IndexNotFoundError,
    QueryError,
    SearchkitError,
    SeedError,
    SeedsFolderError,
    SeedsMismatchError,
)
from .indexer import Duplicate, SeedIssue

__all__ = [
    "BuildProgress",
    "DocumentNotFoundError",
    "Duplicate",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReport",
    "IndexStats",
    "QueryError",
    "SearchkitError",
    "SeedError",
    "SeedIssue",
    "SeedsFolderError",
    "SeedsMismatchError",
    "build_index",
    "index_stats",
]
