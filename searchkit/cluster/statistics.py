"""BM25F with statistics of the whole sharded index, as Elasticsearch's dfs_query_then_fetch
does: a shard scores with the document frequencies, document count and average field lengths
summed over every shard, so a document's score does not depend on which shard holds it."""

from __future__ import annotations

from math import log
from typing import Any

from whoosh.classify import Bo1Model, Expander
from whoosh.scoring import BM25F, BM25FScorer

from ..search.ranking import WEIGHTING
from .shardmap import ShardStats

Term = tuple[str, str]


def term_key(fieldname: str, text: Any) -> Term:
    return fieldname, text.decode("utf-8") if isinstance(text, bytes) else str(text)


class GlobalBM25F(BM25F):  # type: ignore[misc]
    """searchkit's BM25F (search.ranking.WEIGHTING), its idf and average field length taken
    from `use()`'s global statistics instead of the shard's own."""

    def __init__(self, stats: ShardStats) -> None:
        super().__init__(B=WEIGHTING.B, K1=WEIGHTING.K1)
        self.stats = stats
        self.frequencies: dict[Term, int] = {}

    def use(self, frequencies: dict[Term, int]) -> None:
        """The document frequencies, summed over every shard, of the terms a request
        scores; a term not given has none elsewhere (its shard's own count is used)."""
        self.frequencies = frequencies

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, BM25FScorer):
            total = self.stats.doc_count
            known = self.frequencies.get(term_key(fieldname, text))
            n = known if known is not None else searcher.get_parent().doc_frequency(fieldname, text)
            scorer.idf = log(total / (n + 1)) + 1
            length = self.stats.field_lengths.get(fieldname, 0)
            scorer.avgfl = length / (total or 1) or 1
            scorer.setup(searcher, fieldname, text)  # its best score, from the new figures
        return scorer


class GlobalReader:
    """What whoosh.classify.Expander reads of an index, answered with statistics summed over
    every shard: the document count, a field's total length, each word's frequency."""

    def __init__(
        self,
        schema: Any,
        doc_count: int,
        field_lengths: dict[str, int],
        frequencies: dict[str, int],
    ) -> None:
        self.schema = schema
        self._doc_count = doc_count
        self._lengths = field_lengths
        self._frequencies = frequencies

    def doc_count_all(self) -> int:
        return self._doc_count

    def field_length(self, fieldname: str) -> int:
        return self._lengths.get(fieldname, 0)

    def __contains__(self, term: tuple[str, Any]) -> bool:
        return self.frequency(*term) > 0

    def frequency(self, fieldname: str, text: Any) -> int:
        return self._frequencies.get(term_key(fieldname, text)[1], 0)


KEY_FIELD = "excerpt"  # the field whose statistics pick a document's key terms (lookups.py)


def text_words(schema: Any, text: str) -> list[str]:
    """The words KEY_FIELD's analyzer makes of `text`, once each."""
    field = schema[KEY_FIELD]
    return sorted({field.from_bytes(t) for t, _, _, _ in field.index(text)})


def key_terms(reader: GlobalReader, text: str, number: int) -> list[tuple[str, float]]:
    """Searcher.key_terms_from_text of KEY_FIELD with the index's global statistics."""
    expander = Expander(reader, KEY_FIELD, model=Bo1Model)
    expander.add_text(text)
    return list(expander.expanded_terms(number, normalize=True))
