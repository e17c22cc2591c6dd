"""The documents the index holds: one per article, one per related stub.

An :class:`IndexDocument` is derived from seeds by pure functions here; the indexer decides which
ones to (re)write, and :func:`to_fields` / :func:`from_stored` convert to and from Whoosh's
stored form, so a document can be rebuilt from the index alone (needed for stale seeds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from .schema import VALUE_SEPARATOR as VALUE_SEPARATOR
from .values import Image, Provider

if TYPE_CHECKING:
    from .documents import RelatedEntry, Seed


Kind = Literal["article", "related"]
ARTICLE: Kind = "article"
RELATED: Kind = "related"
# The facet columns hold a kind as a number, and names as 64-bit keys (0: none).
KIND_CODES: dict[str, int] = {ARTICLE: 1, RELATED: 2}


@dataclass(frozen=True, slots=True)
class IndexDocument:
    """One searchable document: an article from a seed file, or a related-article stub."""

    id: str
    kind: Kind
    title: str
    excerpt: str = ""
    body: str = ""
    topics: tuple[str, ...] = ()
    provider: Provider = Provider()
    published: datetime | None = None
    url: str | None = None
    path: str | None = None
    quality: int | None = None
    links: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


def article_document(seed: Seed) -> IndexDocument:
    """The article a seed file yields."""
    extra = {
        "original_url": seed.original_url,
        "amp_url": seed.amp_url,
        "cdn_amp_url": seed.cdn_amp_url,
        "category": seed.category,
        "type": seed.type,
        "heat": seed.heat,
        "published_flag": seed.published_flag,
    }
    return IndexDocument(
        id=seed.identity,
        kind=ARTICLE,
        title=seed.title,
        excerpt=seed.excerpt,
        body=seed.body,
        topics=seed.topics,
        provider=seed.provider,
        published=seed.published,
        url=seed.web_url or seed.original_url,
        path=seed.path,
        quality=seed.quality,
        links=_unique(seed.related_keys()),
        images=seed.images,
        extra={k: v for k, v in extra.items() if v is not None},
    )


def stub_document(key: str, entry: RelatedEntry, topics: Iterable[str]) -> IndexDocument:
    """A related stub: the entry's own fields, plus the union of its citing articles' topics."""
    extra = {k: v for k, v in (("amp_url", entry.amp_url), ("type", entry.type)) if v}
    return IndexDocument(
        id=key,
        kind=RELATED,
        title=entry.title,
        excerpt=entry.excerpt,
        topics=merge_topics(topics),
        provider=entry.provider,
        published=entry.published,
        url=entry.url,
        quality=entry.quality,
        images=entry.images,
        extra=extra,
    )


def merge_topics(topics: Iterable[str]) -> tuple[str, ...]:
    """Topics in first-seen order, without case-insensitive repeats."""
    seen: set[str] = set()
    out = []
    for topic in topics:
        if topic.casefold() not in seen:
            seen.add(topic.casefold())
            out.append(topic)
    return tuple(out)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def facet_key(value: str) -> int:
    """A 64-bit key of a facet value (a provider's name, a set of topics), the same in every
    process and segment; 0 stands for no value."""
    if not value:
        return 0
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


def to_fields(doc: IndexDocument) -> dict[str, Any]:
    """The Whoosh field values of a document."""
    provider = doc.provider
    topics = VALUE_SEPARATOR.join(doc.topics)
    fields: dict[str, Any] = {
        "id": doc.id,
        "kind": doc.kind,
        "title": doc.title,
        "excerpt": doc.excerpt,
        "body": doc.body,
        "topics_text": " ; ".join(doc.topics),
        "provider_text": " ".join(v for v in (provider.name, provider.domain) if v),
        "words": " ".join((doc.title, doc.excerpt, doc.body)),
        "topic": topics,
        "provider": provider.name or "",
        "domain": provider.domain or "",
        "links": VALUE_SEPARATOR.join(doc.links),
        "data": _stored_data(doc),
        "kind_code": KIND_CODES[doc.kind],
        "provider_key": facet_key(provider.name or ""),
        "topics_key": facet_key(topics),
    }
    if doc.path is not None:
        fields["path"] = doc.path
    if doc.published is not None:
        fields["published"] = doc.published.astimezone(UTC).replace(tzinfo=None)
    if doc.quality is not None:
        fields["quality"] = doc.quality
    return fields


def _stored_data(doc: IndexDocument) -> dict[str, Any]:
    data: dict[str, Any] = {"topics": list(doc.topics)}
    if doc.url:
        data["url"] = doc.url
    if doc.provider.name or doc.provider.domain:
        data["provider"] = [doc.provider.name, doc.provider.domain]
    if doc.links:
        data["links"] = list(doc.links)
    if doc.images:
        data["images"] = [[i.url, i.width, i.height, i.is_cached] for i in doc.images]
    if doc.extra:
        data["extra"] = dict(doc.extra)
    return data


def from_stored(stored: Mapping[str, Any]) -> IndexDocument:
    """Rebuild a document from the fields Whoosh stored for it."""
    data = stored.get("data") or {}
    name, domain = data.get("provider") or (None, None)
    published = stored.get("published")
    return IndexDocument(
        id=stored["id"],
        kind=stored["kind"],
        title=stored.get("title", ""),
        excerpt=stored.get("excerpt", ""),
        body=stored.get("body", ""),
        topics=tuple(data.get("topics", ())),
        provider=Provider(name=name, domain=domain),
        published=published.replace(tzinfo=UTC) if published is not None else None,
        url=data.get("url"),
        path=stored.get("path"),
        quality=stored.get("quality"),
        links=tuple(data.get("links", ())),
        images=tuple(Image(*i) for i in data.get("images", ())),
        extra=data.get("extra", {}),
    )
