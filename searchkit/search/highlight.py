"""Highlighted titles and snippets as segments, using the index's own analyzer.

A word is marked when its analysed form (the stem) is one the query searched for, so
"banned" in a title is marked for the query "ban".
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..results import Span

SNIPPET_CHARS = 220


def segments(text: str, terms: Collection[str], analyzer: Any) -> tuple[Span, ...]:
    """The whole text, split into matching and non-matching runs."""
    spans = _match_spans(text, terms, analyzer)
    return _split(text, spans, 0, len(text))


def snippet(
    text: str, terms: Collection[str], analyzer: Any, width: int = SNIPPET_CHARS
) -> tuple[tuple[Span, ...], bool]:
    """A window of about `width` characters around the first match; (segments, matched)."""
    spans = _match_spans(text, terms, analyzer)
    if len(text) <= width:
        return _split(text, spans, 0, len(text)), bool(spans)
    if spans:
        first = spans[0][0]
        start = max(0, first - width // 4)
        start = text.rfind(" ", 0, start) + 1 if start > 0 else 0
    else:
        start = 0
    end = min(len(text), start + width)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start + width // 2 else end
    parts = list(_split(text, spans, start, end))
    if start > 0:
        parts.insert(0, Span("…"))
    if end < len(text):
        parts.append(Span("…"))
    return tuple(parts), bool(spans)


def _match_spans(text: str, terms: Collection[str], analyzer: Any) -> list[tuple[int, int]]:
    if not terms or not text:
        return []
    return [
        (t.startchar, t.endchar)
        for t in analyzer(text, chars=True, removestops=False)
        if t.text in terms
    ]


def _split(text: str, spans: list[tuple[int, int]], start: int, end: int) -> tuple[Span, ...]:
    out: list[Span] = []
    pos = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > pos:
            out.append(Span(text[pos:s]))
        out.append(Span(text[s:e], True))
        pos = e
    if pos < end:
        out.append(Span(text[pos:end]))
    return tuple(out)
