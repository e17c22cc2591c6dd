"""BM25F with statistics of the whole sharded index, as Elasticsearch's dfs_query_then_fetch
does: a shard scores with the document frequencies, document count and average field lengths
summed over every shard, so a document's score does not depend on which shard holds it."""

from __future__ import annotations

from math import log
from typing import Any

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
