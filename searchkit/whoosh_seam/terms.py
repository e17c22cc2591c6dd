"""Term lookups remembered per segment: one read of a term's entry in a segment's term table
per term, not one per question asked about it.

Whoosh asks a segment's term table about a query term several times while it runs the query:
whether the term is there, its document frequency for the scorer's statistics, its term info
for the scorer, and its term info again for the matcher. Each question hashes the term and
reads the table from disk. Lucene looks a term up once per segment per query and hands the
result to both statistics and scoring (TermStates); here the answer is kept in a small
least-recently-used table per segment, so that a query term costs one lookup per segment,
and terms that recur from query to query (common words, facet values) cost none. This is what
makes a second or third segment cheap to search (bench/RESULTS.md, "Processes and segments").

Public-path twin: none needed. On an unverified Whoosh the segments' term tables are left as
they are, which asks the same questions of the disk each time, with the same answers.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from contextlib import suppress
from typing import Any

from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader
from whoosh.reading import MultiReader, TermNotFound

from . import FAST

_ABSENT = object()  # a term that is not in the segment, remembered like one that is


class _RememberingTerms(W3TermsReader):  # type: ignore[misc]
    """A W3 term table whose answers are remembered, up to `_limit` terms."""

    _memo: OrderedDict[bytes, Any]
    _limit: int

    def _lookup(self, fieldname: str, tbytes: bytes) -> Any:
        key = self._keycoder(fieldname, tbytes)
        memo = self._memo
        found = memo.get(key)
        if found is not None:
            with suppress(KeyError):  # another thread's search dropped it meanwhile
                memo.move_to_end(key)
            return found
        raw = self._tindex.get(key)
        found = _ABSENT if raw is None else W3TermInfo.from_bytes(raw)
        memo[key] = found
        if len(memo) > self._limit:
            with suppress(KeyError):
                memo.popitem(last=False)
        return found

    def __contains__(self, term: Any) -> bool:
        return self._lookup(*term) is not _ABSENT

    def term_info(self, fieldname: str, tbytes: bytes) -> Any:
        found = self._lookup(fieldname, tbytes)
        if found is _ABSENT:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return found

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        return self._found(fieldname, tbytes).weight()  # type: ignore[no-any-return]

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        return self._found(fieldname, tbytes).doc_frequency()  # type: ignore[no-any-return]

    def _found(self, fieldname: str, tbytes: bytes) -> Any:
        found = self._lookup(fieldname, tbytes)
        if found is _ABSENT:
            raise KeyError((fieldname, tbytes))  # what Whoosh's own table raises
        return found


def remember_terms(searcher: Any, limit: int) -> None:
    """Have each segment of `searcher` remember the entries of up to `limit` terms (a term
    info is about 200 bytes). Nothing changes on an unverified Whoosh or an unknown table."""
    if not FAST or limit <= 0:
        return
    top = searcher.reader()
    if type(top) is MultiReader:
        top.field_length = functools.cache(top.field_length)  # summed over the segments
    for reader, _offset in top.leaf_readers():
        terms = getattr(reader, "_terms", None)
        if type(terms) is not W3TermsReader:
            continue
        remembering = _RememberingTerms.__new__(_RememberingTerms)
        remembering.__dict__.update(terms.__dict__)
        remembering._memo = OrderedDict()
        remembering._limit = limit
        reader._terms = remembering
        reader.doc_frequency = _remembered_doc_frequency(reader, limit)


def _remembered_doc_frequency(reader: Any, limit: int) -> Any:
    """The segment reader's doc_frequency(), its answers kept (up to `limit`) by the field
    and the text as asked: Whoosh asks it of every term of a compound query at every level
    of the query while it builds the query's matchers (estimate_size, to order their parts),
    and each answer converts the text and hashes the term again."""
    asked = reader.doc_frequency
    memo: dict[tuple[str, Any], int] = {}

    def doc_frequency(fieldname: str, text: Any) -> int:
        if reader.is_closed:
            return asked(fieldname, text)  # type: ignore[no-any-return]  # ReaderClosed
        key = (fieldname, text)
        found = memo.get(key)
        if found is None:
            found = keep(memo, key, asked(fieldname, text), limit)
        return found

    return doc_frequency


def keep(memo: dict[Any, Any], key: Any, value: Any, limit: int) -> Any:
    """Put `value` in `memo` under `key`, the oldest entry out past `limit`; `value`. (The
    memos here are asked from several threads' searches at once: a lost race costs a
    look-up again, never an error.)"""
    memo[key] = value
    if len(memo) > limit:
        with suppress(KeyError, RuntimeError):
            del memo[next(iter(memo))]
    return value


def term_bytes(reader: Any, term: Any) -> tuple[str, bytes] | None:
    """A Term query's (field, bytes) when the segment (`reader`) holds it, else None: where
    Whoosh's Term.matcher() gives a NullMatcher."""
    schema = reader.schema
    if term.fieldname not in schema:
        return None
    try:
        text = schema[term.fieldname].to_bytes(term.text)
    except ValueError:
        return None
    if (term.fieldname, text) not in reader:
        return None
    return term.fieldname, text


__all__ = ["keep", "remember_terms", "term_bytes"]
