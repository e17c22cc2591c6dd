"""Library values -> text for a terminal or a pipe, and -> JSON. Pure functions, no I/O.

Everything that came from a seed is passed through :func:`sanitize` before it is shown, so a
title holding an escape sequence cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from .indexer import IndexReport
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
