"""Drill-down filters: the one value that says which topics, providers, kind and dates a search
is narrowed to, used alike by the API, the CLI and the REPL.

Several values of one facet mean OR, different facets mean AND. Dates are a half-open UTC range:
`since` inclusive, `until` exclusive (an inclusive "until 2021-06" becomes the first instant of
July).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from . import dates

Kind = Literal["article", "related"]
# What a kind filter may be given as: a kind, "all" (no filter), or an alias of KIND_ALIASES.
KindFilter = Kind | Literal["all", "articles", "stub", "stubs"]
KIND_ALIASES: dict[str, Kind] = {
    "article": "article",
    "articles": "article",
    "related": "related",
    "stub": "related",
    "stubs": "related",
}
ALL_KINDS = ("all", "")  # what means "no kind filter" where a kind is asked for

DateLike = date | datetime | str | None


class FilterValueError(ValueError):
    """A filter value that cannot be understood: which filter, why, and what would do."""

    def __init__(self, name: str, message: str, hint: str | None = None) -> None:
        self.name = name
        self.message = message
        self.hint = hint
        super().__init__(f"{message}: {hint}" if hint else message)


def resolve_kind(text: str) -> Kind | None:
    """The kind a word names (any case, aliases allowed); None for "all"; FilterValueError
    when it names none."""
    low = text.strip().lower()
    if low in ALL_KINDS:
        return None
    kind = KIND_ALIASES.get(low)
    if kind is None:
        raise FilterValueError("kind", f"unknown kind {text!r}", "use article, related or all")
    return kind


@dataclass(frozen=True, slots=True)
class Filters:
    """Drill-down filters: several values of one facet mean OR, different facets mean AND."""

    topics: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    kind: Kind | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    @property
    def date_range(self) -> dates.DateRange | None:
        if self.since is None and self.until is None:
            return None
        return dates.DateRange(self.since, self.until)

    def is_empty(self) -> bool:
        return not (self.topics or self.providers or self.kind or self.since or self.until)

    def clauses(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each active filter as (field, values): ("topic", ("Politics", "Comedy")), ("kind",
        ("article",)), ("date", ("[2021-01-01 to 2021-06-30]",)); what renderers describe."""
        found: list[tuple[str, tuple[str, ...]]] = []
        if self.topics:
            found.append(("topic", self.topics))
        if self.providers:
            found.append(("provider", self.providers))
        if self.kind:
            found.append(("kind", (self.kind,)))
        if self.date_range:
            found.append(("date", (self.date_range.describe(),)))
        return found


def make_filters(
    *,
    topics: Iterable[str] = (),
    providers: Iterable[str] = (),
    kind: str | None = None,
    since: DateLike = None,
    until: DateLike = None,
    now: datetime,
) -> Filters:
    """Filters from what a user gives: kind names or aliases ("all" for none), dates as specs
    ("2021-05", "last week", "30d"), dates or datetimes; `until` inclusive. FilterValueError
    (naming the filter, saying what is accepted) when one cannot be understood."""
    # A str is one value: iterated, "Politics" would be eight one-letter topics.
    topics = (topics,) if isinstance(topics, str) else topics
    providers = (providers,) if isinstance(providers, str) else providers
    resolved = resolve_kind(kind) if kind is not None else None
    start = _bound("since", since, now, end=False)
    end = _bound("until", until, now, end=True)
    if start is not None and end is not None and start >= end:
        raise FilterValueError("until", f"since ({since}) is not before until ({until})")
    return Filters(
        tuple(t for t in topics if t), tuple(p for p in providers if p), resolved, start, end
    )


def _bound(name: str, value: DateLike, now: datetime, *, end: bool) -> datetime | None:
    try:
        return dates.as_bound(value, now, end=end)
    except dates.DateSpecError as exc:
        raise FilterValueError(name, str(exc), exc.hint) from None
