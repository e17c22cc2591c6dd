"""searchkit: full-text search over a folder of news seed documents.

>>> import searchkit
>>> report = searchkit.build_index("seeds", "index")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    DiskFullError,
    DocumentNotFoundError,
    IndexClosedError,
    IndexDamagedError,
    IndexLockedError,
    IndexNotFoundError,
    IndexWriteError,
    ParameterError,
    QueryError,
    QueryLimitError,
    Remedy,
    SearchkitError,
    SeedError,
    SeedsFolderError,
    SeedsMismatchError,
    SeedsUnreadableError,
)
from .filters import Filters
from .options import SearchOptions
from .reports import BuildProgress, Duplicate, IndexReport, SeedIssue
from .results import (
    Document,
    Facet,
    FacetValue,
    Hit,
    LinkedDocument,
    SearchResults,
    Span,
    Suggestion,
    ValueCount,
    ValueSuggestion,
)

if TYPE_CHECKING:
    from .api import Opened, SearchIndex, index_stats, open_index, open_or_build
    from .build import BuildOptions, build_index
    from .freshness import Freshness
    from .stats import IndexStats
    from .watcher import WatchNotice, watch

# The modules that load Whoosh are imported on first use (PEP 562), so that `searchkit index`
# with nothing to do, and a program that only builds, do not load the search side at start-up.
_LAZY = {
    "Opened": "api",
    "SearchIndex": "api",
    "index_stats": "api",
    "open_index": "api",
    "open_or_build": "api",
    "BuildOptions": "build",
    "build_index": "build",
    "IndexStats": "stats",
    "Freshness": "freshness",
    "watch": "watcher",
    "WatchNotice": "watcher",
}


def _version() -> str:
    """The installed distribution's version (importlib.metadata costs a cold start ~10 ms,
    so it is read only when asked for)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("searchkit")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = globals()["__version__"] = _version()
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'searchkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BuildOptions",
    "BuildProgress",
    "DiskFullError",
    "Document",
    "DocumentNotFoundError",
    "Duplicate",
    "Facet",
    "FacetValue",
    "Filters",
    "Freshness",
    "Hit",
    "IndexClosedError",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReport",
    "IndexStats",
    "IndexWriteError",
    "LinkedDocument",
    "Opened",
    "ParameterError",
    "QueryError",
    "QueryLimitError",
    "Remedy",
    "SearchIndex",
    "SearchOptions",
    "SearchResults",
    "SearchkitError",
    "SeedError",
    "SeedIssue",
    "SeedsFolderError",
    "SeedsMismatchError",
    "SeedsUnreadableError",
    "Span",
    "Suggestion",
    "ValueCount",
    "ValueSuggestion",
    "WatchNotice",
    "build_index",
    "index_stats",
    "open_index",
    "open_or_build",
    "watch",
]
