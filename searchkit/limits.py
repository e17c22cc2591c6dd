"""The caps on what one query may ask for, chosen the way Lucene and Elasticsearch bound theirs,
and the checks of the query text that enforce them while it is parsed.

A query past a cap raises QueryLimitError (a QueryError) that names the cap, where the query
goes past it and how to narrow it; nothing is silently clamped. The caps keep every query
cheap; the time budget of a search (DEFAULT_TIME_BUDGET) is only the last resort. The count of
terms a query searches once its wildcards, prefixes and fuzzy words are expanded needs the
index: search/expansion.py checks it against MAX_CLAUSES.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from whoosh.qparser import BoostPlugin, FuzzyTermPlugin, WildcardPlugin, syntax

from .errors import QueryLimitError

MAX_QUERY_LENGTH = 1_000  # characters of query text
MAX_NESTING = 20  # levels of parentheses (Elasticsearch's indices.query.max_nested_depth)
# Terms one query may search, each wildcard, prefix or fuzzy word counted as the index words
# it expands to and each word once per field it is searched in (Lucene's max clause count).
MAX_CLAUSES = 1_024
MAX_FUZZY_EDITS = 2  # word~N: at most N edits (Lucene's Levenshtein automata stop at 2)
# Each fuzzy word walks a Levenshtein automaton, which grows with the word, through the
# index's vocabulary (in Python): like Lucene's "term too complex", past these it is refused.
MAX_FUZZY_WORDS = 8  # fuzzy words in one query
MAX_FUZZY_LENGTH = 32  # characters of a fuzzy word
MIN_WILDCARD_PREFIX = 1  # characters before a wildcard's first * or ? (no leading wildcard)
MIN_BOOST = 0.001  # word^B: B in [MIN_BOOST, MAX_BOOST]; 0 would divide by zero in Whoosh,
MAX_BOOST = 1_000.0  # and huge ones overflow scores
DEFAULT_TIME_BUDGET = 5.0  # seconds a search may take before it returns what it has found

_FIELD_COUNT_HINT = "each word without a field: counts once for every field searched"


def check_text(query: str) -> None:
    """The checks that need the text only: its length and how deep its parentheses go."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryLimitError(
            query,
            f"it is {len(query):,} characters long, more than {MAX_QUERY_LENGTH:,}",
            limit="MAX_QUERY_LENGTH",
            value=MAX_QUERY_LENGTH,
            position=MAX_QUERY_LENGTH,
            hint="shorten it: keep the words that matter most",
        )
    depth, quoted = 0, False
    for i, ch in enumerate(query):
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise QueryLimitError(
                    query,
                    f"parentheses nest more than {MAX_NESTING} deep",
                    limit="MAX_NESTING",
                    value=MAX_NESTING,
                    position=i,
                    hint="remove parentheses that group a single clause",
                )
        elif ch == ")":
            depth = max(0, depth - 1)


def check_clauses(query: str, count: int) -> None:
    """`count` terms (as parsed, before expansion) are more than MAX_CLAUSES."""
    if count > MAX_CLAUSES:
        raise QueryLimitError(
            query,
            f"it searches {count:,} terms, more than {MAX_CLAUSES:,}",
            limit="MAX_CLAUSES",
            value=MAX_CLAUSES,
            hint=f"use fewer words, or name the field to search ({_FIELD_COUNT_HINT})",
        )


def check_fuzzy(query: str, words: list[tuple[str, int | None]]) -> None:
    """The fuzzy words of a query (each with where it is written) against MAX_FUZZY_LENGTH
    and MAX_FUZZY_WORDS."""
    for word, position in words:
        if len(word) > MAX_FUZZY_LENGTH:
            raise QueryLimitError(
                query,
                f"the fuzzy word {word[:MAX_FUZZY_LENGTH]}… is longer than "
                f"{MAX_FUZZY_LENGTH} characters",
                limit="MAX_FUZZY_LENGTH",
                value=MAX_FUZZY_LENGTH,
                position=position,
                hint="drop the ~ of a word this long: it is searched as it is written",
            )
    if len(words) > MAX_FUZZY_WORDS:
        raise QueryLimitError(
            query,
            f"it has {len(words)} fuzzy words (word~), more than {MAX_FUZZY_WORDS}",
            limit="MAX_FUZZY_WORDS",
            value=MAX_FUZZY_WORDS,
            position=words[MAX_FUZZY_WORDS][1],
            hint="keep the ~ on the words most likely misspelt",
        )


class Refusal(Exception):
    """Raised by the checking plugins inside Whoosh's parser, which sees the text with the
    date clauses rewritten: the parser turns it into a QueryLimitError at the position in the
    text the user wrote (`error`)."""

    def __init__(self, position: int, make: Callable[[str, int], QueryLimitError]) -> None:
        super().__init__(position)
        self.position = position
        self._make = make

    def error(self, query: str, position: int) -> QueryLimitError:
        return self._make(query, position)


class CheckedBoostPlugin(BoostPlugin):  # type: ignore[misc]
    """Whoosh's `^B` boosts, refusing B outside [MIN_BOOST, MAX_BOOST] (zero, which makes
    Whoosh divide by zero, and numbers so large that scores overflow)."""

    def create(self, parser: Any, match: Any) -> Any:
        node = super().create(parser, match)
        if isinstance(node, self.BoostNode) and not (
            math.isfinite(node.boost) and MIN_BOOST <= node.boost <= MAX_BOOST
        ):
            text = match.group(0)

            def make(query: str, position: int) -> QueryLimitError:
                return QueryLimitError(
                    query,
                    f"the boost {text} is outside {MIN_BOOST:g} to {MAX_BOOST:g}",
                    limit="MAX_BOOST",
                    value=MAX_BOOST,
                    position=position,
                    hint=f"use a boost from {MIN_BOOST:g} to {MAX_BOOST:g}, e.g. word^2",
                )

            raise Refusal(match.start(), make)
        return node


class CheckedFuzzyTermPlugin(FuzzyTermPlugin):  # type: ignore[misc]
    """Whoosh's `word~N` fuzzy words, reading N of any length (Whoosh reads one digit, so
    that `word~99` meant `word~9` followed by the word 9) and refusing N > MAX_FUZZY_EDITS."""

    expr = re.compile(
        FuzzyTermPlugin.expr.pattern.replace("[0-9])?", "[0-9]+)?", 1), FuzzyTermPlugin.expr.flags
    )

    def create(self, parser: Any, match: Any) -> Any:
        edits = match.group("maxdist")
        if edits and (len(edits) > 3 or int(edits) > MAX_FUZZY_EDITS):
            text = match.group(0)

            def make(query: str, position: int) -> QueryLimitError:
                return QueryLimitError(
                    query,
                    f"{text} allows more edits than {MAX_FUZZY_EDITS}",
                    limit="MAX_FUZZY_EDITS",
                    value=MAX_FUZZY_EDITS,
                    position=position,
                    hint=f"use word~ (1 edit) or word~{MAX_FUZZY_EDITS}",
                )

            raise Refusal(match.start(), make)
        return super().create(parser, match)


class CheckedWildcardPlugin(WildcardPlugin):  # type: ignore[misc]
    """Whoosh's wildcards, refusing those with fewer than MIN_WILDCARD_PREFIX characters
    before the first * or ?, which would scan the whole vocabulary (`*` alone, everything,
    stays allowed)."""

    def do_wildcards(self, parser: Any, group: Any) -> Any:
        group = super().do_wildcards(parser, group)
        for node in group:
            if isinstance(node, syntax.GroupNode):
                continue  # super() has handled the inner groups, and they come here in turn
            if isinstance(node, self.WildcardNode) and node.text != "*":
                wildcards = "*" + self.qmarks
                before = next(i for i, ch in enumerate(node.text + "*") if ch in wildcards)
                if before < MIN_WILDCARD_PREFIX:
                    raise Refusal(node.startchar or 0, _leading_wildcard(node.text))
        return group


def install(parser: Any) -> None:
    """Put the checking plugins in place of Whoosh's boost and wildcard plugins in `parser`
    (in place, so that the order of plugins, which breaks ties, stays as it was), and add
    the checking fuzzy-word plugin."""
    checked = {BoostPlugin: CheckedBoostPlugin, WildcardPlugin: CheckedWildcardPlugin}
    parser.plugins = [checked[type(p)]() if type(p) in checked else p for p in parser.plugins]
    parser.add_plugin(CheckedFuzzyTermPlugin())


def _leading_wildcard(text: str) -> Callable[[str, int], QueryLimitError]:
    def make(query: str, position: int) -> QueryLimitError:
        return QueryLimitError(
            query,
            f"{text} starts with a wildcard, which would scan every word of the index",
            limit="MIN_WILDCARD_PREFIX",
            value=MIN_WILDCARD_PREFIX,
            position=position,
            hint=f"put at least {MIN_WILDCARD_PREFIX} letter before the first * or ?, "
            "or use * alone to browse everything",
        )

    return make
