"""Field values -> postings, as Whoosh's analysers would make them, faster.

Whoosh analyses a value through a chain of generators, one Token object passing through every
filter, token by token. For the chains searchkit's schema uses (a regex or ID tokenizer, then
lowercase, charset, substitution, stop and stem filters, into a Positions or Existence format)
fast_index() computes the same postings, reading each filter's own settings: every one of
these filters acts on one token at a time, so what becomes of a token text is worked out once
and remembered. Any other tokenizer, filter, field type or format goes through field.index()
unchanged, and a self-check at set-up compares both on sample text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    IDTokenizer,
    LowercaseFilter,
    PyStemmerFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    SubstitutionFilter,
)
from whoosh.fields import DATETIME, FieldType
from whoosh.formats import Existence, Positions
from whoosh.util.numeric import to_sortable

Postings = tuple[tuple[bytes, int, float, bytes], ...]

_SELF_CHECK = (
    "",
    "The Cat's 3 cats ran; the U.S. isn’t Émile's — café, 1.5% o'clock a I x",
    "Trump’s ‘America First’ haves: stopping, banned, running... ran\tRAN run",
    "Line one\nLine Two\n\nhttps://www.huffpost.com/entry/a-b_n_1?x=1#frag\n",
    "naïve Zoë, São Paulo, Ærø; 東京 😀 x1 a.b.c don't it's",
)


# Distinct raw tokens remembered per stemming analyzer (about 250 bytes each): the common
# words, which are most of the tokens; a rare word costs one stem call more.
_MEMO_LIMIT = 200_000


def _token_steps(items: Sequence[Any]) -> list[tuple[str, Any]] | None:
    """The filters after the tokenizer as steps: ("map", str -> str) or ("stop", test) where
    test(text) is True for a token the filter removes. None if a filter is not known here."""
    steps: list[tuple[str, Any]] = []
    for item in items:
        kind = type(item)
        if kind is LowercaseFilter:
            steps.append(("map", str.lower))
        elif kind is CharsetFilter:
            steps.append(("map", lambda t, charmap=item.charmap: t.translate(charmap)))
        elif kind is SubstitutionFilter:
            steps.append(("map", lambda t, f=item.pattern.sub, r=item.replacement: f(r, t)))
        elif kind is StopFilter:
            stops, minsize, maxsize = item.stops, item.min, item.max
            steps.append(
                (
                    "stop",
                    lambda t, stops=stops, lo=minsize, hi=maxsize: (
                        len(t) < lo or (hi is not None and len(t) > hi) or t in stops
                    ),
                )
            )
        elif kind is StemFilter or kind is PyStemmerFilter:
            stem, ignore = item._stem, item.ignore
            steps.append(("map", lambda t, stem=stem, ignore=ignore: t if t in ignore else stem(t)))
        else:
            return None
    return steps


TokenMemos = dict[int, dict[str, tuple[str, int]]]


def fast_index(field: Any, memos: TokenMemos | None = None) -> Callable[[Any], Postings] | None:
    """A function equal to `tuple(field.index(value))` (up to the order of the terms) for
    text values, when the field's analyzer and format are ones this module knows; else None.

    Every filter known here acts on one token at a time, so the outcome for a token text (its
    final text, or which stop filter removes it) is computed once and remembered; positions
    are then renumbered the way each StopFilter does it. Fields that share an analyzer object
    share what is remembered when given the same `memos` (keyed by the analyzer's id; the
    caller keeps the analyzers alive): stemming is the costliest step, and title, excerpt
    and body repeat each other's words."""
    if type(field).index is not FieldType.index:
        return None
    fmt = field.format
    if type(fmt) not in (Positions, Existence):
        return None
    analyzer = field.analyzer
    boost = fmt.field_boost
    if type(analyzer) is IDTokenizer and type(fmt) is Existence:
        # The whole value is the one term (ID fields: ids, paths, kinds).
        def whole(value: Any) -> Postings:
            if type(value) is not str:
                return tuple(field.index(value))
            return ((value.encode("utf-8"), 1, boost, b""),)

        return whole if all(whole(v) == tuple(field.index(v)) for v in _SELF_CHECK) else None
    items = list(analyzer.items) if type(analyzer) is CompositeAnalyzer else [analyzer]
    tokenizer = items[0]
    if type(tokenizer) is not RegexTokenizer or tokenizer.gaps:
        return None
    steps = _token_steps(items[1:])
    if steps is None:
        return None
    renumbers = [item.renumber for item in items[1:] if type(item) is StopFilter]
    expression = tokenizer.expression
    split: Callable[[str], list[str]] = (
        expression.findall
        if not expression.groups
        else lambda value: [m.group(0) for m in expression.finditer(value)]
    )
    # Only stemming is worth remembering: lowercasing and stop words cost less than a lookup,
    # and the analyzers without a stemmer (links, domains) see mostly unique tokens, which
    # would fill the memo with URLs that never come back.
    stems = any(type(item) in (StemFilter, PyStemmerFilter) for item in items[1:])
    memo: dict[str, tuple[str, int]] = (
        {} if memos is None or not stems else memos.setdefault(id(analyzer), {})
    )
    limit = _MEMO_LIMIT if stems else 0

    def outcome(text: str) -> tuple[str, int]:
        """(final text, -1), or (text, k) when the k-th stop filter removes the token."""
        k = 0
        for step, fn in steps:
            if step == "map":
                text = fn(text)
            elif fn(text):
                return text, k
            else:
                k += 1
        return text, -1

    def tokens(value: str) -> list[tuple[int, str, int]]:
        found = []
        for pos, raw in enumerate(split(value)):
            result = memo.get(raw)
            if result is None:
                result = outcome(raw)
                if len(memo) < limit:
                    memo[raw] = result
            found.append((pos, *result))
        for k, renumber in enumerate(renumbers):
            found = [token for token in found if token[2] != k]
            if renumber and found:
                # The first token left keeps its position; the others follow it.
                first = found[0][0]
                found = [(first + i, text, r) for i, (_p, text, r) in enumerate(found)]
        return found

    if type(fmt) is Positions:
        encode = fmt.encode
        # Most words occur once in a field: their encoded position is shared (pickling a
        # postings block then refers to it instead of repeating it; it reads back the same).
        single: dict[int, bytes] = {}

        def encode_once(plist: list[int]) -> bytes:
            if len(plist) > 1:
                return encode(plist)  # type: ignore[no-any-return]
            found = single.get(plist[0])
            if found is None:
                found = single[plist[0]] = encode(plist)
            return found

        def positions(value: Any) -> Postings:
            if type(value) is not str:
                return tuple(field.index(value))
            poses: dict[str, list[int]] = {}
            for pos, text, _r in tokens(value):
                found = poses.get(text)
                if found is None:
                    poses[text] = [pos]
                else:
                    found.append(pos)
            return tuple(
                (text.encode("utf-8"), len(plist), float(len(plist)) * boost, encode_once(plist))
                for text, plist in poses.items()
            )

        index = positions
    else:

        def existence(value: Any) -> Postings:
            if type(value) is not str:
                return tuple(field.index(value))
            texts = dict.fromkeys(text for _p, text, _r in tokens(value))
            return tuple((text.encode("utf-8"), 1, boost, b"") for text in texts)

        index = existence
    for sample in _SELF_CHECK:
        if sorted(index(sample)) != sorted(field.index(sample)):
            return None
    return index


def _fast_datetime(field: Any) -> Callable[[Any], Postings] | None:
    """`tuple(field.index(value))` for a DATETIME field and a datetime value, converting the
    value once instead of once per precision tier."""
    if type(field) is not DATETIME or not field.shift_step:
        return None
    shifts = range(0, field.bits, field.shift_step)
    numtype, bits, signed = field.numtype, field.bits, field.signed

    def index(value: Any) -> Postings:
        if type(value) is not datetime:
            return tuple(field.index(value))
        x = to_sortable(numtype, bits, signed, field.prepare_number(field.prepare_datetime(value)))
        return tuple((field.sortable_to_bytes(x, shift), 1, 1.0, b"") for shift in shifts)

    if index(_SELF_CHECK_DATE) != tuple(field.index(_SELF_CHECK_DATE)):
        return None
    return index


_SELF_CHECK_DATE = datetime(2021, 5, 3, 18, 50, 7, 123456)


class Analysis:
    """`field.index(value)` for one field: through fast_index() when it applies, and memoised
    for repeated values (topics, providers, kinds); a field whose values rarely repeat
    (titles, ids) stops being memoised after a trial."""

    TRIAL = 2000
    MIN_HIT_RATE = 0.5
    MAX_ENTRIES = 50_000

    def __init__(self, field: Any, memos: TokenMemos | None = None) -> None:
        self._field = field
        self._index = fast_index(field, memos) or _fast_datetime(field) or self._whoosh_index
        self.entries: dict[Any, Postings] = {}  # value (or (type, value)) -> postings
        self.lookups = 0
        self.hits = 0
        self.memoise = True

    def _whoosh_index(self, value: Any) -> Postings:
        return tuple(self._field.index(value))

    def __call__(self, value: Any) -> Postings:
        if not self.memoise:
            return self._index(value)
        self.lookups += 1
        key = value if type(value) is str else (type(value), value)
        try:
            found = self.entries.get(key)
        except TypeError:  # unhashable (a list of values)
            return self._index(value)
        if found is not None:
            self.hits += 1
            return found
        if self.lookups >= self.TRIAL and self.hits < self.lookups * self.MIN_HIT_RATE:
            self.memoise = False
            self.entries = {}
            return self._index(value)
        postings = self._index(value)
        if len(self.entries) < self.MAX_ENTRIES:
            self.entries[key] = postings
        return postings
