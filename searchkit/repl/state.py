"""What a REPL session remembers between lines: the query, the filters and sort (kept until
cleared), the page, the last results and the numbered items on screen. Plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..dates import DateRange
from ..results import Hit, LinkedDocument, SearchResults

DEFAULT_SORT = "relevance"


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
    """What one line of input produced: lines to show, and whether the session ends."""

    lines: tuple[str, ...] = ()
    quit: bool = False
    error: bool = False

    @classmethod
    def fail(cls, message: str) -> Reply:
        return cls((message,), error=True)


@dataclass
class ReplState:
    query: str | None = None  # None until the first search
    topics: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    sort: str = DEFAULT_SORT
    page: int = 1
    per_page: int = 10
    results: SearchResults | None = None
    listing: Listing | None = None

    @property
    def date_range(self) -> DateRange | None:
        if self.since is None and self.until is None:
            return None
        return DateRange(self.since, self.until)

    def has_filters(self) -> bool:
        return bool(self.topics or self.providers or self.kind or self.date_range)

    def clear_filters(self) -> None:
        self.topics, self.providers, self.kind = (), (), None
        self.since = self.until = None

    def search_options(self) -> dict[str, Any]:
        """The keyword arguments of SearchIndex.search for the filters and sort."""
        return {
            "topics": self.topics,
            "providers": self.providers,
            "kind": self.kind,
            "since": self.since,
            # search() takes an inclusive `until`; ours is exclusive.
            "until": self.until - timedelta(microseconds=1) if self.until else None,
            "sort": self.sort,
        }

    def filter_descriptions(self) -> list[tuple[str, str]]:
        """(name, value) for each active filter, as the toolbar shows them."""
        parts = []
        if self.topics:
            parts.append(("topic", ", ".join(self.topics)))
        if self.providers:
            parts.append(("provider", ", ".join(self.providers)))
        if self.kind:
            parts.append(("kind", self.kind))
        if self.date_range:
            parts.append(("date", self.date_range.describe()))
        return parts
