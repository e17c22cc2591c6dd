"""Did-you-mean: corrections drawn from the index's own vocabulary (the unstemmed `words` field).

A word is corrected when no document contains it. Candidates share its first letter and are
within two edits; the closest wins, then the most frequent: on a test of single-letter typos
this fixed 93 % of them, against 48 % for Whoosh's frequency-only suggestions (docs/WHOOSH.md).
A query with more than MAX_MISSPELLED unknown words is not taken for a typo (each costs a scan
of the words sharing its first letter): it gets no suggestion, as Elasticsearch's phrase
suggester corrects at most `max_errors` words.
"""

from __future__ import annotations

import re
from typing import Any

from whoosh.support.charset import accent_map

_WORD = re.compile(r"(?<![\w:])([^\W\d_]{3,})(?![\w:(])")
_OPERATORS = {"and", "or", "not", "andnot", "andmaybe", "to"}
MAX_MISSPELLED = 4


def damerau(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, giving up (limit + 1) once it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def fold(word: str) -> str:
    """A word as the `words` field holds it: lower case, accents folded."""
    return word.lower().translate(accent_map)


def max_distance(word: str) -> int:
    return 1 if len(fold(word)) <= 4 else 2


def candidates(reader: Any, word: str) -> dict[str, int]:
    """The words of the index within max_distance of `word` that share its first letter,
    with the number of documents holding each (what a sharded index merges)."""
    folded = fold(word)
    limit = max_distance(word)
    found = {}
    for raw in reader.expand_prefix("words", folded[0]):
        candidate = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if damerau(folded, candidate, limit) <= limit:
            found[candidate] = reader.doc_frequency("words", candidate)
    return found


def best_candidate(word: str, found: dict[str, int]) -> str | None:
    """The closest of the candidates, then the most frequent, then the first in order."""
    folded = fold(word)
    keys = [(damerau(folded, c, max_distance(word)), -n, c) for c, n in found.items()]
    return min(keys)[2] if keys else None


def query_words(text: str) -> set[str]:
    """The plain words of query text that a correction may replace: not field names (before
    ':'), field values (after ':') or operators."""
    return {
        m.group(1)
        for m in _WORD.finditer(text)
        if not (m.group(1).lower() in _OPERATORS and m.group(1).isupper())
    }


def substitute(text: str, better: dict[str, str | None]) -> str | None:
    """`text` with its words replaced by `better`, or None if nothing changed."""
    corrected = _WORD.sub(lambda m: better.get(m.group(1)) or m.group(1), text)
    return corrected if corrected != text else None


def correct_word(reader: Any, word: str) -> str | None:
    """The best in-vocabulary replacement for a word no document contains, or None."""
    if reader.doc_frequency("words", fold(word)) > 0:
        return None
    return best_candidate(word, candidates(reader, word))


def correct_text(reader: Any, text: str) -> str | None:
    """The query text with its unknown plain words corrected, or None if nothing changed (or
    more than MAX_MISSPELLED words are unknown)."""
    unknown = [w for w in query_words(text) if reader.doc_frequency("words", fold(w)) == 0]
    if len(unknown) > MAX_MISSPELLED:
        return None
    return substitute(text, {w: correct_word(reader, w) for w in unknown})
