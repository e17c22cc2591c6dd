"""The Or of a cut query (matching.py) where Whoosh would preload its parts' scores.

For a small segment (5,000 documents or fewer) or an Or of many parts, Whoosh's Or builds an
ArrayUnionMatcher: it reads every part's postings and scores into an array, 2,048 documents at
a time, as it is built, in Python. On a segment of a few thousand documents that costs
milliseconds per Or, however few documents the query is then asked to score, and it is what
made an index of four small segments three times slower to query than one large one. The
cut query uses OrderedSum there instead: the same documents and the same scores (each part's
score times the Or's boost, added in the parts' order, as the array adds them), computed only
for the documents asked about.

Public-path twin: Whoosh's own Or, which the public path (an unverified Whoosh) uses as it is.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq
from whoosh.matching import UnionMatcher, WrappingMatcher

_SMALL_SEGMENT = 5000  # Whoosh's Or preloads on a segment of at most this many documents


def preloads(query: Any, subs: list[Any], searcher: Any, context: Any) -> bool:
    """Whether Whoosh's Or._matcher would build an ArrayUnionMatcher (its PreloadedOr)."""
    if query.matcher_type == query.ARRAY_MATCHER:
        return True
    if query.matcher_type != query.AUTO_MATCHER:
        return False
    needs_current = context.needs_current if context else True
    keeps_tree = needs_current or query.scale or len(subs) == 2
    return not (
        len(subs) < query.TOO_MANY_CLAUSES
        and (keeps_tree or searcher.doc_count_all() > _SMALL_SEGMENT)
    )


class CutOr(wq.Or):  # type: ignore[misc]
    """An Or whose matcher is an OrderedSum where Whoosh's would preload its parts."""

    def _matcher(self, subs: list[Any], searcher: Any, context: Any) -> Any:
        if not preloads(self, subs, searcher, context):
            return super()._matcher(subs, searcher, context)
        scored = context.weighting is not None if context else True
        return OrderedSum([q.matcher(searcher, context) for q in subs], self.boost, scored)


class OrderedSum(WrappingMatcher):  # type: ignore[misc]
    """The union of `parts`, scored as ArrayUnionMatcher scores it: the sum, in the parts'
    order, of each matching part's score times `boost` (1.0 for every match when not
    `scored`). It moves as a balanced tree of Whoosh's UnionMatchers over the parts."""

    def __init__(self, parts: list[Any], boost: float, scored: bool) -> None:
        tree = list(parts)
        while len(tree) > 1:
            pairs = [UnionMatcher(a, b) for a, b in zip(tree[::2], tree[1::2], strict=False)]
            tree = pairs + ([tree[-1]] if len(tree) % 2 else [])
        super().__init__(tree[0])
        self.parts = parts
        self.part_boost = boost
        self.scored = scored

    def score(self) -> float:
        if not self.scored:
            return 1.0
        current, total = self.child.id(), 0.0
        for part in self.parts:
            if part.is_active() and part.id() == current:
                total += part.score() * self.part_boost
        return total

    def supports(self, astype: str) -> bool:
        return False  # no posting values, as ArrayUnionMatcher

    def _replacement(self, newchild: Any) -> Any:
        return newchild  # (Whoosh's collectors only; the seam scores with scores())
