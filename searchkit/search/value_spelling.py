"""Did-you-mean for facet values: a topic or provider that no document has, in a query's
`topic:`/`provider:` clauses or in the filters, matched to the closest value the index holds
(the way search/spelling.py matches a word to the vocabulary)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

from ..results import ValueFacet, ValueSuggestion

CUTOFF = 0.75  # difflib's ratio: "politcs" -> "politics" is 0.93, "sport" -> "sports" 0.91

# A field clause of the query language whose value is a facet value.
_CLAUSE = re.compile(r'(?<![\w:])(topic|provider|source):("[^"]*"|[^\s()"]+)', re.IGNORECASE)
_FACETS: dict[str, ValueFacet] = {"topic": "topics", "provider": "providers", "source": "providers"}


def has_value_clause(text: str) -> bool:
    """Whether query text has a topic:, provider: or source: clause."""
    return _CLAUSE.search(text) is not None


def closest_value(given: str, known: Sequence[str]) -> str | None:
    """The value of `known` that `given` most likely means, when `given` is none of them (in
    any case): the one it is the start of, if only one, else the closest spelling."""
    low = given.strip().casefold()
    folded = {k.casefold(): k for k in known}
    if not low or low in folded:
        return None
    starts = [k for f, k in folded.items() if f.startswith(low)]
    if len(starts) == 1:
        return starts[0]
    near = difflib.get_close_matches(low, list(folded), n=1, cutoff=CUTOFF)
    return folded[near[0]] if near else None


def query_value_suggestions(
    text: str, known: Mapping[str, Sequence[str]]
) -> tuple[str, tuple[ValueSuggestion, ...]]:
    """The query with each unknown facet value of its clauses replaced by the closest known
    one, and what was replaced; (text, ()) when there is nothing to replace."""
    found: list[ValueSuggestion] = []

    def replace(match: re.Match[str]) -> str:
        field, raw = match.group(1), match.group(2)
        facet = _FACETS[field.lower()]
        value = raw.strip('"')
        better = closest_value(value, known[facet])
        if better is None:
            return match.group(0)
        found.append(ValueSuggestion(facet, value, better))
        quoted = f'"{better}"' if re.search(r'[\s():"]', better) else better
        return f"{field}:{quoted}"

    corrected = _CLAUSE.sub(replace, text)
    return corrected, tuple(found)


def filter_value_suggestions(
    topics: Sequence[str], providers: Sequence[str], known: Mapping[str, Sequence[str]]
) -> tuple[ValueSuggestion, ...]:
    """The filter values no document has, each with the closest value that one has."""
    found = []
    pairs: tuple[tuple[ValueFacet, Sequence[str]], ...] = (
        ("topics", topics),
        ("providers", providers),
    )
    for facet, values in pairs:
        for value in values:
            better = closest_value(value, known[facet])
            if better is not None:
                found.append(ValueSuggestion(facet, value, better))
    return tuple(found)
