"""searchkit: full-text search over a folder of news seed documents.

>>> import searchkit
>>> report = searchkit.build_index("seeds", "index")
"""

from __future__ import annotations

from .api import SearchIndex, build_index, index_stats, open_index
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
from .reports import BuildProgress, Duplicate, IndexReport, SeedIssue
from .results import (
    Document,
    Facet,
    FacetValue,
    Filters,
    Hit,
    LinkedDocument,
    SearchResults,
    Segment,
    Suggestion,
    ValueCount,
)
from .stats import IndexStats

__all__ = [
    "BuildProgress",
    "Document",
    "DocumentNotFoundError",
    "Duplicate",
    "Facet",
    "FacetValue",
    "Filters",
    "Hit",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReport",
    "IndexStats",
    "LinkedDocument",
    "QueryError",
    "SearchIndex",
    "SearchResults",
    "SearchkitError",
    "SeedError",
    "SeedIssue",
    "SeedsFolderError",
    "SeedsMismatchError",
    "Segment",
    "Suggestion",
    "ValueCount",
    "build_index",
    "index_stats",
    "open_index",
]
