"""The documents API: get, related, cited_by, similar, topics, providers; hits' link counts;
results as frozen values detached from the index."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

import searchkit
from searchkit import DocumentNotFoundError, SearchIndex, SearchkitError

from .search_helpers import (
    CAFE,
    PRIMER,
    QUASAR,
    QUASAR_BODY,
    TELESCOPE,
    VOTE,
    utc,
)
from .search_oracle import Doc, facet_counts


def no_url_stub(news_docs: dict[str, Doc]) -> str:
    (key,) = [d.id for d in news_docs.values() if d.title == "A Link Without Address"]
    assert key.startswith(QUASAR + "#")
    return key


def test_get_returns_every_field_of_an_article(
    news: SearchIndex, news_docs: dict[str, Doc]
) -> None:
    doc = news.get(QUASAR)
    assert doc.id == QUASAR and doc.kind == "article"
    assert doc.title == "Astronomers Spot A Quasar Beyond The Galaxy"
    assert doc.excerpt.startswith("Its glow outshines")
    assert doc.body.strip() == QUASAR_BODY
    assert doc.url == QUASAR
    assert (doc.provider, doc.domain) == ("Acme News", "acme.example")
    assert doc.published == utc(2021, 5, 31, 23, 59, 59)
    assert doc.topics == ("Science",)
    assert doc.quality == 90
    assert doc.path == "a-quasar.md"
    assert doc.links == (TELESCOPE, PRIMER, no_url_stub(news_docs))
    assert doc.cited_by == (VOTE,)  # VOTE cites it as ".../quasar/"


def test_get_normalises_the_identity_and_keeps_an_article_cited_elsewhere_one_article(
    news: SearchIndex,
) -> None:
    doc = news.get(TELESCOPE)  # the seed says HTTPS://Beta.Example/telescope-budget/#section
    assert doc.kind == "article" and doc.path == "b-telescope.md"
    assert doc.cited_by == (QUASAR,)
    assert doc.provider == "Beta Times"
    assert news.search("telescope budget").total == 1


def test_get_a_stub(news: SearchIndex, news_docs: dict[str, Doc]) -> None:
    stub = news.get(PRIMER)
    assert stub.kind == "related"
    # The first citing article in path order supplies the fields...
    assert stub.title == "A Quasar Primer"
    assert stub.excerpt == "Everything about bright galactic nuclei."
    assert (stub.provider, stub.domain) == ("Delta Wire", "delta.example")
    assert stub.published == utc(2020, 12, 31, 23, 59, 59)
    assert stub.path is None and stub.body == "" and stub.links == ()
    # ...every citing article is listed, and their topics are inherited.
    assert stub.cited_by == tuple(sorted((QUASAR, VOTE)))
    assert set(stub.topics) == {"Science", "Politics"}
    plain = news.get(no_url_stub(news_docs))
    assert plain.kind == "related" and plain.url is None and plain.cited_by == (QUASAR,)


def test_related_lists_the_cited_documents_in_order(
    news: SearchIndex, news_docs: dict[str, Doc]
) -> None:
    links = news.related(QUASAR)
    assert [link.id for link in links] == [TELESCOPE, PRIMER, no_url_stub(news_docs)]
    assert [link.kind for link in links] == ["article", "related", "related"]
    # An article of the index is shown as the article, not as the citing entry.
    assert links[0].title == "Telescope Budget Approved By Senate"
    assert links[0].provider == "Beta Times"
    assert links[0].published == utc(2021, 6, 1)
    vote = news.related(VOTE)
    assert [(link.id, link.kind) for link in vote] == [(PRIMER, "related"), (QUASAR, "article")]
    assert news.related(PRIMER) == []
    assert news.related(CAFE) == []


def test_cited_by_lists_the_citing_articles(news: SearchIndex) -> None:
    citing = news.cited_by(PRIMER)
    assert {c.id for c in citing} == {QUASAR, VOTE}
    assert all(c.kind == "article" for c in citing)
    assert [c.id for c in news.cited_by(TELESCOPE)] == [QUASAR]
    assert news.cited_by(CAFE) == []


def test_documents_match_the_seeds(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    for doc in docs.values():
        got = ix.get(doc.id)
        assert (got.kind, got.title, got.excerpt) == (doc.kind, doc.title, doc.excerpt)
        assert set(got.topics) == set(doc.topics)
        assert (got.provider, got.domain) == (doc.provider, doc.domain)
        assert (got.published, got.path) == (doc.published, doc.path)
        assert got.cited_by == tuple(sorted(doc.cited_by))


def test_related_of_every_fixture_article(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    articles_citing_articles = 0
    for doc in docs.values():
        if doc.kind != "article":
            continue
        links = ix.related(doc.id)
        assert [link.id for link in links] == list(doc.links)
        assert [link.kind for link in links] == [docs[k].kind for k in doc.links]
        articles_citing_articles += any(link.kind == "article" for link in links)
    assert articles_citing_articles > 0


def test_hits_carry_link_counts(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    results = ix.search("*", per_page=1000, facets=False)
    assert results.total == len(docs)
    for hit in results.hits:
        doc = docs[hit.id]
        assert hit.kind == doc.kind
        assert hit.cited_by == len(doc.cited_by)
        assert hit.links == len(doc.links)
        assert (hit.provider, hit.published, hit.path) == (doc.provider, doc.published, doc.path)
        assert set(hit.topics) == set(doc.topics)


def test_similar_returns_other_documents(news: SearchIndex, ix: SearchIndex) -> None:
    similar = news.similar(QUASAR)
    assert similar and QUASAR not in {h.id for h in similar}
    assert PRIMER in {h.id for h in similar}  # another "quasar" title
    assert len(news.similar(QUASAR, limit=1)) == 1
    for hit in ix.search("korea", per_page=5).hits:
        found = ix.similar(hit.id, limit=5)
        ids = [h.id for h in found]
        assert hit.id not in ids
        assert 0 < len(ids) <= 5 and len(set(ids)) == len(ids)
        assert [h.rank for h in found] == list(range(1, len(found) + 1))


def test_topics_and_providers_count_every_document(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    expected = facet_counts(docs.values())
    topics = ix.topics()
    assert {t.value.casefold(): t.count for t in topics} == dict(expected["topics"])
    assert [t.count for t in topics] == sorted((t.count for t in topics), reverse=True)
    providers = ix.providers()
    assert {p.value.casefold(): p.count for p in providers} == dict(expected["providers"])


def test_newsroom_providers_and_topics(news: SearchIndex, news_docs: dict[str, Doc]) -> None:
    providers = {p.value: p.count for p in news.providers()}
    assert providers == {
        name: count
        for name, count in Counter(d.provider for d in news_docs.values() if d.provider).items()
    }
    assert providers["Gamma Post"] == 2
    topics = {t.value: t.count for t in news.topics()}
    assert "science" not in topics and topics["Science"] == 6


@pytest.mark.parametrize("method", ["get", "similar", "related", "cited_by"])
def test_unknown_ids_raise_document_not_found(news: SearchIndex, method: str) -> None:
    with pytest.raises(DocumentNotFoundError) as info:
        getattr(news, method)("https://nowhere.example/missing")
    assert isinstance(info.value, SearchkitError)
    assert "https://nowhere.example/missing" in str(info.value)


def test_results_are_frozen_and_outlive_the_index(newsroom_dirs: tuple[Path, Path]) -> None:
    with searchkit.open_index(newsroom_dirs[1]) as index:
        results = index.search("quasar", facet_limit=3)
        doc = index.get(QUASAR)
    # Closed: the values are plain data, still complete.
    assert results.total == 2 and results.hits[0].title_spans
    assert results.facets["topics"].values and doc.body
    with pytest.raises(dataclasses.FrozenInstanceError):
        results.total = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        results.hits[0].title = "changed"  # type: ignore[misc]
