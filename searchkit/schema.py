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
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

from .whoosh_seam.fields import DATE_TIERS_BITS, dates_field, number_column_field

# Bump when documents are indexed differently; an index with another version is rebuilt.
SCHEMA_VERSION = 5  # 3: PyStemmer stems; 4: dates in 4 tiers; 5: facet key columns

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


# Analysers are written as chains of steps, as data, so that the schema's fingerprint can
# describe them exactly; _analyzer() turns a chain into Whoosh's filters.
Step = tuple[str, ...]

# Words, lowercased, accents folded, curly apostrophes made straight (so the stemmer strips
# "’s"), stop words dropped, Snowball English (porter2) stems from PyStemmer. Stop words are
# dropped again after stemming, so "haves" does not become a required "have" that no
# document keeps.
TEXT_CHAIN: tuple[Step, ...] = (
    ("tokenize", r"\w+(?:[.'’]\w+)*"),
    ("lowercase",),
    ("fold-accents",),
    ("substitute", "[’‘]", "'"),
    ("stop-words",),
    ("stem", "english"),
    ("stop-words",),
)
# Unstemmed words: the vocabulary that spelling suggestions are drawn from.
VOCABULARY_CHAIN: tuple[Step, ...] = (
    ("tokenize", r"[^\W\d_]{3,}"),
    ("lowercase",),
    ("fold-accents",),
)
# One token per newline-separated value (facet values, document ids).
VALUES_CHAIN: tuple[Step, ...] = (("tokenize", r"[^\n]+"),)
LOWERCASE_VALUES_CHAIN: tuple[Step, ...] = (*VALUES_CHAIN, ("lowercase",))


def _analyzer(chain: tuple[Step, ...]) -> Any:
    (kind, pattern), *steps = chain
    assert kind == "tokenize", chain
    analyzer = RegexTokenizer(pattern)
    for step in steps:
        analyzer = analyzer | _filter(step)
    return analyzer


def _filter(step: Step) -> Any:
    name, *args = step
    if name == "lowercase":
        return LowercaseFilter()
    if name == "fold-accents":
        return CharsetFilter(accent_map)
    if name == "substitute":
        return SubstitutionFilter(args[0], args[1])
    if name == "stop-words":
        return StopFilter()
    if name == "stem":
        return PyStemmerFilter(args[0], cachesize=0)
    raise ValueError(f"unknown analyser step {name!r}")


def text_analyzer() -> Any:
    """The analyser of the text fields (see TEXT_CHAIN)."""
    return _analyzer(TEXT_CHAIN)


def vocabulary_analyzer() -> Any:
    return _analyzer(VOCABULARY_CHAIN)


def values_analyzer(*, lowercase: bool) -> Any:
    return _analyzer(LOWERCASE_VALUES_CHAIN if lowercase else VALUES_CHAIN)


# The chain of each analysed field, for the fingerprint.
_CHAINS = {
    **dict.fromkeys(("title", "excerpt", "body", "topics_text", "provider_text"), TEXT_CHAIN),
    "words": VOCABULARY_CHAIN,
    "topic": LOWERCASE_VALUES_CHAIN,
    "provider": LOWERCASE_VALUES_CHAIN,
    "domain": LOWERCASE_VALUES_CHAIN,
    "links": VALUES_CHAIN,
}


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
        published=dates_field(),
        quality=NUMERIC(stored=True, sortable=True, bits=8, signed=False),
        data=STORED(),
        # Facet keys, columns only (search/columns.py): the kind as a number, and 64-bit keys
        # of the provider's name and of the set of topics (records.facet_key), which a search
        # counts as arrays; the names come from the `provider` and `topic` columns above.
        kind_code=number_column_field("B"),
        provider_key=number_column_field("Q"),
        topics_key=number_column_field("Q"),
    )


def schema_fingerprint(schema: Schema | None = None) -> str:
    """A short hash of the schema's fields and analyzers, plus SCHEMA_VERSION."""
    schema = schema or build_schema()
    parts = [f"v{SCHEMA_VERSION}"]
    for name in sorted(schema.names()):
        field = schema[name]
        column = type(field.column_type).__name__ if field.column_type else None
        parts.append(
            f"{name}:{type(field).__name__}:{_describe(name, field)}"
            f":{field.format!r}:{column}:{field.stored}:{field.unique}"
        )
        if name == "published" and field.shift_step != DATE_TIERS_BITS:
            parts[-1] += f":tiers of {field.shift_step} bits"
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


_STEP_NAMES = {
    "lowercase": "LowercaseFilter",
    "fold-accents": "CharsetFilter",
    "substitute": "SubstitutionFilter",
    "stop-words": "StopFilter",
    "stem": "PyStemmerFilter",
}


def _describe(name: str, field: Any) -> str:
    """The field's analyser: its chain's steps by filter name (the tokenizer with its
    pattern), or the class of a built-in one; "-" for none."""
    chain = _CHAINS.get(name)
    if chain is None:
        analyzer = getattr(field, "analyzer", None)
        return type(analyzer).__name__ if analyzer is not None else "-"
    (_, pattern), *steps = chain
    return "|".join([f"RegexTokenizer({pattern})", *(_STEP_NAMES[s[0]] for s in steps)])
