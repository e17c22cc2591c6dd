"""Search results and errors in the formats scripts read: JSON Lines, CSV, TSV, seed paths,
ids, and the JSON error object. Pure functions that return text; the CLI prints it.

The columns of every format are the keys of the JSON hit (render.hit_json), so that a field
has one name whichever format it is read in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

from .errors import ParameterError, QueryError
from .render import hit_json
from .results import Hit

Format = Literal["text", "json", "jsonl", "paths", "ids", "csv", "tsv"]
FORMATS: tuple[Format, ...] = ("text", "json", "jsonl", "paths", "ids", "csv", "tsv")
# The formats that print every match unless a limit is given (as `rg -l` does); the others
# print a page.
WHOLE_FORMATS: frozenset[Format] = frozenset({"jsonl", "paths", "ids", "csv", "tsv"})
# The formats that carry errors as JSON objects on stdout.
JSON_FORMATS: frozenset[Format] = frozenset({"json", "jsonl"})

FIELDS = (
    "rank",
    "id",
    "kind",
    "title",
    "url",
    "provider",
    "published",
    "topics",
    "score",
    "snippet",
    "path",
    "cited_by",
    "match",
)
TABLE_FIELDS = ("rank", "id", "kind", "published", "provider", "title", "url", "path")


def parse_fields(text: str) -> tuple[str, ...]:
    """The fields named in a comma-separated list; ParameterError naming `fields` for an
    unknown one or an empty list."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in FIELDS]
    if unknown or not names:
        what = f"unknown field {unknown[0]!r}" if unknown else "no field named"
        raise ParameterError("fields", text, what, hint="use any of " + ",".join(FIELDS))
    return names


def hit_record(hit: Hit, fields: Sequence[str] = FIELDS) -> dict[str, Any]:
    """The JSON hit with only `fields`, in that order."""
    full = hit_json(hit)
    return {name: full[name] for name in fields}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def table_text(hits: Iterable[Hit], fields: Sequence[str], *, tsv: bool, header: bool) -> str:
    """CSV (RFC 4180, quoted where needed) or TSV (tabs and line breaks in values become
    spaces) with a header row of the field names."""
    out = io.StringIO()
    if tsv:
        rows = [list(fields)] if header else []
        rows += [[_cell(hit_record(h, fields)[f]) for f in fields] for h in hits]
        for row in rows:
            out.write("\t".join(_tsv_clean(c) for c in row) + "\n")
    else:
        writer = csv.writer(out, lineterminator="\n")
        if header:
            writer.writerow(fields)
        for hit in hits:
            record = hit_record(hit, fields)
            writer.writerow([_cell(record[f]) for f in fields])
    return out.getvalue()


def _tsv_clean(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def seed_paths(hits: Iterable[Hit], citing_paths: Callable[[str], Iterable[str]]) -> Iterator[str]:
    """The seed file of each matching article and, for a matching related document, the seed
    files of the articles that cite it (`citing_paths(id)`): each path once, in rank order."""
    seen: set[str] = set()
    for hit in hits:
        paths: Iterable[str] = (
            (hit.path,) if hit.path else citing_paths(hit.id) if hit.kind == "related" else ()
        )
        for path in paths:
            if path not in seen:
                seen.add(path)
                yield path


def error_json(
    exc: BaseException, message: str | None = None, *, hint: str | None = None
) -> dict[str, Any]:
    """The JSON object an error is printed as in the JSON formats: its class name, the line a
    user is shown (`message`, else str(exc)), the position in the query and a hint (null
    where there are none)."""
    position = exc.position if isinstance(exc, QueryError) else None
    if hint is None and isinstance(exc, QueryError | ParameterError):
        hint = exc.hint
    return {
        "error": {
            "type": type(exc).__name__,
            "message": message if message is not None else str(exc),
            "position": position,
            "hint": hint,
        }
    }


__all__ = [
    "FIELDS",
    "FORMATS",
    "JSON_FORMATS",
    "TABLE_FIELDS",
    "WHOLE_FORMATS",
    "Format",
    "error_json",
    "hit_record",
    "parse_fields",
    "seed_paths",
    "table_text",
]
