"""Search results as plain frozen values, detached from Whoosh (safe after the searcher closes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .filters import Filters

Sort = Literal["relevance", "newest", "oldest", "recent-relevance"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest", "recent-relevance")
Granularity = Literal["year", "month", "day"]
# How a search loosened a query that no document matched in full: all words but one, then any.
Fallback = Literal["drop-one", "any-word"]
ValueFacet = Literal["topics", "providers"]
# Whether a hit has every word of the query ("all"), or most of them ("partial": it fills a
# page that the full matches leave short). As a search option: "all" or "most".
HitMatch = Literal["all", "partial"]
Match = Literal["all", "most"]  # the facets whose values people type


@dataclass(frozen=True, slots=True)
class Span:
    """A run of highlighted text; `match` is True where it matched the query."""

    text: str
    match: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    rank: int
    id: str
    kind: str
    title: str
    url: str | None
    provider: str | None
    domain: str | None
    published: datetime | None
    topics: tuple[str, ...]
    score: float
    title_spans: tuple[Span, ...]  # `title`, with the words that matched marked
    snippet_spans: tuple[Span, ...]  # a passage of the text, with the matches marked
    path: str | None
    cited_by: int
    links: int
    match: HitMatch = "all"

    @property
    def snippet(self) -> str:
        """The snippet as plain text (the JSON `snippet`)."""
        return "".join(s.text for s in self.snippet_spans)

    def __repr__(self) -> str:
        return (
            f"<Hit {self.rank}: {_short(self.title)!r} "
            f"({self.kind}, {self.id}, score {self.score:.2f})>"
        )


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    count: int
    selected: bool = False


@dataclass(frozen=True, slots=True)
class Facet:
    """Counts of one facet over all matches (not just the page), most frequent first (dates:
    in time order). `truncated` when more values exist than were asked for."""

    name: str
    values: tuple[FacetValue, ...]
    total_values: int
    truncated: bool = False
    granularity: Granularity | None = None

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{'*' if v.selected else ''}{v.value}={v.count}" for v in self.values[:5]
        )
        more = f", +{self.total_values - 5} more" if self.total_values > 5 else ""
        return f"<Facet {self.name}: {shown}{more}>"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A corrected query, and how many documents it finds."""

    query: str
    total: int


@dataclass(frozen=True, slots=True)
class ValueSuggestion:
    """A facet value no document has (`given`, a topic or a provider of the query or the
    filters) and the value of the index it most likely means (`suggested`)."""

    facet: ValueFacet
    given: str
    suggested: str


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    resolved_query: str
    total: int
    page: int
    per_page: int
    hits: tuple[Hit, ...]
    facets: dict[str, Facet]
    suggestion: Suggestion | None
    took_ms: float
    sort: Sort
    filters: Filters = field(default_factory=Filters)
    # Nothing matched the query; these hits match this spelling correction, which was run.
    corrected: str | None = None
    # No document had every word; these have some of them, found this way (None: they do).
    fallback: Fallback | None = None
    parsed: str = ""  # the Whoosh query, for :explain
    # Why the results are incomplete: the search's time budget ran out (None: they are not).
    partial: str | None = None
    # Topics and providers of the query or the filters that no document has, when nothing
    # matched, with the values they most likely mean.
    value_suggestions: tuple[ValueSuggestion, ...] = ()
    # Nothing matched because of the dates (a date: clause, since or until): the first and
    # last publication dates of the index, and how many documents match without the dates.
    date_span: tuple[datetime, datetime] | None = None
    undated_total: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def __repr__(self) -> str:
        how = "".join(
            f", {name}={value!r}"
            for name, value in (
                ("corrected", self.corrected),
                ("fallback", self.fallback),
                ("partial", self.partial),
            )
            if value is not None
        )
        return (
            f"<SearchResults {self.query!r}: {self.total:,} total, page {self.page} of "
            f"{self.pages}, {len(self.hits)} hits, sort={self.sort}{how}>"
        )


@dataclass(frozen=True, slots=True)
class LinkedDocument:
    """A document another one points to or is pointed at by."""

    id: str
    title: str
    kind: str | None  # None when the document is not in the index
    url: str | None
    published: datetime | None
    provider: str | None

    def __repr__(self) -> str:
        return f"<LinkedDocument {self.id} ({self.kind or 'not indexed'}): {_short(self.title)!r}>"


@dataclass(frozen=True, slots=True)
class Document:
    """Everything the index holds about one document."""

    id: str
    kind: str
    title: str
    excerpt: str
    body: str
    url: str | None
    provider: str | None
    domain: str | None
    published: datetime | None
    topics: tuple[str, ...]
    quality: int | None
    path: str | None
    images: tuple[str, ...]
    links: tuple[str, ...]
    cited_by: tuple[str, ...]
    extra: dict[str, Any]

    def __repr__(self) -> str:
        return f"<Document {self.id} ({self.kind}): {_short(self.title)!r}>"


@dataclass(frozen=True, slots=True)
class ValueCount:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class TermScore:
    """One word of the query in one field of a document, and what it adds to its score:
    `score` (BM25F, with the field's boost) and its `share` of the document's score (0 to 1;
    of the sum of the terms' scores when the results were not ranked by score)."""

    field: str
    term: str
    score: float
    share: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a query found what it found: the parsed query, the filters, the top hit's score
    and the terms of the query the top hit holds, each with its part of the score, largest
    first (`terms`; none when the hit was found by filters or browsing alone)."""

    query: str
    parsed: str
    resolved: str
    filters: Filters
    top_hit: str | None
    top_score: float | None
    terms: tuple[TermScore, ...] = ()
    top_id: str | None = None
    # What the top hit's score holds beyond its terms' scores: the bonus for a title with
    # every word close together, and the re-ranking by title words and recency.
    bonus: float = 0.0

    @property
    def matched_terms(self) -> tuple[tuple[str, str], ...]:
        """The (field, term) pairs of `terms`."""
        return tuple((t.field, t.term) for t in self.terms)
