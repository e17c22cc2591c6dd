"""Seed file -> typed values: parsing, normalisation and identity.

A seed is YAML frontmatter plus an optional Markdown body (docs/DOCUMENTS.md). This module turns
its text into a frozen :class:`Seed` or raises :class:`SeedError` naming the file and the reason.
A flaw that costs only part of a seed (a malformed `related` entry, a URL that is not text)
leaves that part out and is kept in `Seed.warnings`, so the article stays searchable. Messages
show values as the seed wrote them, not as Python sees them. It knows nothing about the index.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import frontmatter
import yaml

from .errors import SeedError
from .values import Image, Provider

SEED_SUFFIXES = (".md", ".markdown", ".txt")
MAX_SEED_BYTES = 1024 * 1024

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A cheap pre-check: seeds never use YAML anchors or aliases; only text that might is parsed
# event by event to know for sure.
_MAYBE_ALIAS = re.compile(r"[\s\[{,:-][&*][^\s,\[\]{}]")


@dataclass(frozen=True, slots=True)
class RelatedEntry:
    """One item of a seed's `related` list, as the seed states it."""

    title: str
    excerpt: str = ""
    published: datetime | None = None
    url: str | None = None
    amp_url: str | None = None
    type: str | None = None
    provider: Provider = Provider()
    quality: int | None = None
    images: tuple[Image, ...] = ()
    position: int = 0  # where it stands in the seed's `related` list, from 0


@dataclass(frozen=True, slots=True)
class Seed:
    """One parsed seed file. `path` is relative to the seeds folder, with `/` separators."""

    path: str
    title: str
    excerpt: str = ""
    body: str = ""
    topics: tuple[str, ...] = ()
    provider: Provider = Provider()
    published: datetime | None = None
    web_url: str | None = None
    original_url: str | None = None
    amp_url: str | None = None
    cdn_amp_url: str | None = None
    category: str | None = None
    type: str | None = None
    quality: int | None = None
    heat: int | None = None
    published_flag: bool | None = None
    images: tuple[Image, ...] = ()
    related: tuple[RelatedEntry, ...] = ()
    warnings: tuple[str, ...] = ()  # what was left out, and why

    @property
    def identity(self) -> str:
        """The article's document id: normalised webUrl, else originalUrl, else the path."""
        return self.web_url or self.original_url or self.path

    def related_key(self, position: int) -> str:
        """The document id of the related entry at index `position` of `related` (an entry
        without a URL is keyed by its place in the seed's list, untitled entries counted)."""
        entry = self.related[position]
        return entry.url or f"{self.identity}#related-{entry.position + 1}"

    def related_keys(self) -> tuple[str, ...]:
        return tuple(self.related_key(i) for i in range(len(self.related)))


# --- normalisation -------------------------------------------------------------------------


def collapse(text: str) -> str:
    """Collapse runs of white space to one space and trim the ends."""
    return " ".join(text.split())


def normalize_url(url: str) -> str:
    """Canonical form of a URL, used as a document identity.

    Strips white space, lowercases scheme and host, drops the fragment and one trailing `/` of
    a non-root path, and keeps the query string.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = parts.path
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo}@{host.lower()}"
    else:
        netloc = netloc.lower()
    # Strip again: white space before a dropped '#...' or '/' is at the end now.
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, "")).strip()


def kind_of(value: Any) -> str:
    """What a YAML value is, in the seed's terms ("a list", "a number"), for messages."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime | date):
        return "a date"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a YAML value of another kind"


MAX_SHOWN = 60  # characters of a value a message shows


def shown(value: Any) -> str:
    """A scalar as the seed wrote it, near enough (text in quotes, dates in ISO 8601), else
    what it is: for messages, instead of Python's repr."""
    if isinstance(value, str):
        text = value if len(value) <= MAX_SHOWN else value[: MAX_SHOWN - 1] + "…"
        return f'"{text}"'
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return kind_of(value)


def to_utc(value: Any, field: str) -> datetime | None:
    """A timestamp as an aware UTC datetime; None when absent. Raises ValueError when bad."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{field} {shown(value)} is not an ISO 8601 date or timestamp"
            ) from None
    else:
        raise ValueError(f"{field} is {kind_of(value)}, not an ISO 8601 date or timestamp")
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{field} {shown(value)} is out of range in UTC") from None


def _text(value: Any, field: str, *, required: bool = False) -> str:
    if value is None:
        if required:
            raise ValueError(f"{field} is missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | datetime | date):
        raise ValueError(f"{field} must be text, not {kind_of(value)}")
    text = collapse(str(value))
    if required and not text:
        raise ValueError(f"{field} is empty")
    return text


def _optional_text(value: Any, field: str) -> str | None:
    return _text(value, field) or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _quality(value: Any) -> int | None:
    q = _int(value)
    return q if q is not None and 0 <= q <= 100 else None


def _url(value: Any, field: str, warnings: list[str]) -> str | None:
    """A normalised URL; None (with a warning) for a value that is not text, which is no
    URL and must not become an identity."""
    if value is None:
        return None
    if not isinstance(value, str):
        warnings.append(f"{field} is {kind_of(value)} ({shown(value)}), not a URL: ignored")
        return None
    text = collapse(value)
    return normalize_url(text) if text else None


def _topics(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"topics must be a list of text, not {kind_of(value)}")
    seen: set[str] = set()
    topics: list[str] = []
    for item in value:
        topic = _text(item, "topics")
        if topic and topic.casefold() not in seen:
            seen.add(topic.casefold())
            topics.append(topic)
    return tuple(topics)


def _provider(value: Any, field: str) -> Provider:
    if value is None:
        return Provider()
    if isinstance(value, str):
        return Provider(name=collapse(value) or None)
    if not isinstance(value, Mapping):
        raise ValueError(f"{field} must be a mapping with name and domain")
    domain = _text(value.get("domain"), f"{field}.domain").lower() or None
    return Provider(name=_optional_text(value.get("name"), f"{field}.name"), domain=domain)


def _images(value: Any, field: str) -> tuple[Image, ...]:
    if not isinstance(value, list):
        return ()
    images = []
    for item in value:
        if isinstance(item, Mapping) and isinstance(item.get("url"), str):
            cached = item.get("isCached")
            images.append(
                Image(
                    url=item["url"].strip(),
                    width=_int(item.get("width")),
                    height=_int(item.get("height")),
                    is_cached=cached if isinstance(cached, bool) else None,
                )
            )
    return tuple(images)


def _related(value: Any, warnings: list[str]) -> tuple[RelatedEntry, ...]:
    """The related entries; a malformed one is left out with a warning (the article and its
    other entries stay), as is a `related` that is not a list."""
    if value is None:
        return ()
    if not isinstance(value, list):
        warnings.append(f"related is {kind_of(value)}, not a list of entries: ignored")
        return ()
    entries = []
    for i, item in enumerate(value):
        field = f"related[{i}]"
        if not isinstance(item, Mapping):
            warnings.append(f"{field} is {kind_of(item)}, not a mapping of fields: left out")
            continue
        try:
            entry = _related_entry(item, i, field, warnings)
        except (ValueError, TypeError, OverflowError) as exc:
            warnings.append(f"{field} left out: {exc}")
            continue
        if entry is not None:
            entries.append(entry)
    return tuple(entries)


def _related_entry(
    item: Mapping[str, Any], i: int, field: str, warnings: list[str]
) -> RelatedEntry | None:
    title = _text(item.get("title"), f"{field}.title")
    if not title:
        return None  # an entry without a title has nothing to show or search
    return RelatedEntry(
        position=i,
        title=title,
        excerpt=_text(item.get("excerpt"), f"{field}.excerpt"),
        published=to_utc(item.get("publishedDateTime"), f"{field}.publishedDateTime"),
        url=_url(item.get("webUrl"), f"{field}.webUrl", warnings)
        or _url(item.get("originalUrl"), f"{field}.originalUrl", warnings),
        amp_url=_optional_text(item.get("ampWebUrl"), f"{field}.ampWebUrl"),
        type=_optional_text(item.get("type"), f"{field}.type"),
        provider=_provider(item.get("provider"), f"{field}.provider"),
        quality=_quality(item.get("quality")),
        images=_images(item.get("images"), f"{field}.images"),
    )


def seed_from_mapping(path: str, meta: Mapping[str, Any], body: str = "") -> Seed:
    """Build a Seed from already-loaded frontmatter. Raises ValueError naming the bad field;
    what only costs part of the seed is left out and listed in Seed.warnings."""
    published = meta.get("published")
    warnings: list[str] = []
    web_url = _url(meta.get("webUrl"), "webUrl", warnings)
    original_url = _url(meta.get("originalUrl"), "originalUrl", warnings)
    related = _related(meta.get("related"), warnings)
    return Seed(
        path=path,
        title=_text(meta.get("title"), "title", required=True),
        excerpt=_text(meta.get("excerpt"), "excerpt"),
        body=body.strip(),
        topics=_topics(meta.get("topics")),
        provider=_provider(meta.get("provider"), "provider"),
        published=to_utc(meta.get("publishedDateTime"), "publishedDateTime"),
        web_url=web_url,
        original_url=original_url,
        amp_url=_optional_text(meta.get("ampWebUrl"), "ampWebUrl"),
        cdn_amp_url=_optional_text(meta.get("cdnAmpWebUrl"), "cdnAmpWebUrl"),
        category=_optional_text(meta.get("category"), "category"),
        type=_optional_text(meta.get("type"), "type"),
        quality=_quality(meta.get("quality")),
        heat=_int(meta.get("heat")),
        published_flag=published if isinstance(published, bool) else None,
        images=_images(meta.get("images"), "images"),
        related=related,
        warnings=tuple(warnings),
    )


# --- reading files -------------------------------------------------------------------------


class _Handler(frontmatter.YAMLHandler):  # type: ignore[misc,name-defined]
    """python-frontmatter's YAML handler, loading with the C safe loader where present."""

    def load(self, fm: str, **kwargs: Any) -> Any:
        return yaml.load(fm, Loader=_Loader)


_HANDLER = _Handler()


def _uses_aliases(fm: str) -> bool:
    if not (fm[:1] in ("&", "*") or _MAYBE_ALIAS.search(fm)):
        return False
    events = yaml.parse(fm, Loader=_Loader)
    return any(isinstance(ev, yaml.NodeEvent) and ev.anchor for ev in events)


def parse_seed_text(path: str, text: str) -> Seed:
    """Parse the text of a seed file. Raises SeedError naming `path`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise SeedError(path, "the file is empty")
    if not _HANDLER.detect(text):
        raise SeedError(path, "no YAML frontmatter: the file must start with a '---' line")
    try:
        fm, body = _HANDLER.split(text)
    except ValueError:
        raise SeedError(path, "the frontmatter has no closing '---' line") from None
    try:
        if _uses_aliases(fm):
            raise SeedError(path, "YAML anchors and aliases are not allowed in seeds")
        meta = _HANDLER.load(fm)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if mark is not None:
            raise SeedError(
                path,
                f"invalid YAML: {reason}",
                line=mark.line + 1 + _frontmatter_offset(text),
                column=mark.column + 1,
            ) from None
        raise SeedError(path, f"invalid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise SeedError(path, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise SeedError(path, "invalid YAML: nested too deeply") from None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        # PyYAML's constructors raise these for values such as 2021-02-30 or !!int "high".
        raise SeedError(path, f"invalid YAML value: {exc}") from None
    if not isinstance(meta, Mapping):
        kind = kind_of(meta)
        raise SeedError(path, f"the frontmatter must be a YAML mapping of fields, but it is {kind}")
    try:
        return seed_from_mapping(path, meta, body)
    except (ValueError, TypeError, OverflowError) as exc:
        raise SeedError(path, str(exc)) from None


def _frontmatter_offset(text: str) -> int:
    """How many lines precede the frontmatter's first line (the '---' and blank lines)."""
    match = _HANDLER.FM_BOUNDARY.search(text)
    return text.count("\n", 0, match.end()) if match else 1


def parse_seed_bytes(path: str, data: bytes) -> Seed:
    """Decode and parse the bytes of a seed file. Raises SeedError naming `path`."""
    if len(data) > MAX_SEED_BYTES:
        raise SeedError(path, f"the file is {len(data):,} bytes; seeds may be at most 1 MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeedError(
            path,
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            "cannot be decoded; save the file as UTF-8",
        ) from None
    return parse_seed_text(path, text)
