"""Re-ranking the head of a relevance ranking: titles that hold the query's words, and recency.

BM25F scores come from Whoosh (the matching in whoosh_seam); these adjust the first few dozen
documents of a ranking, whatever the page asked for, so that paging neither repeats nor skips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache

import Stemmer
from whoosh.scoring import BM25F

WEIGHTING = BM25F(B=0.75, K1=1.2)
RERANK_POOL = 50  # documents re-ranked by title coverage
RECENCY_POOL = 200  # documents re-ranked by recency (sort "recent-relevance")
TITLE_COVERAGE_WEIGHT = 0.6
ARTICLE_OVER_STUB = 0.75  # an article within this share of a stub it cites ranks above it
RECENCY_HALF_LIFE_DAYS = 180.0
_WORDS = re.compile(r"\w+(?:['’]\w+)*")

Ranked = list[tuple[int, float]]  # (document number, score), best first


def by_title_coverage(ranked: Ranked, text: str, title: Callable[[int], str]) -> Ranked:
    """Favour titles that hold more of the query's words, stop words included: the index
    drops "you" or "have", but a title that has them is the better known-item match.
    `title` gives a document's title."""
    words = _word_forms(text)
    if len(words) < 2:
        return ranked
    out = []
    for docnum, score in ranked:
        coverage = len(words & _word_forms(title(docnum))) / len(words)
        out.append((docnum, score * (1 + TITLE_COVERAGE_WEIGHT * coverage)))
    return sorted(out, key=lambda x: -x[1])


def articles_over_their_stubs(
    ranked: Ranked, is_stub: Callable[[int], bool], citing: Callable[[int], Iterable[int]]
) -> Ranked:
    """An article ranks just above the related documents it cites (`citing(stub)`: the
    articles citing a stub) when its score is at least ARTICLE_OVER_STUB of theirs: a stub
    repeats a few words of the article that cites it, which says more on the subject."""
    score = dict(ranked)
    raised = dict(score)
    for docnum, stub_score in ranked:
        if not is_stub(docnum):
            continue
        for article in citing(docnum):
            own = score.get(article)
            if own is not None and ARTICLE_OVER_STUB * stub_score <= own < stub_score:
                raised[article] = max(raised[article], stub_score * (1 + 1e-9))
    if raised == score:
        return ranked
    return sorted(((d, raised[d]) for d, _ in ranked), key=lambda x: -x[1])


def by_recency(ranked: Ranked, published: Callable[[int], datetime | None]) -> Ranked:
    """Relevance times a decay that halves every RECENCY_HALF_LIFE_DAYS of age (the ranking
    depends on the age differences only, so archives rank as well as news)."""
    dated = [(d, s, published(d)) for d, s in ranked]
    newest = max((p for _, _, p in dated if p), default=None)
    if newest is None:
        return ranked
    out = []
    for d, s, p in dated:
        age = (newest - p).total_seconds() / 86400 if p else 10 * RECENCY_HALF_LIFE_DAYS
        out.append((d, s * 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)))
    return sorted(out, key=lambda x: -x[1])


def _word_forms(text: str) -> set[str]:
    return {_stem(w.replace("’", "'")) for w in _WORDS.findall(text.lower())}


# Titles repeat their words: stemming each distinct word once saves most of the re-ranking time.
# The index's stemmer (schema.py: Snowball English from PyStemmer). It never releases the GIL,
# so one stemmer serves every thread.
_stem = lru_cache(maxsize=65_536)(Stemmer.Stemmer("english").stemWord)
