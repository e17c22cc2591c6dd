"""Wildcards, prefixes, fuzzy words and term ranges, expanded once per search and counted
against limits.MAX_CLAUSES.

A search matches, scores and highlights the same query several times, and Whoosh expands such
a pattern into the index words it matches every time (on the whole index, rather than a
segment, it even compares a fuzzy word with each word of the field in Python). `Expansion`
finds each pattern's words in each segment once (whoosh_seam.expansion), refuses a query that
would search more than MAX_CLAUSES terms once they are counted (each word of a pattern, each
other clause once per field it is searched in), and gives each segment its query with the
words found in place of the patterns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import islice
from typing import Any

from whoosh import query as wq

from ..errors import QueryLimitError
from ..limits import MAX_CLAUSES
from ..whoosh_seam.expansion import (
    Expanded,
    Vocabularies,
    Word,
    date_documents,
    field_documents,
    segment_words,
)

_NARROWER = (
    "make it narrower: a longer prefix before the * or ?, a smaller edit distance, or one "
    "field (title:...)"
)


def _expands(leaf: Any) -> bool:
    """Whether Whoosh expands `leaf` into the index words it matches. (A `*` alone, or an
    empty prefix, matches everything with the field instead: Every, counted apart.)"""
    if isinstance(leaf, wq.Wildcard | wq.Prefix) and leaf.text in ("*", ""):
        return False
    return isinstance(leaf, wq.MultiTerm)


def _every_field(leaf: Any) -> str | None:
    """The field of a query that matches every document with something in it (`title:*`),
    which Whoosh does by reading every word of the field."""
    if isinstance(leaf, wq.Every) and leaf.fieldname:
        return str(leaf.fieldname)
    if isinstance(leaf, wq.Wildcard | wq.Prefix) and leaf.text in ("*", ""):
        return str(leaf.fieldname)
    return None


def _written(leaf: Any) -> str:
    """The clause as the query wrote it, without the field a word without one is searched in."""
    if field := _every_field(leaf):
        return f"{field}:*"
    if isinstance(leaf, wq.Prefix):
        return f"{leaf.text}*"
    if isinstance(leaf, wq.FuzzyTerm):
        return f"{leaf.text}~{leaf.maxdist if leaf.maxdist != 1 else ''}"
    if isinstance(leaf, wq.TermRange):
        return f"{leaf.fieldname}:[{leaf.start or ''} to {leaf.end or ''}]"
    return str(getattr(leaf, "text", leaf))


class Expansion:
    """The patterns of the queries of one search, expanded in each segment of `searcher`;
    `text` is the query text, for errors; `dates` gives every document's date (as Whoosh
    stores it, 0 for none), for ranges of dates within a query; `vocabularies` are the
    searcher's words in memory, for fuzzy words (kept by the engine from search to search)."""

    def __init__(
        self,
        searcher: Any,
        text: str,
        *,
        dates: Callable[[], Sequence[int]] | None = None,
        vocabularies: Vocabularies | None = None,
    ) -> None:
        self._searcher = searcher
        leaves = searcher.leaf_searchers()
        self._readers = [sub.reader() for sub, _ in leaves]
        self._offsets = [offset for _, offset in leaves] + [searcher.reader().doc_count_all()]
        self._text = text
        self._dates = dates
        self._vocabularies = vocabularies or Vocabularies()
        self._date_values: Sequence[int] | None = None
        self._words: dict[Any, list[list[Word]]] = {}  # pattern -> its words, by segment
        self._fields: dict[tuple[int, str, float], Any] = {}  # a field's *, by segment
        self._plain: dict[int, tuple[Any, bool]] = {}  # id(query) -> (query, nothing to swap)

    def check(self, query: Any) -> None:
        """Expand the patterns of `query`: QueryLimitError when it would search more than
        MAX_CLAUSES terms."""
        total = 0
        by_clause: dict[str, int] = {}  # words matched by each pattern, in all its fields
        for leaf in query.leaves():
            field = _every_field(leaf)
            if _expands(leaf):
                count = self._count(leaf)
            elif field is not None and not self._searcher.schema[field].scorable:
                # (found from the field's lengths when it keeps them; else from its words)
                count = sum(1 for _ in islice(self._lexicon(field), MAX_CLAUSES + 1))
            else:
                count = 1
            total += count
            if count > 1 or _expands(leaf):
                clause = _written(leaf)
                by_clause[clause] = by_clause.get(clause, 0) + count
                if by_clause[clause] > MAX_CLAUSES:
                    raise self._error(
                        f"{clause} matches more than {MAX_CLAUSES:,} words of the index", clause
                    )
            if total > MAX_CLAUSES:
                raise self._error(
                    f"it searches more than {MAX_CLAUSES:,} terms once its wildcards, prefixes "
                    "and fuzzy words are expanded (a word without a field counts once for "
                    "every field it is searched in)",
                    None,
                )

    def _lexicon(self, field: str) -> Any:
        return self._searcher.reader().lexicon(field)

    def _count(self, leaf: Any) -> int:
        """How many distinct words `leaf` matches in the index (at most MAX_CLAUSES + 1)."""
        found = self._words.get(leaf)
        if found is None:
            found, seen = [], set()
            for number, reader in enumerate(self._readers):
                words = []
                for word in segment_words(leaf, number, reader, self._vocabularies):
                    words.append(word)
                    seen.add(word)
                    if len(seen) > MAX_CLAUSES:
                        return len(seen)
                found.append(words)
            self._words[leaf] = found
        return len({word for words in found for word in words})

    def _error(self, message: str, clause: str | None) -> QueryLimitError:
        where = self._text.lower().find(clause.lower()) if clause else -1
        return QueryLimitError(
            self._text,
            message,
            limit="MAX_CLAUSES",
            value=MAX_CLAUSES,
            position=where if where >= 0 else None,
            hint=_NARROWER if clause else "use fewer words, or fewer and narrower patterns",
        )

    def segment(self, number: int, query: Any) -> Any:
        """`query` for segment `number`: its patterns with their words there (the query
        itself when it has none: most queries, asked about once per segment)."""
        plain = self._plain.get(id(query))
        if plain is None or plain[0] is not query:
            plain = self._plain[id(query)] = (query, not any(map(self._swaps, query.leaves())))
        if plain[1]:
            return query

        def swap(q: Any) -> Any:
            if field := _every_field(q):
                return self._field_documents(number, field, q.boost)
            if isinstance(q, wq.NumericRange) and q.fieldname == "published" and self._dates:
                return date_documents(q, self._readers[number], self._dated(q, number))
            if not _expands(q):
                return q
            if q not in self._words:
                self.check(q)
            return Expanded(q, self._words[q][number])

        return query.accept(swap)

    def _swaps(self, leaf: Any) -> bool:
        """Whether segment() puts something else in the place of `leaf`."""
        if _every_field(leaf) or _expands(leaf):
            return True
        return (
            isinstance(leaf, wq.NumericRange)
            and leaf.fieldname == "published"
            and bool(self._dates)
        )

    def _field_documents(self, number: int, field: str, boost: float) -> Any:
        """A field's `*` in segment `number` (found once per search: it reads every document's
        length in the field)."""
        key = (number, field, boost)
        found = self._fields.get(key)
        if found is None:
            found = field_documents(wq.Every(field, boost=boost), self._readers[number])
            self._fields[key] = found
        return found

    def _dated(self, q: Any, number: int) -> list[int]:
        """The documents of segment `number` (local numbers) whose date is in the range `q`."""
        if self._date_values is None:
            assert self._dates is not None
            self._date_values = self._dates()
        dates, start, end = self._date_values, self._offsets[number], self._offsets[number + 1]
        low, high = q.start, q.end
        return [
            d - start
            for d in range(start, end)
            if (value := dates[d])
            and (low is None or (value > low if q.startexcl else value >= low))
            and (high is None or (value < high if q.endexcl else value <= high))
        ]

    def words(self, leaf: Any) -> set[str] | None:
        """The words a pattern of a checked query matches in the whole index; None when
        `leaf` is no pattern."""
        if not _expands(leaf):
            return None
        return {
            word.decode("utf-8") if isinstance(word, bytes) else word
            for words in self._words.get(leaf, ())
            for word in words
        }
