"""What a REPL session remembers between lines: the query, the filters and sort (kept until
cleared), the page, the last results and the numbered items on screen. Plain data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from ..filters import Filters
from ..results import Hit, LinkedDocument, SearchResults, Sort

if TYPE_CHECKING:
    from ..api import SearchIndex
    from ..cluster.coordinator import ClusterIndex

# The index a session searches: one index, or a sharded one on a Ray cluster (the same
# methods; the cluster's module imports Ray, so it is named for the type checker only).
SessionIndex: TypeAlias = "SearchIndex | ClusterIndex"

DEFAULT_SORT: Sort = "relevance"


@dataclass(frozen=True, slots=True)
class Entry:
    """A numbered item on screen that :show, :open, :similar... can refer to."""

    number: int
    id: str
    title: str
    url: str | None
    indexed: bool = True

    @classmethod
    def from_hit(cls, hit: Hit) -> Entry:
        return cls(hit.rank, hit.id, hit.title, hit.url)

    @classmethod
    def from_link(cls, number: int, link: LinkedDocument) -> Entry:
        return cls(number, link.id, link.title or link.id, link.url, link.kind is not None)


@dataclass(frozen=True, slots=True)
class Listing:
    """The numbered items last shown, and what they are ("results", "cited by #3"...)."""

    label: str
    entries: tuple[Entry, ...] = ()

    def get(self, number: int) -> Entry | None:
        return next((e for e in self.entries if e.number == number), None)

    def span(self) -> str:
        numbers = [e.number for e in self.entries]
        return f"{min(numbers)}-{max(numbers)}" if numbers else "none"


@dataclass(frozen=True, slots=True)
class Reply:
    """What one line of input produced: lines to show, and whether the session ends.
    `status` is what the line would exit with as a command: 0, 2 for a bad query or command,
    1 for a fatal error (a damaged index). `long` marks output that is read at leisure (a
    document, the help, the history, every facet): only that goes through the pager."""

    lines: tuple[str, ...] = ()
    quit: bool = False
    error: bool = False
    status: int = 0
    long: bool = False

    @classmethod
    def fail(cls, message: str, *, status: int = 2) -> Reply:
        return cls((message,), error=True, status=status)


@dataclass
class ReplState:
    query: str | None = None  # None until the first search
    filters: Filters = Filters()  # kept until :clear
    sort: Sort = DEFAULT_SORT
    page: int = 1
    per_page: int = 10
    results: SearchResults | None = None
    listing: Listing | None = None
    # The document on screen (shown, or whose links or likes are listed): what :open,
    # :similar, :related, :cited and :edit act on without a number. None on a results page.
    current: Entry | None = None

    def has_filters(self) -> bool:
        return not self.filters.is_empty()

    def clear_filters(self) -> None:
        self.filters = Filters()
