"""Library values -> text for a terminal or a pipe, and -> JSON. Pure functions, no I/O.

Everything that came from a seed is passed through :func:`sanitize` before it is shown, so a
title holding an escape sequence cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .reports import IndexReport
from .results import (
    Document,
    Explanation,
    Facet,
    Hit,
    LinkedDocument,
    SearchResults,
    Segment,
)

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
    """A short human summary of a build; problems are listed by problem_lines."""
    lines = [sanitize(note) for note in report.notes]
    holds = (
        f"{plural(report.documents, 'document')} ({plural(report.articles, 'article')}, "
        f"{plural(report.stubs, 'related stub')})"
    )
    seeds = sanitize(report.seeds_dir)
    if report.dry_run:
        lines.append(
            f"Dry run over {seeds}: would add {report.added:,}, update "
            f"{report.updated:,} and remove {report.removed:,} seed files "
            f"({report.unchanged:,} unchanged); the index would hold {holds}."
        )
    elif not report.changed and not report.full:
        lines.append(
            f"Index is up to date: {plural(report.unchanged, 'seed file')} unchanged "
            f"in {seeds}; it holds {holds}."
        )
    else:
        verb = (
            ("Rebuilt" if report.removed or report.updated or report.unchanged else "Built")
            if report.full
            else "Updated"
        )
        lines.append(
            f"{verb} {sanitize(report.index_dir)} from {seeds} in "
            f"{report.seconds:.1f} s: {report.added:,} added, {report.updated:,} "
            f"updated, {report.removed:,} removed, {report.unchanged:,} unchanged "
            f"seed files; it holds {holds}."
        )
    return lines


def problem_lines(report: IndexReport) -> list[str]:
    """One line per seed that is not indexed as it is on disk."""
    stale = set(report.stale)
    lines = []
    for issue in report.errors:
        if issue.path in stale:
            lines.append(
                f"stale: {sanitize(issue.path)}: {sanitize(issue.error)} "
                "(its last good version stays searchable until the file is fixed)"
            )
        else:
            lines.append(f"skipped: {sanitize(issue.path)}: {sanitize(issue.error)}")
    for dup in report.duplicates:
        lines.append(
            f"duplicate: {sanitize(dup.path)} has the same URL as "
            f"{sanitize(dup.of)}, which is indexed instead"
        )
    return lines


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
            f"{plural(stats.stubs, 'related stub')})",
        ),
        ("topics", f"{stats.topics:,}"),
        ("providers", f"{stats.providers:,}"),
        ("published", f"{_date(stats.earliest)} to {_date(stats.latest)}"),
        ("seeds", f"{sanitize(stats.seeds)} ({plural(stats.seed_files, 'file')})"),
        ("index", f"{sanitize(stats.index)} ({_size(stats.size_bytes)})"),
        ("schema", stats.schema_version),
        ("last build", _date(stats.last_build)),
        ("stale", _list(stats.stale)),
        ("invalid", _list(f"{i.path}: {i.error}" for i in stats.invalid)),
        ("duplicates", _list(stats.duplicates)),
    ]
    width = max(len(k) for k, _ in rows)
    return [f"{k.rjust(width)}  {v}" for k, v in rows]


def _list(items: Iterable[str]) -> str:
    values = [sanitize(i) for i in items]
    return "none" if not values else "\n" + "\n".join(f"    {v}" for v in values)


# --- search results ------------------------------------------------------------------------

SPARK = "▁▂▃▄▅▆▇█"


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


def segments_text(segments: Iterable[Segment], palette: Palette, *, base: str = "") -> str:
    out = []
    for seg in segments:
        text = sanitize(seg.text)
        if seg.match:
            out.append(palette.match(text))
        else:
            out.append(palette.bold(text) if base == "bold" else text)
    return "".join(out)


def hit_lines(hit: Hit, palette: Palette, *, width: int = 100) -> list[str]:
    title = segments_text(hit.title_segments, palette, base="bold")
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
    snippet = segments_text(hit.snippet, palette)
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


def facet_lines(results: SearchResults, palette: Palette, *, limit: int = 8) -> list[str]:
    lines = []
    for name, label in (("topics", "Topics"), ("provider", "Providers"), ("kind", "Kinds")):
        facet = results.facets.get(name)
        if not facet or not facet.values:
            continue
        shown = [
            f"{'✓ ' if v.selected else ''}{sanitize(v.value)} ({v.count:,})"
            for v in facet.values[:limit]
        ]
        more = facet.total_values - min(limit, len(facet.values))
        tail = f" · +{more} more" if more > 0 else ""
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
    last = first + len(results.hits) - 1
    shown = (
        f"{first:,}-{last:,} of {plural(results.total, 'result')}"
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


def results_lines(results: SearchResults, palette: Palette) -> list[str]:
    lines: list[str] = []
    if results.showing:
        lines.append(
            palette.dim(
                f"No results for {sanitize(results.query)!r}; showing "
                f"results for {sanitize(results.showing)!r}."
            )
        )
    if results.relaxed:
        lines.append(palette.dim("No document has all the words; showing those with some."))
    for hit in results.hits:
        lines.extend(hit_lines(hit, palette))
        lines.append("")
    if results.suggestion and not results.showing:
        s = results.suggestion
        lines.append(
            f"Did you mean {palette.bold(sanitize(s.query))}? ({plural(s.total, 'result')})"
        )
    lines.append(summary_line(results))
    if results.resolved_query not in (results.query, "*") or results.filters.date_range:
        lines.append(palette.dim(f"searched: {sanitize(describe_search(results))}"))
    facets = facet_lines(results, palette)
    if facets:
        lines.append("")
        lines.extend(facets)
    return lines


def describe_search(results: SearchResults) -> str:
    """The query as resolved, with the drill-down filters, in query-language words."""
    parts = [results.resolved_query] if results.resolved_query != "*" else []
    f = results.filters
    if f.topics:
        parts.append("topic:(" + " OR ".join(_quote(t) for t in f.topics) + ")")
    if f.providers:
        parts.append("provider:(" + " OR ".join(_quote(p) for p in f.providers) + ")")
    if f.kind:
        parts.append(f"kind:{f.kind}")
    if f.date_range:
        parts.append(f"date:{f.date_range.describe()}")
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
        "snippet": hit.snippet_text,
        "path": hit.path,
        "cited_by": hit.cited_by,
    }


def results_json(results: SearchResults) -> dict[str, Any]:
    """The documented JSON shape of `searchkit search --json`."""
    facets = {
        name: [{"value": v.value, "count": v.count} for v in facet.values]
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
    }


# --- documents, links, facets in full, explanations (the REPL's :show, :facets, :explain) -------


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Paragraphs of `text` wrapped to `width`; blank lines between paragraphs are kept."""
    lines: list[str] = []
    for para in sanitize(text, keep_newlines=True).split("\n"):
        if not para.strip():
            if lines and lines[-1]:
                lines.append("")
            continue
        lines.extend(
            textwrap.wrap(para.strip(), max(20, width - len(indent)), break_on_hyphens=False)
            or [""]
        )
    while lines and not lines[-1]:
        lines.pop()
    return [indent + line if line else "" for line in lines]


def linked_lines(items: Sequence[LinkedDocument], palette: Palette, *, start: int = 1) -> list[str]:
    """Numbered one-line entries for linked documents (stubs, articles, or not indexed)."""
    lines = []
    for number, item in enumerate(items, start):
        meta = [item.published.strftime("%Y-%m-%d") if item.published else "undated"]
        if item.provider:
            meta.append(sanitize(item.provider))
        meta.append(
            {"article": "article", "related": "related stub"}.get(item.kind or "", "not indexed")
        )
        lines.append(
            f"{palette.accent(f'{number:>3}.')} {sanitize(item.title) or sanitize(item.id)}  "
            + palette.dim(" · ".join(meta))
        )
    return lines


def document_lines(
    doc: Document,
    palette: Palette,
    *,
    links: Sequence[LinkedDocument] = (),
    cited_by: Sequence[LinkedDocument] = (),
    width: int = 100,
) -> list[str]:
    """A whole document: its fields, excerpt and body, then what it cites and what cites it
    (numbered on from 1, in that order)."""
    published = doc.published.strftime("%Y-%m-%d %H:%M UTC") if doc.published else "undated"
    provider = sanitize(doc.provider or doc.domain or "-")
    if doc.provider and doc.domain:
        provider += f" ({sanitize(doc.domain)})"
    rows = [
        ("kind", "related stub" if doc.kind == "related" else doc.kind),
        ("published", published),
        ("provider", provider),
        ("topics", ", ".join(sanitize(t) for t in doc.topics) or "-"),
        ("url", sanitize(doc.url or "-")),
    ]
    if doc.path:
        rows.append(("seed file", sanitize(doc.path)))
    if doc.quality is not None:
        rows.append(("quality", str(doc.quality)))
    if doc.images:
        rows.append(("images", plural(len(doc.images), "image")))
    shown = (doc.url, doc.kind)  # extras that repeat a field above
    rows += [
        (sanitize(k), sanitize(str(v))) for k, v in sorted(doc.extra.items()) if v not in shown
    ]
    key_width = max(len(k) for k, _ in rows)
    lines = [palette.bold(sanitize(doc.title))]
    lines += [f"  {palette.dim(k.rjust(key_width))}  {v}" for k, v in rows]
    for text in (doc.excerpt, doc.body):
        if text.strip():
            lines.append("")
            lines.extend(_wrap(text, width, "  "))
    if links:
        lines += ["", palette.bold(f"Cites {plural(len(links), 'document')}:")]
        lines += linked_lines(links, palette)
    if cited_by:
        lines += ["", palette.bold(f"Cited by {plural(len(cited_by), 'article')}:")]
        lines += linked_lines(cited_by, palette, start=len(links) + 1)
    return lines


def columns(cells: Sequence[str], width: int, *, gap: int = 3) -> list[str]:
    """Plain cells laid out in as many columns as fit in `width`, filled down each column."""
    if not cells:
        return []
    cell = max(len(c) for c in cells) + gap
    count = max(1, min(len(cells), (width + gap) // cell))
    rows = -(-len(cells) // count)
    return [
        "".join(cells[i].ljust(cell) for i in range(r, len(cells), rows)).rstrip()
        for r in range(rows)
    ]


def facet_value_lines(facet: Facet, *, width: int = 100) -> list[str]:
    """Every value of one facet with its count, in columns; ✓ marks the selected ones."""
    cells = [
        f"{'✓' if v.selected else ' '} {sanitize(v.value)} ({v.count:,})" for v in facet.values
    ]
    return ["  " + line for line in columns(cells, width - 2)]


def all_facets_lines(results: SearchResults, palette: Palette, *, width: int = 100) -> list[str]:
    """All facets in full: topics, providers and kinds with counts; dates bucket by bucket."""
    lines: list[str] = []
    for name, label in (("topics", "Topics"), ("provider", "Providers"), ("kind", "Kinds")):
        facet = results.facets.get(name)
        if not facet or not facet.values:
            continue
        more = " (more not shown)" if facet.truncated else ""
        lines.append(palette.bold(f"{label} ({facet.total_values:,}){more}:"))
        lines.extend(facet_value_lines(facet, width=width))
        lines.append("")
    dates = results.facets.get("published")
    if dates and dates.values:
        top = max(v.count for v in dates.values) or 1
        bar_width = max(10, min(50, width - 30))
        lines.append(palette.bold(f"Dates (by {dates.granularity}):"))
        for v in dates.values:
            bar = "█" * round(v.count * bar_width / top) if v.count else ""
            lines.append(f"  {v.value:<10} {v.count:>7,}  {palette.accent(bar)}")
    while lines and not lines[-1]:
        lines.pop()
    return lines


def explanation_lines(expl: Explanation, palette: Palette) -> list[str]:
    """The parsed query, resolved dates, filters, and why the top hit scored as it did."""
    f = expl.filters
    filters = []
    if f.topics:
        filters.append("topic: " + ", ".join(sanitize(t) for t in f.topics))
    if f.providers:
        filters.append("provider: " + ", ".join(sanitize(p) for p in f.providers))
    if f.kind:
        filters.append(f"kind: {f.kind}")
    if f.date_range:
        filters.append(f"date: {f.date_range.describe()}")
    rows = [
        ("query", sanitize(expl.query) or "(empty: everything)"),
        ("resolved", sanitize(expl.resolved)),
        ("parsed", sanitize(expl.parsed)),
        ("filters", "; ".join(filters) or "none"),
    ]
    if expl.top_hit is None:
        rows.append(("top hit", "none: nothing matches"))
    else:
        rows.append(("top hit", sanitize(expl.top_hit)))
        rows.append(("score", f"{expl.top_score:.4g}" if expl.top_score is not None else "-"))
        terms = ", ".join(f"{field}:{sanitize(term)}" for field, term in expl.matched_terms)
        rows.append(("matched", terms or "no scored terms (a filter or browse match)"))
    width = max(len(k) for k, _ in rows)
    return [f"{palette.dim(k.rjust(width))}  {v}" for k, v in rows]


def clip_segments(segments: Sequence[Segment], width: int) -> tuple[Segment, ...]:
    """The segments cut to at most `width` characters, ending with "…" when cut."""
    out: list[Segment] = []
    left = max(1, width)
    for seg in segments:
        text = sanitize(seg.text)
        if len(text) >= left:
            out.append(Segment(text[: left - 1].rstrip() + "…", seg.match))
            break
        out.append(Segment(text, seg.match))
        left -= len(text)
    return tuple(out)


def compact_hit_lines(hit: Hit, palette: Palette, *, width: int) -> list[str]:
    """hit_lines with the snippet kept to one line of `width` columns."""
    clipped = dataclasses.replace(hit, snippet=clip_segments(hit.snippet, width - 6))
    return hit_lines(clipped, palette, width=width)


def results_page_lines(results: SearchResults, palette: Palette, *, width: int) -> list[str]:
    """A results page for a terminal `width` columns wide: like results_lines, but hits are
    not spaced apart and snippets keep to one line, so that a page fits on the screen."""
    lines: list[str] = []
    if results.showing:
        lines.append(
            palette.dim(
                f"No results for {sanitize(results.query)!r}; showing "
                f"results for {sanitize(results.showing)!r}."
            )
        )
    if results.relaxed:
        lines.append(palette.dim("No document has all the words; showing those with some."))
    for hit in results.hits:
        lines.extend(compact_hit_lines(hit, palette, width=width))
    if results.hits:
        lines.append("")
    if results.suggestion and not results.showing:
        s = results.suggestion
        lines.append(
            f"Did you mean {palette.bold(sanitize(s.query))}? ({plural(s.total, 'result')})"
        )
    lines.append(summary_line(results))
    if results.resolved_query not in (results.query, "*") or results.filters.date_range:
        lines.append(palette.dim(f"searched: {sanitize(describe_search(results))}"))
    lines.extend(facet_summary_lines(results, palette, width=width))
    return lines


def facet_summary_lines(results: SearchResults, palette: Palette, *, width: int) -> list[str]:
    """Like facet_lines, but each facet keeps to one line of `width` columns: as many of its
    top values as fit, then how many more there are."""
    lines = []
    for name, label in (("topics", "Topics"), ("provider", "Providers"), ("kind", "Kinds")):
        facet = results.facets.get(name)
        if not facet or not facet.values:
            continue
        room = width - len(label) - 2
        shown: list[str] = []
        for i, v in enumerate(facet.values):
            cell = f"{'✓ ' if v.selected else ''}{sanitize(v.value)} ({v.count:,})"
            left = facet.total_values - i - 1
            reserve = len(f" · +{left:,} more") if left > 0 else 0
            if shown and len(" · ".join([*shown, cell])) + reserve > room:
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
