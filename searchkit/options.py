"""How searches run (not what they find): memory and numpy settings with their defaults."""

from __future__ import annotations

from dataclasses import dataclass

# Postings kept in memory per searcher (12 bytes each): matching and scoring start from whole
# postings lists, and common words recur from query to query.
DEFAULT_POSTINGS_CACHE = 8_000_000
# Term table entries remembered per segment (about 200 bytes each): a query term is looked up
# once per segment, not once per question Whoosh asks about it.
DEFAULT_TERM_CACHE = 20_000
# A match set of this many documents or more is counted, filtered, ordered and scored with
# numpy: below it Python is as fast, and a short-lived command need not import numpy.
VECTOR_MIN = 20_000
# An index of this many documents or more is searched with numpy at every stage, whatever
# the size of a match set.
VECTOR_INDEX_MIN = 200_000


@dataclass(frozen=True, slots=True)
class SearchOptions:
    """Settings of a SearchIndex's searchers. The defaults suit any index; tests change them
    to reach both the Python and the numpy code on small indexes (the results are the same)."""

    postings_cache: int = DEFAULT_POSTINGS_CACHE
    term_cache: int = DEFAULT_TERM_CACHE
    vector_min: int = VECTOR_MIN
    vector_index_min: int = VECTOR_INDEX_MIN


DEFAULT_SEARCH_OPTIONS = SearchOptions()
# Every stage with numpy, or every stage in Python (for tests that compare the two).
ARRAYS_ALWAYS = SearchOptions(vector_min=0, vector_index_min=0)
ARRAYS_NEVER = SearchOptions(vector_min=2**62, vector_index_min=2**62)
