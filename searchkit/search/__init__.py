"""Searching one index generation, by stages:

    engine.py     Engine: match -> filter and count facets -> rank -> page of hits
    facets.py     per-document facet values from columns, exact drill-down counts
    ranking.py    BM25F weighting, title coverage and recency re-ranking
    lookups.py    documents by id, the links between them, more like this
    highlight.py  matched words in titles and snippets
    spelling.py   did-you-mean from the index's vocabulary
    expansion.py  wildcards, prefixes and fuzzy words expanded once, within limits.MAX_CLAUSES
    budget.py     the time budget of a search, and what was cut short when it ran out

Matching and scoring use whole postings lists through whoosh_seam.matching.
"""

from __future__ import annotations

from .budget import Budget
from .engine import Engine, SearchRequest, make_searcher, now_utc

__all__ = ["Budget", "Engine", "SearchRequest", "make_searcher", "now_utc"]
