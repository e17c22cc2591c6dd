"""The Whoosh schema and its fingerprint.

Text fields share one analyzer (accent folding, stop words, Snowball English stemming) so a query
word is treated the same in every field it is searched in. Facet fields keep the value as
written in a column (for display) and index it lowercased (for case-insensitive filters).
"""

from __future__ import annotations

import hashlib
from typing import Any

from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    PyStemmerFilter,
    RegexTokenizer,
    StopFilter,
    SubstitutionFilter,
)
from whoosh.fields import DATETIME, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

# Bump when documents are indexed differently; an index with another version is rebuilt.
SCHEMA_VERSION = 4  # 3: stems from PyStemmer (current Snowball English); 4: dates in 4 tiers

# Fields a free-text query searches, with their query-time weights (BM25F per-field boosts).
TEXT_FIELDS: dict[str, float] = {
    "title": 4.0,
    "excerpt": 2.0,
    "topics_text": 1.5,
    "provider_text": 1.0,
    "body": 1.0,
}

# Multi-valued exact fields hold their values separated by newlines.
VALUE_SEPARATOR = "\n"


def text_analyzer() -> Any:
    """Words, lowercased, accents folded, curly apostrophes made straight (so the stemmer
    strips "’s"), stop words dropped, Snowball English (porter2) stems from PyStemmer. Stop
    words are dropped again after stemming, so "haves" does not become a required "have" that
    no document keeps."""
    return (
        RegexTokenizer(r"\w+(?:[.'’]\w+)*")
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | SubstitutionFilter("[’‘]", "'")
        | StopFilter()
        | PyStemmerFilter("english", cachesize=0)
        | StopFilter()
    )


def vocabulary_analyzer() -> Any:
    """Unstemmed words: the vocabulary that spelling suggestions are drawn from."""
    return RegexTokenizer(r"[^\W\d_]{3,}") | LowercaseFilter() | CharsetFilter(accent_map)


def values_analyzer(*, lowercase: bool) -> Any:
    """One token per newline-separated value (facet values, document ids)."""
    tokenizer = RegexTokenizer(r"[^\n]+")
    return tokenizer | LowercaseFilter() if lowercase else tokenizer


def build_schema() -> Schema:
    analyzer = text_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True, sortable=True),
        path=ID(stored=True),
        title=TEXT(stored=True, analyzer=analyzer),
        excerpt=TEXT(stored=True, analyzer=analyzer),
        body=TEXT(stored=True, analyzer=analyzer),
        topics_text=TEXT(analyzer=analyzer),
        provider_text=TEXT(analyzer=analyzer),
        # Exact-value fields hold document numbers only (no frequencies, lengths or positions):
        # they filter and count, they do not score.
        words=ID(analyzer=vocabulary_analyzer()),
        topic=ID(analyzer=values_analyzer(lowercase=True), sortable=True),
        provider=ID(analyzer=values_analyzer(lowercase=True), sortable=True),
        domain=ID(analyzer=values_analyzer(lowercase=True)),
        links=ID(analyzer=values_analyzer(lowercase=False)),
        # Ranges over dates read the column (search.py), or, nested in a query, expand the
        # tiered terms: 4 tiers of 16 bits instead of Whoosh's 8 of 8 halve the terms a full
        # build writes for dates (a quarter of all its terms) at the cost of longer range
        # expansions, which are rare.
        published=_dates(),
        quality=NUMERIC(stored=True, sortable=True, bits=8, signed=False),
        data=STORED(),
    )


def _dates() -> DATETIME:
    field = DATETIME(stored=True, sortable=True)
    field.shift_step = 16  # DATETIME takes no shift_step argument; NUMERIC reads this one
    return field


def schema_fingerprint(schema: Schema | None = None) -> str:
    """A short hash of the schema's fields and analyzers, plus SCHEMA_VERSION."""
    schema = schema or build_schema()
    parts = [f"v{SCHEMA_VERSION}"]
    for name in sorted(schema.names()):
        field = schema[name]
        column = type(field.column_type).__name__ if field.column_type else None
        parts.append(
            f"{name}:{type(field).__name__}:{_describe(getattr(field, 'analyzer', None))}"
            f":{field.format!r}:{column}:{field.stored}:{field.unique}"
        )
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def _describe(analyzer: object) -> str:
    """A stable description of an analyzer chain (its repr holds sets and bound methods)."""
    if analyzer is None:
        return "-"
    items = getattr(analyzer, "items", [analyzer])
    names = []
    for item in items:
        expression = getattr(item, "expression", None)
        names.append(type(item).__name__ + (f"({expression.pattern})" if expression else ""))
    return "|".join(names)
