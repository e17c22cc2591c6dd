"""Wildcards, prefixes and fuzzy words: the words of a segment they match, found once, and a
query that matches and scores those words as Whoosh's own query does.

Whoosh expands such a term (a MultiTerm) into the index words it matches each time it builds
a matcher for it: a search did it once to match, once to score, once more to estimate sizes.
search/expansion.py expands each once per search with `segment_words` and puts an `Expanded`
in its place in each segment's query. A fuzzy word is the costly one: Whoosh builds its
Levenshtein automaton for every field and segment, then walks it through the field's term
table on disk, a binary search in Python at every step. `Vocabularies` holds the words of a
segment's text fields in memory instead (once a fuzzy word needs them), walks the automaton
through all of them at once and remembers what the latest fuzzy words matched.

A `title:*` (Whoosh's Every on a field) reads the postings of every word of the field to
find the documents with something in it; `field_documents` finds them from the field's
lengths instead. A range of dates that is not applied to the whole query (`trump OR
date:2021`) expands into every date of the range the index holds; `date_documents` takes
the documents in the range from the dates column instead.

    ==========================  ==========================================================
    function                    public-path twin, used on an unverified Whoosh
    ==========================  ==========================================================
    segment_words               ``query.expanded_terms(segment reader)``
    field_documents             the Every query itself
    date_documents              the range query itself
    ==========================  ==========================================================

`Expanded` itself uses Whoosh's public API only.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh import query as wq
from whoosh.codec.base import Automata
from whoosh.fields import TEXT
from whoosh.matching import ListMatcher, WrappingMatcher

from . import FAST

Word = str | bytes  # a fuzzy word's matches come as text, a pattern's as bytes
FUZZY_MATCHES_KEPT = 64  # fuzzy words whose matches a segment's Vocabulary remembers


def segment_words(
    leaf: Any, number: int, reader: Any, vocabularies: Vocabularies
) -> Iterator[Word]:
    """The words of segment `number` (`reader`) that `leaf` (a wildcard, prefix or fuzzy
    word) matches, in the order ``leaf.expanded_terms(reader)`` yields them."""
    if FAST and type(leaf) is wq.FuzzyTerm:
        found = vocabularies.segment(number, reader).fuzzy(leaf)
        if found is not None:
            return iter(found)
    return (word for _, word in leaf.expanded_terms(reader))


class Vocabularies:
    """The in-memory words of the segments of one searcher (see the module's docstring),
    each segment's read when a fuzzy word first needs them."""

    def __init__(self) -> None:
        self._segments: dict[int, _Vocabulary] = {}

    def segment(self, number: int, reader: Any) -> _Vocabulary:
        found = self._segments.get(number)
        if found is None:
            found = self._segments[number] = _Vocabulary(reader)
        return found


class _Vocabulary:
    """The words of one segment's text fields: each field's, and all of them in order."""

    def __init__(self, reader: Any) -> None:
        schema = reader.schema
        self._fields = {
            name: frozenset(reader.field_terms(name))
            for name in schema.names()
            if isinstance(schema[name], TEXT) and schema[name].spelling_fieldname(name) == name
        }
        self._words = sorted(set().union(*self._fields.values()))
        self._matched: OrderedDict[tuple[str, int, int], list[str]] = OrderedDict()

    def fuzzy(self, leaf: Any) -> list[str] | None:
        """The words of the fuzzy word's field it matches, in order: what Whoosh's
        SegmentReader.terms_within finds (the same automaton, walked the same way through
        the same words); None when the field is not a text field."""
        field = self._fields.get(leaf.fieldname)
        if field is None:
            return None
        key = (leaf.text, leaf.maxdist, leaf.prefixlength)
        matched = self._matched.get(key)
        if matched is None:
            dfa = Automata.levenshtein_dfa(leaf.text, leaf.maxdist, leaf.prefixlength)
            matched = self._matched[key] = _walk(dfa, self._words)
            if len(self._matched) > FUZZY_MATCHES_KEPT:
                self._matched.popitem(last=False)
        return [word for word in matched if word in field]


def _walk(dfa: Any, words: list[str]) -> list[str]:
    """The words of the sorted list `words` that `dfa` accepts, in order: Whoosh's
    Automata.find_matches, with a binary search of the list as the term cursor's find()."""
    found: list[str] = []
    i = 0
    match = dfa.next_valid_string(words[0]) if words else None
    while match:
        i = bisect_left(words, match, i)
        if i == len(words):
            break
        term = words[i]
        if match == term:
            found.append(match)
            term += "\0"
        match = dfa.next_valid_string(term)
    return found


class Expanded(wq.Query):  # type: ignore[misc]
    """A wildcard, prefix or fuzzy word (`original`) whose words in one segment were found
    already: it matches as `original` does in that segment, and scores as the Or of its
    words' terms, each scored (BM25) and boosted by the original's boost, in every segment
    alike.

    Whoosh's MultiTerm.matcher scores it by what the segment holds: one word alone is a
    plain term without the original's boost; several words are an Or with the boost, scored
    in a context without weighting when the original has a constant score, which the Or
    that preloads its parts (on a segment of 5,000 documents or fewer) takes as "every
    document scores 1" and the others ignore. So a document's score depended on the segment
    it fell in (`climate chang*` weighs `chang*` by 2 in excerpts: by 1 where a segment's
    excerpts hold "chang" alone), and the same seeds ranked differently with `--jobs 1`, `2`
    or `4`. Scored here as Whoosh scores it on large segments, the usual case, it ranks the
    same however the index is split."""

    def __init__(self, original: Any, words: Iterable[Word]) -> None:
        self.original = original
        self.fieldname = original.fieldname
        self.boost = original.boost
        self.terms = [wq.Term(self.fieldname, word) for word in words if word]
        self.or_type: type = wq.Or  # what a cut query (matching.py) makes of it: unions.CutOr

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.original!r}, {len(self.terms)} words)"

    def __str__(self) -> str:
        return str(self.original)

    def __hash__(self) -> int:  # (Whoosh's Query refuses to hash)
        return id(self)

    def is_leaf(self) -> bool:
        return True

    def estimate_size(self, ixreader: Any) -> int:
        return sum(term.estimate_size(ixreader) for term in self.terms)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        if not self.terms:
            return wq.NullQuery.matcher(searcher, context)
        if len(self.terms) == 1:  # (an Or of one part would drop the boost, as Whoosh does)
            matcher = self.terms[0].matcher(searcher, context)
            return WrappingMatcher(matcher, boost=self.boost) if self.boost != 1.0 else matcher
        return self.or_type(self.terms, boost=self.boost).matcher(searcher, context)


def field_documents(leaf: Any, reader: Any) -> Any:
    """`leaf`, an Every on a field (`title:*`), for one segment (`reader`): on the fast path,
    and for a field that keeps its lengths, the documents with a length in it (the ones
    with a word in it), as a query that matches and scores them as `leaf` does."""
    if not FAST or not reader.schema[leaf.fieldname].scorable:
        return leaf
    docs = [d for d in reader.all_doc_ids() if reader.doc_field_length(d, leaf.fieldname, 0)]
    return Listed(leaf, docs, size=reader.doc_count(), score=leaf.boost)


def date_documents(leaf: Any, reader: Any, docs: list[int]) -> Any:
    """`leaf`, a range of dates (a NumericRange with a constant score), for one segment
    (`reader`), whose documents in the range are `docs` (ascending, deleted ones included,
    as the dates column has them): on the fast path, a query that matches and scores them
    as `leaf` does."""
    if not FAST or not leaf.constantscore:
        return leaf
    live = [d for d in docs if not reader.is_deleted(d)] if reader.has_deletions() else docs
    # Whoosh's estimate: the documents of the range's terms, deleted ones included.
    return Listed(leaf, live, size=len(docs), score=leaf.boost)


class Listed(wq.Query):  # type: ignore[misc]
    """The documents a query matches in one segment (`documents`, ascending), found already, each
    scored `score`: the matcher Whoosh builds for an Every on a field, or for a range with a
    constant score; `size` is Whoosh's estimate of the query's size."""

    def __init__(self, original: Any, docs: list[int], *, size: int, score: float) -> None:
        self.original = original
        self.fieldname = original.fieldname
        self.boost = original.boost
        self.documents = docs  # (not `docs`: that is Query's method)
        self.size = size
        self.score = score

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.original!r}, {len(self.documents)} documents)"

    def __str__(self) -> str:
        return str(self.original)

    def __hash__(self) -> int:  # (Whoosh's Query refuses to hash)
        return id(self)

    def is_leaf(self) -> bool:
        return True

    def estimate_size(self, ixreader: Any) -> int:
        return self.size

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return ListMatcher(self.documents, all_weights=self.score)
