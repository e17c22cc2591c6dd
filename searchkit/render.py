"""Library values -> text for a terminal or a pipe, and -> JSON. Pure functions, no I/O.

Everything that came from a seed is passed through :func:`sanitize` before it is shown, so a
title holding an escape sequence cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .reports import IndexReport
from .results import (
    Hit,
    SearchResults,
    Span,
)
from .wrap import wrap

if TYPE_CHECKING:
    from .stats import IndexStats

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def sanitize(text: str, *, keep_newlines: bool = False) -> str:
    """Text that is safe to print: control characters (ESC, bidi overrides...) become visible
    escapes, and newlines become spaces unless kept."""
    if not keep_newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def index_report_lines(report: IndexReport) -> list[str]:
    """A short human summary of a build; problems are listed by problem_lines. It never says
    "up to date" while a seed file cannot be indexed."""
    lines = [sanitize(note) for note in report.notes]
    holds = (
        f"{plural(report.documents, 'document')} ({plural(report.articles, 'article')}, "
        f"{plural(report.related, 'related document')})"
    )
    seeds = sanitize(report.seeds_dir)
    if report.dry_run:
        lines.append(
            f"Dry run over {seeds}: would add {report.added:,}, update {report.updated:,}, "
            f"rename {report.renamed:,} and remove {report.removed:,} seed files "
            f"({report.unchanged:,} unchanged{_not_indexed(report)}); the index would hold "
            f"{holds}."
        )
    elif report.up_to_date and not report.full:
        lines.append(
            f"Index is up to date: {plural(report.unchanged, 'seed file')} unchanged "
            f"in {seeds}; it holds {holds}."
        )
    elif not report.changed and not report.full:
        lines.append(f"Index unchanged: {report_counts(report)} in {seeds}; it holds {holds}.")
    elif report.full:
        verb = "Rebuilt" if report.removed or report.updated or report.unchanged else "Built"
        indexed = report.added + report.updated + report.renamed + report.unchanged
        lines.append(
            f"{verb} {sanitize(report.index_dir)} from {seeds} in {report.seconds:.1f} s: "
            f"indexed {plural(indexed, 'seed file')} ({report_counts(report)}); "
            f"it holds {holds}."
        )
    else:
        lines.append(
            f"Updated {sanitize(report.index_dir)} from {seeds} in {report.seconds:.1f} s: "
            f"{report_counts(report)}; it holds {holds}."
        )
    return lines


def report_counts(report: IndexReport) -> str:
    """The counts of a build, every seed file found in one of them: "1 added, 0 updated,
    0 renamed, 0 removed, 2,004 unchanged, 2 invalid"."""
    text = (
        f"{report.added:,} added, {report.updated:,} updated, {report.renamed:,} renamed, "
        f"{report.removed:,} removed, {report.unchanged:,} unchanged"
    )
    if report.errors:
        text += f", {len(report.errors):,} invalid"
    if report.duplicates:
        text += f", {plural(len(report.duplicates), 'duplicate')}"
    return text


def _not_indexed(report: IndexReport) -> str:
    missing = len(report.errors) + len(report.duplicates)
    return f", {missing:,} cannot be indexed" if missing else ""


def problem_lines(
    report: IndexReport, *, stats_command: str = "searchkit stats", known: bool = True
) -> list[str]:
    """One line per seed that is not indexed as it is on disk and that no earlier build
    reported; those an earlier build reported are summed up in one line pointing at
    `stats_command`, which lists them all (unless `known` is false)."""
    stale = set(report.stale)
    lines = []
    reported = 0
    for issue in report.errors:
        if not issue.new:
            reported += 1
        elif issue.path in stale:
            lines.append(
                f"stale: {sanitize(issue.path)}: {sanitize(issue.error)} "
                "(its last good version stays searchable until the file is fixed)"
            )
        else:
            lines.append(f"skipped: {sanitize(issue.path)}: {sanitize(issue.error)}")
    for dup in report.duplicates:
        if not dup.new:
            reported += 1
            continue
        lines.append(
            f"duplicate: {sanitize(dup.path)} has the same URL as "
            f"{sanitize(dup.of)}, which is indexed instead"
        )
    if reported and known:
        lines.append(
            f"{plural(reported, 'seed file')} reported before still cannot be indexed: "
            f"`{stats_command}` lists {'it' if reported == 1 else 'them'}"
        )
    return lines


def watch_line(report: IndexReport, *, now: datetime | None = None) -> str:
    """The one line of a watcher's batch: when, what changed, how long it took, what the
    index holds."""
    when = (now or datetime.now()).strftime("%H:%M:%S")
    return (
        f"{when} {report_counts(report)} in {report.seconds:.2f} s; the index holds "
        f"{plural(report.documents, 'document')}"
    )


def _date(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC") if dt else "-"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def stats_lines(stats: IndexStats) -> list[str]:
    rows = [
        (
            "documents",
            f"{stats.documents:,} ({plural(stats.articles, 'article')}, "
            f"{plural(stats.related, 'related document')})",
        ),
        ("topics", f"{stats.topics:,}"),
        ("providers", f"{stats.providers:,}"),
        ("published", f"{_date(stats.earliest)} to {_date(stats.latest)}"),
        ("seeds", f"{sanitize(stats.seeds)} ({plural(stats.seed_files, 'file')})"),
        ("index", f"{sanitize(stats.index)} ({_size(stats.size_bytes)})"),
        ("schema", stats.schema_version),
        ("last build", _date(stats.last_build)),
        ("stale", _list(stats.stale)),
        ("errors", _list(f"{i.path}: {i.error}" for i in stats.errors)),
        ("duplicates", _list(stats.duplicates)),
    ]
    width = max(len(k) for k, _ in rows)
    return [f"{k.rjust(width)}  {v}" for k, v in rows]


def _list(items: Iterable[str]) -> str:
    values = [sanitize(i) for i in items]
    return "none" if not values else "\n" + "\n".join(f"    {v}" for v in values)


# --- search results ------------------------------------------------------------------------

SPARK = "▁▂▃▄▅▆▇█"
HIT_INDENT = 5  # columns before a hit's title: "  1. "


class Palette:
    """ANSI styles, or nothing when colour is off (pipes, NO_COLOR)."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def match(self, text: str) -> str:
        return self._wrap("1;33", text)

    def accent(self, text: str) -> str:
        return self._wrap("36", text)


def segments_text(segments: Iterable[Span], palette: Palette, *, base: str = "") -> str:
    out = []
    for seg in segments:
        text = sanitize(seg.text)
        if seg.match:
            out.append(palette.match(text))
        else:
            out.append(palette.bold(text) if base == "bold" else text)
    return "".join(out)


def hit_lines(hit: Hit, palette: Palette) -> list[str]:
    title = segments_text(hit.title_spans, palette, base="bold")
    meta = [hit.published.strftime("%Y-%m-%d") if hit.published else "undated"]
    if hit.provider or hit.domain:
        meta.append(sanitize(hit.provider or hit.domain or ""))
    if hit.topics:
        meta.append(", ".join(sanitize(t) for t in hit.topics))
    if hit.kind == "related":
        meta.append(f"related · cited by {hit.cited_by}")
    elif hit.cited_by:
        meta.append(f"cited by {hit.cited_by}")
    lines = [
        f"{palette.accent(f'{hit.rank:>3}.')} {title}",
        "     " + palette.dim(" · ".join(meta)),
    ]
    snippet = segments_text(hit.snippet_spans, palette)
    if snippet.strip():
        lines.append("     " + snippet)
    return lines


def sparkline(counts: Sequence[int]) -> str:
    top = max(counts, default=0)
    if top == 0:
        return ""
    return "".join(
        " " if c == 0 else SPARK[min(len(SPARK) - 1, (c * len(SPARK) - 1) // top)] for c in counts
    )


def facet_lines(
    results: SearchResults, palette: Palette, *, limit: int = 8, width: int | None = None
) -> list[str]:
    """One line per facet: its top values (at most `limit`, and with a `width` only as many
    as fit on one line), then how many more there are; then the date sparkline."""
    lines = []
    for name, label in (("topics", "Topics"), ("providers", "Providers"), ("kind", "Kinds")):
        facet = results.facets.get(name)
        if not facet or not facet.values:
            continue
        room = (width - len(label) - 2) if width else None
        shown: list[str] = []
        # Every active filter shows, first, whatever its count.
        values = [v for v in facet.values if v.selected]
        values += [v for v in facet.values if not v.selected][: max(0, limit - len(values))]
        for i, v in enumerate(values):
            cell = f"{'✓ ' if v.selected else ''}{sanitize(v.value)} ({v.count:,})"
            left = facet.total_values - i - 1
            reserve = len(f" · +{left:,} more") if left > 0 else 0
            if (
                room
                and shown
                and not v.selected
                and len(" · ".join([*shown, cell])) + reserve > room
            ):
                break
            shown.append(cell)
        more = facet.total_values - len(shown)
        tail = f" · +{more:,} more" if more > 0 else ""
        lines.append(f"{palette.bold(label + ':')} " + " · ".join(shown) + tail)
    dates = results.facets.get("published")
    if dates and dates.values:
        first, last = dates.values[0].value, dates.values[-1].value
        spark = sparkline([v.count for v in dates.values])
        lines.append(
            f"{palette.bold('Dates:')} {first} {palette.accent(spark)} {last} "
            f"(by {dates.granularity})"
        )
    return lines


def summary_line(results: SearchResults) -> str:
    if results.total == 0:
        return f"No results for {sanitize(results.query)!r}."
    first = (results.page - 1) * results.per_page + 1
    full = sum(1 for h in results.hits if h.match == "all")
    partial = len(results.hits) - full
    last = first + full - 1
    some = f" and {partial:,} with some of the words" if partial else ""
    shown = (
        f"{first:,}-{last:,} of {plural(results.total, 'result')}{some}"
        if results.hits
        else (
            f"no results on page {results.page} of {results.pages} "
            f"({plural(results.total, 'result')})"
        )
    )
    return (
        f"{shown} · page {results.page} of {results.pages} · sorted by {results.sort} · "
        f"{results.took_ms:.0f} ms"
    )


def results_lines(
    results: SearchResults, palette: Palette, *, width: int | None = None
) -> list[str]:
    """A page of results, the suggestion, a summary line and the facets. With `width` (a
    terminal's columns) the page is compact: hits not spaced apart, snippets and facets kept
    to one line each, so that a page fits on a screen."""
    lines: list[str] = []
    if results.corrected:
        lines.append(
            palette.dim(
                f"No results for {sanitize(results.query)!r}; showing "
                f"results for {sanitize(results.corrected)!r}."
            )
        )
    if results.fallback:
        lines.append(palette.dim("No document has all the words; showing those with some."))
    if results.partial:
        lines.append(palette.dim(f"Partial results: {results.partial}."))
    divided = False
    for hit in results.hits:
        if hit.match == "partial" and not divided:
            divided = True
            lines.append(palette.dim("── documents with some of the words ──"))
        lines.extend(
            compact_hit_lines(hit, palette, width=width) if width else hit_lines(hit, palette)
        )
        if not width:
            lines.append("")
    if width and results.hits:
        lines.append("")
    if results.suggestion and not results.corrected:
        s = results.suggestion
        lines.append(
            f"Did you mean {palette.bold(sanitize(s.query))}? ({plural(s.total, 'result')})"
        )
    if results.date_span:
        first, last = (d.strftime("%Y-%m-%d") for d in results.date_span)
        lines.append(
            f"No document in the dates asked for; without them, "
            f"{plural(results.undated_total, 'document')} match. The index holds "
            f"documents published from {first} to {last}."
        )
    for value in results.value_suggestions:
        what = "topic" if value.facet == "topics" else "provider"
        lines.append(
            f"No document has the {what} {sanitize(value.given)!r}; did you mean "
            f"{palette.bold(sanitize(value.suggested))}?"
        )
    lines.append(summary_line(results))
    if results.resolved_query not in (results.query, "*") or results.filters.date_range:
        lines.append(palette.dim(f"searched: {sanitize(describe_search(results))}"))
    facets = facet_lines(results, palette, width=width)
    if facets and not width:
        lines.append("")
    lines.extend(facets)
    return lines


def compact_hit_lines(hit: Hit, palette: Palette, *, width: int) -> list[str]:
    """hit_lines with the snippet kept to one line of `width` columns, and the title and
    the line under it wrapped between words under the title's first letter."""
    lines = hit_lines(
        dataclasses.replace(hit, snippet_spans=clip_segments(hit.snippet_spans, width - 6)),
        palette,
    )
    title, meta, *rest = lines
    return [*wrap(title, width, HIT_INDENT), *wrap(meta, width, HIT_INDENT), *rest]


def clip_segments(segments: Sequence[Span], width: int) -> tuple[Span, ...]:
    """The segments cut to at most `width` characters, ending with "…" when cut."""
    out: list[Span] = []
    left = max(1, width)
    for seg in segments:
        text = sanitize(seg.text)
        if len(text) >= left:
            out.append(Span(text[: left - 1].rstrip() + "…", seg.match))
            break
        out.append(Span(text, seg.match))
        left -= len(text)
    return tuple(out)


def describe_search(results: SearchResults) -> str:
    """The query as resolved, with the drill-down filters, in query-language words."""
    parts = [results.resolved_query] if results.resolved_query != "*" else []
    for name, values in results.filters.clauses():
        if name in ("topic", "provider"):
            parts.append(f"{name}:(" + " OR ".join(_quote(v) for v in values) + ")")
        else:
            parts.append(f"{name}:{values[0]}")
    return " AND ".join(parts) or "*"


def _quote(value: str) -> str:
    return f'"{value}"' if re.search(r"[\s():]", value) else value


def _iso(dt: datetime | None) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "rank": hit.rank,
        "id": hit.id,
        "kind": hit.kind,
        "title": hit.title,
        "url": hit.url,
        "provider": hit.provider,
        "published": _iso(hit.published),
        "topics": list(hit.topics),
        "score": hit.score,
        "snippet": hit.snippet,
        "path": hit.path,
        "cited_by": hit.cited_by,
        "match": hit.match,
    }


def results_json(results: SearchResults) -> dict[str, Any]:
    """The documented JSON shape of `searchkit search --json`."""
    facets = {
        name: [{"value": v.value, "count": v.count, "selected": v.selected} for v in facet.values]
        for name, facet in results.facets.items()
    }
    return {
        "query": results.query,
        "resolved_query": describe_search(results),
        "total": results.total,
        "page": results.page,
        "per_page": results.per_page,
        "took_ms": round(results.took_ms, 2),
        "hits": [hit_json(h) for h in results.hits],
        "facets": facets,
        "suggestion": results.suggestion.query if results.suggestion else None,
        "corrected": results.corrected,
        "fallback": results.fallback,
        "partial": results.partial,
        "date_span": (
            {"earliest": _iso(results.date_span[0]), "latest": _iso(results.date_span[1])}
            if results.date_span
            else None
        ),
        "value_suggestions": [
            {"facet": v.facet, "given": v.given, "suggested": v.suggested}
            for v in results.value_suggestions
        ],
    }
