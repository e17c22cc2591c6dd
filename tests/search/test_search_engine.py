"""The engine's own matching, scoring and column reading against Whoosh's.

search.py finds the documents a query matches with set operations on cached postings lists,
and scores only the documents the filters allow; facets.py reads whole columns at once. Each
must give exactly what Whoosh gives: the same documents, the same top documents in the same
order with the same scores, the same facet values.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TopCollector
from whoosh.matching import NullMatcher, WrappingMatcher

from searchkit import store
from searchkit.options import SearchOptions
from searchkit.query import QueryParser
from searchkit.search import Engine, make_searcher
from searchkit.search.columns import KIND_NAMES, FacetColumns
from searchkit.search.expansion import Expansion, _expands
from searchkit.search.facets import from_long
from searchkit.search.ranking import RERANK_POOL
from searchkit.whoosh_seam.expansion import Vocabularies, segment_words

from .search_helpers import FIXTURE_NOW, FIXTURE_SEEDS, build, write_seed

pytestmark = pytest.mark.seam  # part of what verifies a Whoosh version (docs/WHOOSH.md)

QUERIES = [
    "trump",
    "north korea",
    "trump summit korea",
    "korea OR trump",
    "korea -north",
    "trump ANDMAYBE korea",
    "NOT trump",
    '"north korea"',
    '"south korea" talks',
    "kor*",
    "kor?a trump",
    "trmp~",
    "title:[kim to kor]",
    "title:korea",
    'topic:"world news"',
    "source:huffpost trump",
    "kind:related",
    "date:2018 trump",
    "trump OR date:2018-03",
    "korea NOT date:[2018-03 to 2018-06]",
    "date:2018 ANDMAYBE korea",
    "gwen stefani",
    "*",
    "nothingatallxyz",
]


@pytest.fixture(params=["auto", "union", "array"])
def or_matchers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoosh's matchers for OR: chosen by segment size (small segments preload their
    postings into an array), or forced either way, so both kinds meet the engine."""
    kinds = {"union": wq.Or.DEFAULT_MATCHER, "array": wq.Or.ARRAY_MATCHER}
    if request.param in kinds:
        monkeypatch.setattr(wq.Or, "matcher_type", kinds[request.param])


def open_engine(index_dir: Path, **options: Any) -> tuple[Engine, QueryParser]:
    ix = whoosh_index.open_dir(str(store.require_store(index_dir)))
    return Engine(make_searcher(ix), ix.schema, **options), QueryParser(ix.schema)


@pytest.fixture(scope="module")
def segmented_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture seeds indexed, then edited, removed and added to: several segments, with
    deleted documents."""
    root = tmp_path_factory.mktemp("segmented")
    seeds = root / "seeds"
    shutil.copytree(FIXTURE_SEEDS, seeds)
    build(seeds, root / "index")
    names = sorted(p.name for p in seeds.glob("*.md"))
    for name in names[:3]:
        path = seeds / name
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('title: "', 'title: "Quokka ', 1), encoding="utf-8")
    (seeds / names[3]).unlink()
    build(seeds, root / "index")
    write_seed(seeds, "zz-wombat.md", {"title": "Wombatzz Sighted In Korea"})
    build(seeds, root / "index")
    return root / "index"


@pytest.fixture(params=["fixture", "segmented"])
def index_dir(request: pytest.FixtureRequest, fixture_index_dir: Path, segmented_dir: Path) -> Path:
    return fixture_index_dir if request.param == "fixture" else segmented_dir


@pytest.fixture
def engine(index_dir: Path) -> Iterator[tuple[Engine, QueryParser]]:
    opened = open_engine(index_dir)
    yield opened
    opened[0].close()


def queries(engine: Engine, parser: QueryParser) -> list[Any]:
    """The parsed QUERIES, their title-phrase ranking query where they have one, and terms
    found in one document only (Whoosh keeps those postings apart, in the term index)."""
    out: list[Any] = []
    for text in QUERIES:
        parsed = parser.parse(text, now=FIXTURE_NOW)
        out.append(parsed.query)
        if parsed.title_phrase is not None:
            out.append(wq.AndMaybe(parsed.query, parsed.title_phrase))
    reader = engine.reader
    singles = [t.decode() for t in reader.lexicon("title") if reader.doc_frequency("title", t) == 1]
    assert len(singles) >= 3
    out += [wq.Term("title", singles[0]), wq.Or([wq.Term("title", t) for t in singles[:3]])]
    return out


def expansion(engine: Engine, query: Any) -> Expansion:
    """What a search expands a query with: patterns, a field's `*`, dates within a query."""
    return Expansion(engine.searcher, str(query), dates=engine.columns.all_published)


class ScoredPattern(wq.Query):  # type: ignore[misc]
    """A wildcard, prefix or fuzzy word scored as searchkit scores it (Expanded's docstring,
    whoosh_seam/expansion.py): in each segment, the Or of the words it matches there, each
    scored and boosted, whatever the segment holds; Whoosh's own MultiTerm drops the boost
    where one word matches, and scores every document 1 on a small segment."""

    def __init__(self, leaf: Any) -> None:
        self.leaf = leaf
        self.fieldname = leaf.fieldname

    def __hash__(self) -> int:
        return id(self)

    def is_leaf(self) -> bool:
        return True

    def estimate_size(self, ixreader: Any) -> int:
        return int(self.leaf.estimate_size(ixreader))

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        words = [w for w in self.leaf._btexts(searcher.reader()) if w]
        terms = [wq.Term(self.fieldname, w) for w in words]
        if not terms:
            return NullMatcher()
        if len(terms) == 1:
            found = terms[0].matcher(searcher, context)
            boost = self.leaf.boost
            return WrappingMatcher(found, boost=boost) if boost != 1.0 else found
        return wq.Or(terms, boost=self.leaf.boost).matcher(searcher, context)


def scored_as_searchkit_scores(query: Any) -> Any:
    """`query` with its patterns scored as searchkit scores them (ScoredPattern)."""
    return query.accept(lambda q: ScoredPattern(q) if _expands(q) else q)


def whoosh_ranking(engine: Engine, query: Any, allowed: list[int], limit: int) -> Any:
    """Whoosh's top-N search, without swapping in cheaper matchers midway: that drops a
    document now and then (seen on a small index of several segments with deletions)."""
    collector = FilterCollector(TopCollector(limit, replace=0), allow=set(allowed))
    engine.searcher.search_with_collector(scored_as_searchkit_scores(query), collector)
    return [(hit.docnum, hit.score) for hit in collector.results()]


def exact_ranking(engine: Engine, query: Any, allowed: list[int], limit: int) -> Any:
    """Whoosh's scores of every allowed match, best first, ties in document order."""
    results = engine.searcher.search(
        scored_as_searchkit_scores(query), filter=set(allowed), limit=None
    )
    ranked = sorted(((hit.docnum, hit.score) for hit in results), key=lambda x: (-x[1], x[0]))
    return ranked[:limit]


@pytest.mark.usefixtures("or_matchers")
def test_matches_are_whooshs(engine: tuple[Engine, QueryParser]) -> None:
    """Also with the patterns expanded ahead (search/expansion.py): kor*, trmp~, north *."""
    eng, parser = engine
    for query in queries(eng, parser):
        wanted = sorted(eng.searcher.docs_for_query(query))
        assert eng._docs(query) == wanted, query
        assert eng._docs(query, expansion(eng, query)) == wanted, query


@pytest.mark.usefixtures("or_matchers")
def test_scores_of_allowed_documents_are_whooshs(engine: tuple[Engine, QueryParser]) -> None:
    """Scored as a search scores them, with the patterns expanded ahead."""
    eng, parser = engine
    for query in queries(eng, parser):
        expanded = expansion(eng, query)
        matched = eng._docs(query)
        subsets = [matched, matched[::3], [d for d in matched if d % 2], matched[-1:]]
        for allowed in subsets:
            if not allowed:
                continue
            for limit in (RERANK_POOL, 3):
                ranked = eng._scored(query, allowed, limit, expanded)
                if ranked is None:  # zero scores (NOT): left to Whoosh
                    continue
                assert ranked == whoosh_ranking(eng, query, allowed, limit), (query, allowed)
                assert ranked == exact_ranking(eng, query, allowed, limit), (query, allowed)


@pytest.mark.parametrize("text", ["north *", "trmp~2 korea"])
def test_costlier_patterns_match_and_score_as_whooshs(
    engine: tuple[Engine, QueryParser], text: str
) -> None:
    """A field's `*` (found from the field's lengths) and a two-edit fuzzy word, expanded
    ahead: the same matches and scores as Whoosh's (which is slow on these, so once)."""
    eng, parser = engine
    query = parser.parse(text, now=FIXTURE_NOW).query
    expanded = expansion(eng, query)
    matched = eng._docs(query, expanded)
    assert matched == sorted(eng.searcher.docs_for_query(query))
    assert eng._scored(query, matched, RERANK_POOL, expanded) == exact_ranking(
        eng, query, matched, RERANK_POOL
    )


def test_fuzzy_words_match_the_words_whoosh_finds(engine: tuple[Engine, QueryParser]) -> None:
    """A fuzzy word's automaton walked through a segment's words in memory finds what Whoosh
    finds walking it through the field's term table, in the same order (a field that is no
    text field, topic, is left to Whoosh)."""
    eng, _ = engine
    vocabularies = Vocabularies()
    for number, (sub, _) in enumerate(eng.searcher.leaf_searchers()):
        reader = sub.reader()
        for text in ("trmp", "korea", "x", "stefanni", "wombatz", "caf"):
            for maxdist, prefix in ((0, 0), (1, 0), (1, 2), (2, 0), (2, 1)):
                prefix = min(prefix, len(text))  # (as the query parser clamps it)
                for field in ("title", "provider_text", "topic"):
                    leaf = wq.FuzzyTerm(field, text, maxdist=maxdist, prefixlength=prefix)
                    whooshs = [word for _, word in leaf.expanded_terms(reader)]
                    assert list(segment_words(leaf, number, reader, vocabularies)) == whooshs


def test_a_small_postings_cache_changes_nothing(
    engine: tuple[Engine, QueryParser], index_dir: Path
) -> None:
    def answers(eng: Engine) -> list[Any]:
        return [(eng._docs(q), eng._scored(q, eng._docs(q), 20)) for q in queries(eng, parser)]

    eng, parser = engine
    wanted = answers(eng)
    small, _ = open_engine(index_dir, options=SearchOptions(postings_cache=5))
    try:
        assert answers(small) == wanted
        cache = small._postings
        assert cache._size <= 5 or len(cache._lists) == 1  # the newest list stays
    finally:
        small.close()


def test_facet_columns_hold_every_documents_kind_provider_topics_and_date(
    engine: tuple[Engine, QueryParser],
) -> None:
    eng, _ = engine
    cols = FacetColumns(eng.reader)
    seen_dated = seen_topics = False
    for docnum in cols.live():
        doc = eng.documents.stored(docnum)
        assert KIND_NAMES[cols.kinds[docnum]] == doc.kind
        assert cols.provider(cols.providers[docnum], docnum) == (doc.provider.name or "")
        assert cols.topics(cols.topic_sets[docnum], docnum) == doc.topics
        assert from_long(cols.published(docnum)) == doc.published
        seen_dated |= doc.published is not None
        seen_topics |= bool(doc.topics)
    assert seen_dated and seen_topics
