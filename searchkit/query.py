"""Query text -> a Whoosh query: aliases, date clauses, validation, ranking clauses.

The Whoosh query language is kept (AND/OR/NOT, "phrases", field:value, wildcards, word~,
boosts); on top of it come friendly field names (`topic:`, `source:`, `date:`), date clauses
that accept years, months, days, ranges and relative dates, and errors that name the position
and suggest the field that was probably meant.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from whoosh import query as wq
from whoosh.qparser import AndGroup, FieldAliasPlugin, GtLtPlugin, MultifieldParser, OrGroup
from whoosh.qparser.plugins import PlusMinusPlugin

from . import dates, limits
from .errors import QueryError
from .filters import FilterValueError, resolve_kind
from .results import Fallback
from .schema import TEXT_FIELDS
from .whoosh_seam.errors import parsing

# What users may write before a colon -> the schema field it means.
FIELD_ALIASES: dict[str, str] = {
    "title": "title",
    "excerpt": "excerpt",
    "body": "body",
    "text": "body",
    "topic": "topic",
    "topics": "topic",
    "category": "topic",
    "provider": "provider",
    "source": "provider",
    "publisher": "provider",
    "domain": "domain",
    "site": "domain",
    "date": "published",
    "published": "published",
    "kind": "kind",
    "type": "kind",
    "id": "id",
    "url": "id",
    "links": "links",
}

_DATE_CLAUSE = re.compile(
    r"(?<![\w:])(?:date|published):(\[[^\]]*\]|\{[^}]*\}|\"[^\"]*\"|'[^']*'|[<>]=?-?[\w:.+-]+|"
    r"-?[\w:.+-]+)",
    re.IGNORECASE,
)
_FIELD_PREFIX = re.compile(r"(?<![\w:/\"'])([A-Za-z_][\w-]*):(?=[^\s/])")
_PLACEHOLDER = "skdate{}x"
# Words only: no fields, operators, quotes, wildcards or groups.
_PLAIN_WORDS = re.compile(
    r"(?!.*\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b)(?!(?:.*\s)?')[^:\"()*?~^\[\]{}+<>=-]*"
)
MAX_DROP_ONE_WORDS = 6
# Tuned on a known-item test over the shared corpus (bench/bench_search.py).
TITLE_ALL_BOOST = 4.0
TITLE_PHRASE_BOOST = 2.0


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query ready to run, with what the user should see of it."""

    text: str
    query: Any  # whoosh.query.Query
    resolved: str  # the text with date clauses resolved to absolute ranges
    date_ranges: tuple[dates.DateRange, ...]
    terms: frozenset[str]  # analysed words to highlight
    match_all: bool  # empty query or "*": browse
    # Plain words only: all but one word ("drop-one"), then any word ("any-word"), each with
    # its name (parsed when asked for).
    fallbacks: Callable[[], tuple[tuple[Fallback, Any], ...]] = tuple
    title_phrase: Any = None  # plain words only: a bonus for the words close in the title
    date_range: dates.DateRange | None = None  # date clauses ANDed at the top, applied apart


def _make_parser(schema: Any, *, any_word: bool = False) -> MultifieldParser:
    group = OrGroup.factory(0.9) if any_word else AndGroup
    parser = MultifieldParser(list(TEXT_FIELDS), schema, fieldboosts=TEXT_FIELDS, group=group)
    limits.install(parser)  # boosts, fuzzy words and wildcards within the caps
    parser.add_plugin(GtLtPlugin())
    parser.add_plugin(PlusMinusPlugin())
    aliases: dict[str, list[str]] = {}
    for alias, target in FIELD_ALIASES.items():
        if alias != target:
            aliases.setdefault(target, []).append(alias)
    parser.add_plugin(FieldAliasPlugin(aliases))
    return parser


class QueryParser:
    """Parses query text against one schema; `now` resolves relative dates."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema
        self._parser = _make_parser(schema)
        self._any_parser = _make_parser(schema, any_word=True)

    def parse(self, text: str, *, now: datetime) -> ParsedQuery:
        limits.check_text(text)  # first: what follows costs more the longer the text
        stripped = text.strip()
        if stripped in ("", "*", "*:*"):
            return ParsedQuery(text, wq.Every(), "*", (), frozenset(), True)
        _check_balance(text)
        ranges: list[dates.DateRange] = []
        resolved_parts: list[str] = []
        moved: list[tuple[int, int, int]] = []  # (where, length written, length now)

        def replace(match: re.Match[str]) -> str:
            try:
                rng = dates.parse_range(match.group(1), now)
            except dates.DateSpecError as exc:
                raise QueryError(text, str(exc), position=match.start(), hint=exc.hint) from None
            ranges.append(rng)
            resolved_parts.append(f"date:{rng.describe()}")
            placeholder = f"id:{_PLACEHOLDER.format(len(ranges) - 1)}"
            moved.append((match.start(), len(match.group(0)), len(placeholder)))
            return placeholder

        rewritten = _DATE_CLAUSE.sub(replace, text)
        leftover = re.search(r"(?<![\w:])(?:date|published):", rewritten, re.IGNORECASE)
        if leftover:
            raise QueryError(
                text,
                "date: needs a date",
                position=text.lower().find(leftover.group(0).lower()),
                hint=dates.HELP,
            )
        _check_fields(text, rewritten)
        # Whoosh matches field names case-sensitively; Title: means title: here.
        rewritten = _FIELD_PREFIX.sub(lambda m: m.group(1).lower() + ":", rewritten)
        with parsing(text):
            try:
                parsed = self._parser.parse(rewritten)
            except limits.Refusal as refusal:
                raise refusal.error(text, _written(refusal.position, moved)) from None
        try:
            parsed = parsed.accept(lambda q: _rewrite(q, ranges))
        except _BadKind as exc:
            raise QueryError(
                text,
                f"unknown kind {exc}",
                position=text.lower().find("kind:"),
                hint="use kind:article or kind:related",
            ) from None
        if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
            parsed = self._stop_words_query(text)
        self._check_limits(text, parsed, moved)
        parsed, date_range = _split_dates(parsed, ranges)
        resolved_iter = iter(resolved_parts)
        resolved = _DATE_CLAUSE.sub(lambda _m: next(resolved_iter), text)
        fallbacks: Callable[[], tuple[tuple[Fallback, Any], ...]] = tuple
        phrase = None
        if _PLAIN_WORDS.fullmatch(text):
            stems = [t.text for t in self._schema["title"].analyzer(text)]
            if len(stems) > 1:
                # Bonus for documents whose title holds every word, more if close together.
                phrase = wq.Or(
                    [
                        wq.And([wq.Term("title", stem) for stem in stems], boost=TITLE_ALL_BOOST),
                        wq.Phrase("title", stems, slop=3, boost=TITLE_PHRASE_BOOST),
                    ]
                )
                fallbacks = partial(self._fallbacks, text)
        return ParsedQuery(
            text,
            parsed,
            resolved,
            tuple(ranges),
            _highlight_terms(parsed),
            False,
            fallbacks,
            phrase,
            date_range,
        )

    @staticmethod
    def _check_limits(text: str, parsed: Any, moved: list[tuple[int, int, int]]) -> None:
        """The caps on clauses and fuzzy words (searchkit.limits) that the parsed query shows.
        A word without a field: is one fuzzy word however many fields it is searched in."""
        leaves = list(parsed.leaves())
        limits.check_clauses(text, len(leaves))
        fuzzy: dict[tuple[str, int, int], int | None] = {}
        for leaf in leaves:
            if isinstance(leaf, wq.FuzzyTerm):
                where = getattr(leaf, "startchar", None)
                key = (leaf.text, leaf.maxdist, leaf.prefixlength)
                fuzzy.setdefault(key, None if where is None else _written(where, moved))
        limits.check_fuzzy(text, [(key[0], where) for key, where in fuzzy.items()])

    def _fallbacks(self, text: str) -> tuple[tuple[Fallback, Any], ...]:
        """For plain words: all words but one (as alternatives), then any of the words. Only
        a search that matches nothing needs them, and parsing them costs more than most
        searches, so ParsedQuery holds this, bound to the text, rather than its result."""
        # The words that search something: "0 last week" or "the white house" is two words,
        # and all of two words but one is not most of them.
        analyzer = self._schema["title"].analyzer
        words = [w for w in text.split() if any(True for _ in analyzer(w))]
        fallbacks: list[tuple[Fallback, Any]] = []
        try:
            with parsing(text):
                fallbacks.extend(self._parse_fallbacks(text, words))
        except QueryError:  # Whoosh's parser on odd input: no fallback, not a failure
            return ()
        return tuple(fallbacks)

    def _parse_fallbacks(self, text: str, words: list[str]) -> list[tuple[Fallback, Any]]:
        fallbacks: list[tuple[Fallback, Any]] = []
        if 3 <= len(words) <= MAX_DROP_ONE_WORDS:
            drop_one = [" ".join(words[:i] + words[i + 1 :]) for i in range(len(words))]
            fallbacks.append(("drop-one", wq.Or([self._parser.parse(t) for t in drop_one])))
        fallbacks.append(("any-word", self._any_parser.parse(text)))
        return fallbacks

    def _stop_words_query(self, text: str) -> Any:
        """A query of stop words only ("being", "the who") searches the unstemmed vocabulary,
        which keeps them, rather than nothing."""
        words = [t.text for t in self._schema["words"].analyzer(text)]
        if not words:
            raise QueryError(
                text,
                "nothing searchable is left (only symbols or one-letter words?)",
                hint="try other words, or * to browse everything",
            )
        return wq.And([wq.Term("words", w) for w in words])


def _check_balance(text: str) -> None:
    opened: list[int] = []
    in_quote = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote
        elif not in_quote and ch == "(":
            opened.append(i)
        elif not in_quote and ch == ")":
            if not opened:
                raise QueryError(text, "a ')' closes nothing", position=i)
            opened.pop()
    if in_quote:
        raise QueryError(
            text, "a '\"' is not closed", position=text.rfind('"'), hint='close the phrase with "'
        )
    if opened:
        raise QueryError(text, "a '(' is not closed", position=opened[-1])


def _written(position: int, moved: list[tuple[int, int, int]]) -> int:
    """A position in the rewritten text as a position in the text written, `moved` being
    the date clauses replaced (their place in the text written, their length there and in
    the rewritten text)."""
    shift = 0
    for where, before, after in moved:
        if position < where + shift:
            break
        if position < where + shift + after:
            return where
        shift += after - before
    return position - shift


def _check_fields(original: str, rewritten: str) -> None:
    known = set(FIELD_ALIASES)
    for match in _FIELD_PREFIX.finditer(rewritten):
        name = match.group(1)
        if name.lower() in known or name in ("id",):
            continue
        close = difflib.get_close_matches(name.lower(), sorted(known), n=1, cutoff=0.6)
        hint = (
            f"did you mean {close[0]}:?"
            if close
            else ("known fields: " + ", ".join(sorted(k for k in known if k not in ("links",))))
        )
        position = original.find(match.group(0))
        raise QueryError(
            original,
            f"unknown field {name}:",
            position=position if position >= 0 else None,
            hint=hint,
        )


def _rewrite(q: Any, ranges: list[dates.DateRange]) -> Any:
    """Swap date placeholders for ranges, match providers by name or domain, map kinds; a
    fuzzy word's exact prefix (`word~1/6`) is at most the word (Whoosh reads past its end)."""
    if isinstance(q, wq.FuzzyTerm) and q.prefixlength > len(q.text):
        q.prefixlength = len(q.text)  # (accept() hands this function a copy)
    if isinstance(q, wq.Term):
        field, value = q.fieldname, q.text
        if field == "id" and isinstance(value, str) and re.fullmatch(r"skdate\d+x", value):
            rng = ranges[int(value[6:-1])]
            return wq.DateRange("published", _naive(rng.start), _naive(rng.end), endexcl=True)
        if field == "provider":
            return wq.Or([wq.Term("provider", value), wq.Term("domain", value)], boost=q.boost)
        if field == "kind":
            try:
                kind = resolve_kind(str(value))
            except FilterValueError:
                kind = None
            if kind is None:  # unknown, or "all", which only the kind filter takes
                raise _BadKind(str(value))
            return wq.Term("kind", kind)
    return q


class _BadKind(Exception):
    """kind: with a value that is no kind (turned into a QueryError by the parser)."""


def _split_dates(q: Any, ranges: list[dates.DateRange]) -> tuple[Any, dates.DateRange | None]:
    """Take the date clauses that every match must satisfy out of the query: filtering dates
    from a column is far cheaper than Whoosh's range expansion. Others stay in the query."""
    clauses = q.subqueries if isinstance(q, wq.And) else [q]
    kept, found = [], None
    for clause in clauses:
        if isinstance(clause, wq.DateRange) and clause.fieldname == "published":
            rng = dates.DateRange(_aware(clause.startdate), _aware(clause.enddate))
            found = rng if found is None else found.intersect(rng)
        else:
            kept.append(clause)
    if found is None:
        return q, None
    if not kept:
        return wq.Every(), found
    return (kept[0] if len(kept) == 1 else wq.And(kept, boost=q.boost)), found


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None else None


def _naive(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=None) if dt is not None else None


def _highlight_terms(q: Any) -> frozenset[str]:
    words = set()
    for fieldname, text in q.iter_all_terms():
        if fieldname in TEXT_FIELDS and isinstance(text, str):
            words.add(text)
    return frozenset(words)
