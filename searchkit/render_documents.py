"""Documents, their links, facets in full and query explanations -> text (the REPL's :show,
:related, :facets and :explain). Pure functions; seed text goes through render.sanitize."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from .render import Palette, plural, sanitize
from .results import Document, Explanation, Facet, LinkedDocument, SearchResults
from .wrap import wrap


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


def linked_lines(
    items: Sequence[LinkedDocument],
    palette: Palette,
    *,
    start: int = 1,
    width: int | None = None,
) -> list[str]:
    """Numbered entries for linked documents (stubs, articles, or not indexed); with `width`,
    wrapped between words under the title."""
    lines = []
    for number, item in enumerate(items, start):
        meta = [item.published.strftime("%Y-%m-%d") if item.published else "undated"]
        if item.provider:
            meta.append(sanitize(item.provider))
        meta.append(
            {"article": "article", "related": "related stub"}.get(item.kind or "", "not indexed")
        )
        line = (
            f"{palette.accent(f'{number:>3}.')} {sanitize(item.title) or sanitize(item.id)}  "
            + palette.dim(" · ".join(meta))
        )
        lines += wrap(line, width, 5) if width else [line]
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
    lines = wrap(palette.bold(sanitize(doc.title)), width)
    for k, v in rows:
        lines += wrap(f"  {palette.dim(k.rjust(key_width))}  {v}", width, key_width + 4)
    for text in (doc.excerpt, doc.body):
        if text.strip():
            lines.append("")
            lines.extend(_wrap(text, width, "  "))
    if links:
        lines += ["", palette.bold(f"Cites {plural(len(links), 'document')}:")]
        lines += linked_lines(links, palette, width=width)
    if cited_by:
        lines += ["", palette.bold(f"Cited by {plural(len(cited_by), 'article')}:")]
        lines += linked_lines(cited_by, palette, start=len(links) + 1, width=width)
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
    for name, label in (("topics", "Topics"), ("providers", "Providers"), ("kind", "Kinds")):
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
    filters = [
        f"{name}: " + ", ".join(sanitize(v) for v in values)
        for name, values in expl.filters.clauses()
    ]
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
        terms = ", ".join(f"{t.field}:{sanitize(t.term)} {t.share:.0%}" for t in expl.terms)
        rows.append(("matched", terms or "no scored terms (a filter or browse match)"))
        if expl.bonus and expl.top_score:
            rows.append(
                ("bonus", f"{expl.bonus / expl.top_score:.0%} (title holds the words; re-ranking)")
            )
    width = max(len(k) for k, _ in rows)
    return [f"{palette.dim(k.rjust(width))}  {v}" for k, v in rows]
