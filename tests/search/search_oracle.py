"""An independent model of what the fixture seeds should make searchable, for checking counts.

It follows docs/DOCUMENTS.md with plain PyYAML and urllib and shares no code with searchkit (nor
with tests/index_helpers.py), so that a bug in searchkit's document model cannot also hide in the
expectation. It knows documents, filters and facets; it does not rank.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

FIXTURE_SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
SUFFIXES = (".md", ".markdown", ".txt")


@dataclass(frozen=True)
class Doc:
    id: str
    kind: str  # "article" or "related"
    title: str
    excerpt: str
    topics: tuple[str, ...]
    provider: str | None
    domain: str | None
    published: datetime | None
    path: str | None
    links: tuple[str, ...]  # for an article: the keys of its related entries, in order
    cited_by: frozenset[str]  # ids of the articles citing this document

    @property
    def text(self) -> str:
        return f"{self.title} {self.excerpt}".lower()


def norm_url(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path[:-1] if len(parts.path) > 1 and parts.path.endswith("/") else parts.path
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def utc(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _provider(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, dict):
        return _clean(value.get("name")) or None, _clean(value.get("domain")).lower() or None
    if isinstance(value, str):
        return _clean(value) or None, None
    return None, None


def _union(topic_lists: Iterable[Iterable[str]]) -> tuple[str, ...]:
    out: list[str] = []
    for topics in topic_lists:
        for topic in topics:
            if topic.casefold() not in {t.casefold() for t in out}:
                out.append(topic)
    return tuple(out)


def seed_files(folder: Path) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                rel = os.path.relpath(os.path.join(dirpath, name), folder)
                found.append(rel.replace(os.sep, "/"))
    return sorted(found)


def frontmatter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    meta = yaml.safe_load(text[4 : text.index("\n---", 3)])
    assert isinstance(meta, dict), path
    return meta


def load_docs(folder: Path = FIXTURE_SEEDS) -> dict[str, Doc]:
    """Every document a folder of valid seeds yields, by id."""
    articles: dict[str, tuple[str, dict[str, Any]]] = {}
    for rel in seed_files(folder):
        meta = frontmatter(folder / rel)
        url = meta.get("webUrl") or meta.get("originalUrl")
        identity = norm_url(url) if url else rel
        articles.setdefault(identity, (rel, meta))  # the first path wins a shared identity
    citations: dict[str, list[tuple[str, dict[str, Any]]]] = {}  # key -> [(citer, entry)]
    links: dict[str, list[str]] = {}
    for identity, (_, meta) in sorted(articles.items(), key=lambda kv: kv[1][0]):
        keys = links.setdefault(identity, [])
        for position, entry in enumerate(meta.get("related") or []):
            if not _clean(entry.get("title")):
                continue
            url = entry.get("webUrl") or entry.get("originalUrl")
            key = norm_url(url) if url else f"{identity}#related-{position + 1}"
            if key not in keys:
                keys.append(key)
            citations.setdefault(key, []).append((identity, entry))
    docs: dict[str, Doc] = {}
    for identity, (rel, meta) in articles.items():
        name, domain = _provider(meta.get("provider"))
        raw_topics = meta.get("topics") or []
        docs[identity] = Doc(
            id=identity,
            kind="article",
            title=_clean(meta.get("title")),
            excerpt=_clean(meta.get("excerpt")),
            topics=_union([[_clean(t) for t in raw_topics if _clean(t)]]),
            provider=name,
            domain=domain,
            published=utc(meta.get("publishedDateTime")),
            path=rel,
            links=tuple(links[identity]),
            cited_by=frozenset(c for c, _ in citations.get(identity, [])),
        )
    for key, citers in citations.items():
        if key in docs:
            continue
        first = citers[0][1]
        name, domain = _provider(first.get("provider"))
        docs[key] = Doc(
            id=key,
            kind="related",
            title=_clean(first.get("title")),
            excerpt=_clean(first.get("excerpt")),
            topics=_union(docs[c].topics for c, _ in citers),
            provider=name,
            domain=domain,
            published=utc(first.get("publishedDateTime")),
            path=None,
            links=(),
            cited_by=frozenset(c for c, _ in citers),
        )
    return docs


# --- filters and facets -------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    topics: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    kind: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive

    def topic_ok(self, doc: Doc) -> bool:
        wanted = {t.casefold() for t in self.topics}
        return not wanted or any(t.casefold() in wanted for t in doc.topics)

    def provider_ok(self, doc: Doc) -> bool:
        wanted = {p.casefold() for p in self.providers}
        return not wanted or (doc.provider or "").casefold() in wanted

    def kind_ok(self, doc: Doc) -> bool:
        return self.kind is None or doc.kind == self.kind

    def date_ok(self, doc: Doc) -> bool:
        if self.start is None and self.end is None:
            return True
        p = doc.published
        return (
            p is not None
            and (self.start is None or p >= self.start)
            and (self.end is None or p < self.end)
        )

    def ok(self, doc: Doc) -> bool:
        return (
            self.topic_ok(doc) and self.provider_ok(doc) and self.kind_ok(doc) and self.date_ok(doc)
        )


def matching(docs: Iterable[Doc], f: Filter) -> list[Doc]:
    return [d for d in docs if f.ok(d)]


def facet_counts(docs: Iterable[Doc], f: Filter = Filter()) -> dict[str, Counter[str]]:
    """Multi-select counts: each facet over the documents passing every *other* filter; the
    date histogram ignores the date filter and is keyed by bucket."""
    docs = list(docs)
    topics: Counter[str] = Counter()
    providers: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for d in docs:
        if f.provider_ok(d) and f.kind_ok(d) and f.date_ok(d):
            topics.update(t.casefold() for t in d.topics)
        if f.topic_ok(d) and f.kind_ok(d) and f.date_ok(d) and d.provider:
            providers[d.provider.casefold()] += 1
        if f.topic_ok(d) and f.provider_ok(d) and f.date_ok(d):
            kinds[d.kind] += 1
    dated = [
        d.published
        for d in docs
        if f.topic_ok(d) and f.provider_ok(d) and f.kind_ok(d) and d.published
    ]
    return {
        "topics": topics,
        "providers": providers,
        "kind": kinds,
        "published": histogram(dated),
    }


def granularity(dates: list[datetime]) -> str | None:
    """Years over more than about 3 years, months over more than about 2 months, else days."""
    if not dates:
        return None
    days = (max(dates) - min(dates)).days
    return "year" if days > 3 * 365 else "month" if days > 62 else "day"


def histogram(dates: list[datetime]) -> Counter[str]:
    fmt = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d", None: ""}[granularity(dates)]
    return Counter(d.strftime(fmt) for d in dates)


def words_match(doc: Doc, words: Iterable[str]) -> bool:
    """Every word occurs as a whole word in the title or excerpt: a lower bound for what a
    search for distinctive words must find (the index also stems and searches more fields)."""
    return all(re.search(rf"\b{re.escape(w.lower())}\b", doc.text) for w in words)
