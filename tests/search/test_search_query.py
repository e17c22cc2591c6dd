"""Every feature of the query language, through SearchIndex.search: operators, groups, phrases,
fields and their aliases, wildcards, fuzzy words, boosts, browsing, sorting, paging, stemming,
accent folding, apostrophes, the fallbacks and the spelling correction."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import searchkit
from searchkit import SearchIndex, SearchResults, Suggestion

from .search_helpers import (
    CAFE,
    FAIR,
    MEMO,
    PAINT,
    PRIMER,
    QUASAR,
    TELESCOPE,
    VOTE,
    build,
    write_seed,
)
from .search_oracle import Doc, Filter, matching

ALL = 1000


def ids(index: SearchIndex, query: str, **options: Any) -> set[str]:
    results = index.search(query, per_page=ALL, facets=False, **options)
    assert len(results.hits) == results.total
    return {h.id for h in results.hits}


def walk(index: SearchIndex, query: str, per_page: int, **options: Any) -> list[str]:
    """Every hit id, page after page, checking that the total never changes."""
    first = index.search(query, per_page=per_page, **options)
    out = [h.id for h in first.hits]
    for page in range(2, first.pages + 2):
        results = index.search(query, page=page, per_page=per_page, **options)
        assert results.total == first.total
        out += [h.id for h in results.hits]
    return out


# --- boolean operators and groups (fixture seeds: set algebra) ------------------------------


def test_and_or_not(ix: SearchIndex) -> None:
    trump, korea = ids(ix, "trump"), ids(ix, "korea")
    assert trump & korea and trump - korea and korea - trump
    assert ids(ix, "trump AND korea") == trump & korea
    assert ids(ix, "trump korea") == trump & korea  # all words must match
    assert ids(ix, "trump OR korea") == trump | korea
    assert ids(ix, "trump NOT korea") == trump - korea
    assert ids(ix, "trump AND NOT korea") == trump - korea
    assert ids(ix, "trump -korea") == trump - korea


def test_parentheses_group(ix: SearchIndex) -> None:
    trump, obama, korea = ids(ix, "trump"), ids(ix, "obama"), ids(ix, "korea")
    grouped = ids(ix, "(trump OR obama) AND korea")
    assert grouped == (trump | obama) & korea
    other = ids(ix, "trump OR (obama AND korea)")
    assert other == trump | (obama & korea)
    assert grouped != other
    assert ids(ix, "korea NOT (trump OR obama)") == korea - trump - obama


def test_phrase_matches_adjacent_words_only(news: SearchIndex) -> None:
    assert ids(news, '"white house"') == {FAIR}
    assert ids(news, '"house white"') == {PAINT}
    assert ids(news, "white house") == {FAIR, PAINT}
    assert ids(news, 'title:"white house"') == {FAIR}


def test_phrase_on_the_fixture(ix: SearchIndex) -> None:
    phrase = ix.search('"white house"', per_page=ALL)
    words = ids(ix, "white house")
    assert 0 < phrase.total <= len(words)
    assert {h.id for h in phrase.hits} <= words
    for hit in phrase.hits:
        doc = ix.get(hit.id)
        assert re.search(r"white\W+house", f"{doc.title} {doc.excerpt}", re.I), doc.title


# --- fields and aliases ------------------------------------------------------------------------


def test_title_and_excerpt_fields(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    in_title = {d.id for d in docs.values() if re.search(r"\bkorea\b", d.title, re.I)}
    in_excerpt = {d.id for d in docs.values() if re.search(r"\bkorea\b", d.excerpt, re.I)}
    assert in_title and in_excerpt and in_title != in_excerpt
    title = ids(ix, "title:korea")
    excerpt = ids(ix, "excerpt:korea")
    assert in_title <= title and in_excerpt <= excerpt
    assert all("korea" in docs[i].title.lower() for i in title)
    assert all("korea" in docs[i].excerpt.lower() for i in excerpt)
    assert title | excerpt <= ids(ix, "korea")


def test_fields_of_the_newsroom(news: SearchIndex) -> None:
    assert ids(news, "title:quasar") == {QUASAR, PRIMER}
    assert ids(news, "title:galaxy") == {QUASAR}
    assert ids(news, "excerpt:galactic") == {PRIMER}
    assert ids(news, "excerpt:quasar") == set()
    # The body is searched too, with its own field name.
    assert ids(news, "zymurgy") == {QUASAR}
    assert ids(news, "body:zymurgy") == {QUASAR}
    assert ids(news, "title:zymurgy") == set()


@pytest.mark.parametrize(
    "query",
    ["topic:politics", "topic:POLITICS", "topic:Politics", "topics:politics", "category:politics"],
)
def test_topic_field_is_case_insensitive(ix: SearchIndex, docs: dict[str, Doc], query: str) -> None:
    expected = {d.id for d in matching(docs.values(), Filter(topics=("Politics",)))}
    assert ids(ix, query) == expected


def test_multi_word_topic_is_quoted(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    world = {d.id for d in matching(docs.values(), Filter(topics=("World News",)))}
    politics = {d.id for d in matching(docs.values(), Filter(topics=("Politics",)))}
    assert ids(ix, 'topic:"world news"') == world
    assert ids(ix, 'topic:"World News"') == world
    assert ids(ix, 'topic:(politics OR "world news")') == world | politics
    assert ids(ix, "NOT topic:politics") == set(docs) - politics


@pytest.mark.parametrize(
    ("query", "name", "domain"),
    [
        ('provider:"Acme News"', "Acme News", None),
        ('source:"acme news"', "Acme News", None),
        ("provider:acme.example", None, "acme.example"),
        ("source:beta.example", None, "beta.example"),
        ('provider:"gamma post"', "Gamma Post", None),
        ("domain:gamma.example", None, "gamma.example"),
        ("site:delta.example", None, "delta.example"),
    ],
)
def test_provider_by_name_or_domain(
    news: SearchIndex, news_docs: dict[str, Doc], query: str, name: str | None, domain: str | None
) -> None:
    expected = {
        d.id
        for d in news_docs.values()
        if (name and (d.provider or "").casefold() == name.casefold())
        or (domain and d.domain == domain)
    }
    assert expected
    assert ids(news, query) == expected


def test_provider_and_domain_on_the_fixture(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    huffpost = {d.id for d in docs.values() if (d.provider or "").casefold() == "huffpost"}
    assert ids(ix, "provider:huffpost") == huffpost
    assert ids(ix, "source:HuffPost") == huffpost
    for domain in ("huffpost.com", "huffingtonpost.com"):
        expected = {d.id for d in docs.values() if d.domain == domain}
        assert expected
        assert ids(ix, f"domain:{domain}") == expected
        assert ids(ix, f"provider:{domain}") == expected


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("kind:article", "article"),
        ("kind:related", "related"),
        ("kind:stub", "related"),
        ("type:articles", "article"),
    ],
)
def test_kind_field(ix: SearchIndex, docs: dict[str, Doc], query: str, kind: str) -> None:
    assert ids(ix, query) == {d.id for d in docs.values() if d.kind == kind}


def test_fields_combine_with_words(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    stubs = {d.id for d in docs.values() if d.kind == "related"}
    world = {d.id for d in matching(docs.values(), Filter(topics=("World News",)))}
    assert ids(ix, 'korea kind:stub topic:"world news"') == ids(ix, "korea") & stubs & world


def test_field_names_are_case_insensitive(news: SearchIndex) -> None:
    assert ids(news, "Title:quasar") == ids(news, "title:quasar") == {QUASAR, PRIMER}
    assert ids(news, "TOPIC:sports") == ids(news, "topic:sports") == {PAINT, FAIR}


def test_unknown_kind_in_the_query_is_an_error(ix: SearchIndex) -> None:
    with pytest.raises(searchkit.QueryError) as info:
        ix.search("kind:foo")
    assert "article" in str(info.value)


# --- wildcards, fuzzy words, boosts ------------------------------------------------------------


def test_wildcards(news: SearchIndex, ix: SearchIndex, docs: dict[str, Doc]) -> None:
    assert ids(news, "climat*") == {MEMO}
    assert ids(news, "qua?ar") == {QUASAR, PRIMER}
    korea = ids(ix, "korea")
    korean = {d.id for d in docs.values() if re.search(r"\bkorean", d.text)}
    assert korean - korea, "'Korean' does not stem to 'korea'"
    assert ids(ix, "kore*") >= korea | korean


def test_fuzzy_word(news: SearchIndex, ix: SearchIndex) -> None:
    results = news.search("quasr~", per_page=ALL)
    assert results.corrected is None  # found by the fuzzy match, not by a correction
    assert {h.id for h in results.hits} >= {QUASAR, PRIMER}
    assert news.search("quasr").corrected == "quasar"  # without ~, the spelling is corrected
    fuzzy = ix.search("koreo~", per_page=ALL)
    assert fuzzy.corrected is None
    assert {h.id for h in fuzzy.hits} >= ids(ix, "korea")


def test_boost_changes_the_ranking(news: SearchIndex) -> None:
    kiwi = news.search("kiwi^10 OR mango")
    mango = news.search("kiwi OR mango^10")
    assert {h.id for h in kiwi.hits} == {h.id for h in mango.hits} == {FAIR, PAINT}
    assert kiwi.hits[0].id == FAIR
    assert mango.hits[0].id == PAINT
    assert kiwi.hits[0].score > kiwi.hits[1].score


# --- browsing, sorting, paging -----------------------------------------------------------------


def published_order(results: SearchResults) -> list[datetime]:
    return [h.published for h in results.hits if h.published is not None]


@pytest.mark.parametrize("query", ["", "*", "   "])
def test_empty_query_browses_everything_newest_first(
    ix: SearchIndex, docs: dict[str, Doc], query: str
) -> None:
    results = ix.search(query, per_page=ALL)
    assert results.total == len(docs)
    dates = published_order(results)
    assert len(dates) == len(results.hits)
    assert dates == sorted(dates, reverse=True)
    assert results.fallback is None and results.corrected is None and results.suggestion is None


def test_browse_puts_undated_documents_last(news: SearchIndex) -> None:
    results = news.search("*", per_page=ALL)
    assert results.hits[-1].id == MEMO
    dates = published_order(results)
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("query", ["trump", "*", "korea OR coachella"])
def test_sort_modes(ix: SearchIndex, query: str) -> None:
    by = {
        sort: ix.search(query, sort=sort, per_page=ALL, facets=False)
        for sort in ("relevance", "newest", "oldest", "recent-relevance")
    }
    sets = {sort: frozenset(h.id for h in r.hits) for sort, r in by.items()}
    assert len(set(sets.values())) == 1
    assert all(r.sort == sort for sort, r in by.items())
    assert published_order(by["newest"]) == sorted(published_order(by["newest"]), reverse=True)
    assert published_order(by["oldest"]) == sorted(published_order(by["oldest"]))
    if query != "*":
        scores = [h.score for h in by["relevance"].hits]
        assert scores == sorted(scores, reverse=True)
        assert scores[0] > scores[-1]


def test_recent_relevance_prefers_newer_among_equals(ix: SearchIndex) -> None:
    # Every fixture document is from HuffPost: the provider clause scores them all alike.
    results = ix.search("provider:huffpost", sort="recent-relevance", per_page=20)
    dates = published_order(results)
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == max(published_order(ix.search("*", per_page=1)))


def test_unknown_sort_is_a_parameter_error(ix: SearchIndex) -> None:
    with pytest.raises(searchkit.ParameterError) as info:
        ix.search("trump", sort="best")  # type: ignore[arg-type]
    assert "relevance" in (info.value.hint or "")


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest", "recent-relevance"])
def test_page_two_continues_page_one(ix: SearchIndex, sort: str) -> None:
    page1 = ix.search("trump", sort=sort, per_page=10)
    page2 = ix.search("trump", sort=sort, per_page=10, page=2)
    both = ix.search("trump", sort=sort, per_page=20)
    assert page1.total == page2.total == both.total > 20
    assert [h.id for h in page1.hits + page2.hits] == [h.id for h in both.hits]
    assert not {h.id for h in page1.hits} & {h.id for h in page2.hits}
    assert [h.rank for h in page2.hits] == list(range(11, 21))
    assert page2.page == 2 and page2.pages == -(-page1.total // 10)


def test_a_page_past_the_end_is_empty(ix: SearchIndex) -> None:
    results = ix.search("korea", page=50)
    assert results.hits == () and results.total == len(ids(ix, "korea")) > 0


@pytest.mark.parametrize(("query", "per_page"), [("trump", 7), ("*", 25), ("korea OR netflix", 4)])
def test_paging_walks_every_match_exactly_once(ix: SearchIndex, query: str, per_page: int) -> None:
    for sort in ("relevance", "newest", "oldest"):
        pages = walk(ix, query, per_page, sort=sort)
        assert pages == [h.id for h in ix.search(query, sort=sort, per_page=ALL).hits]


@pytest.fixture(scope="module")
def coverage_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """72 titles that index alike; 12 of them also hold the stop word "you"."""
    root = tmp_path_factory.mktemp("title-coverage")
    for i in range(60):
        meta = {"title": "Alpha Beta Gamma", "webUrl": f"https://x.example/{i}"}
        write_seed(
            root / "seeds", f"x{i:03d}.md", meta | {"publishedDateTime": "2021-01-01T00:00:00Z"}
        )
    for i in range(12):
        meta = {"title": "Alpha Beta Gamma You", "webUrl": f"https://y.example/{i}"}
        write_seed(
            root / "seeds", f"y{i:03d}.md", meta | {"publishedDateTime": "2021-01-01T00:00:00Z"}
        )
    build(root / "seeds", root / "index")
    with searchkit.open_index(root / "index") as index:
        yield index


def test_relevance_paging_is_stable_beyond_the_rerank_pool(coverage_index: SearchIndex) -> None:
    full = [h.id for h in coverage_index.search("alpha beta you", per_page=ALL).hits]
    assert len(full) == 72
    assert walk(coverage_index, "alpha beta you", 10) == full


def test_recent_relevance_paging_is_stable_beyond_the_recency_pool(ix: SearchIndex) -> None:
    full = [h.id for h in ix.search("huffpost", sort="recent-relevance", per_page=ALL).hits]
    assert len(full) > 200
    assert walk(ix, "huffpost", 25, sort="recent-relevance") == full


# --- word forms ----------------------------------------------------------------------------------


def test_stemming_finds_other_word_forms(news: SearchIndex, ix: SearchIndex) -> None:
    assert ids(news, "banned") == ids(news, "ban") == ids(news, "bans") == {TELESCOPE, VOTE}
    assert ids(news, "astronomer") == {QUASAR}
    fixture = ids(ix, "banned")
    assert fixture == ids(ix, "ban") and fixture


def test_accents_are_folded(news: SearchIndex, ix: SearchIndex) -> None:
    assert ids(news, "cafe") == ids(news, "café") == ids(news, "CAFÉ") == {CAFE}
    assert ids(news, "montreal") == ids(news, "Montréal") == {QUASAR}
    beyonce = ids(ix, "beyonce")
    assert beyonce and beyonce == ids(ix, "Beyoncé") == ids(ix, "BEYONCÉ")


def test_curly_and_straight_apostrophes_match_alike(ix: SearchIndex, docs: dict[str, Doc]) -> None:
    curly = {d.id for d in docs.values() if "trump’s" in d.text}
    straight = {d.id for d in docs.values() if "trump's" in d.text}
    assert curly and straight
    found = ids(ix, "trump’s")
    assert found == ids(ix, "trump's") == ids(ix, "trump")
    assert curly | straight <= found
    assert ids(ix, '"trump’s"') == ids(ix, '"trump\'s"')


def test_curly_apostrophe_in_an_excerpt(news: SearchIndex) -> None:
    assert ids(news, "owners' protest") == ids(news, "owners’ protest") == {CAFE}


# --- fallbacks and corrections -------------------------------------------------------------------


def test_all_words_first_then_relaxed_to_any_word(news: SearchIndex) -> None:
    strict = news.search("quasar galaxy")
    assert strict.fallback is None and {h.id for h in strict.hits} == {QUASAR}
    relaxed = news.search("quasar kiwi", per_page=ALL)
    assert relaxed.fallback == "any-word"
    assert {h.id for h in relaxed.hits} == ids(news, "quasar") | ids(news, "kiwi")


def test_relaxed_first_drops_one_word(news: SearchIndex) -> None:
    results = news.search("quasar galaxy kiwi", per_page=ALL)
    assert results.fallback == "drop-one"
    assert {h.id for h in results.hits} == {QUASAR}  # the only one with two of the three words


def test_relaxed_on_the_fixture(ix: SearchIndex) -> None:
    results = ix.search("zyzzyva trump", per_page=ALL)
    assert results.fallback == "any-word" and results.corrected is None
    assert {h.id for h in results.hits} == ids(ix, "trump")


def test_spelling_is_corrected_when_nothing_matches(news: SearchIndex) -> None:
    results = news.search("telescpoe", per_page=ALL)
    assert results.corrected == "telescope"
    assert results.query == "telescpoe"
    expected = ids(news, "telescope")
    assert {h.id for h in results.hits} == expected
    assert results.total == len(expected)
    assert results.suggestion == Suggestion("telescope", len(expected))


def test_spelling_correction_on_the_fixture(ix: SearchIndex) -> None:
    results = ix.search("kroea", per_page=ALL)
    korea = ids(ix, "korea")
    assert results.corrected == "korea"
    assert {h.id for h in results.hits} == korea
    assert results.suggestion == Suggestion("korea", len(korea))


def test_did_you_mean_when_a_query_finds_very_little(news: SearchIndex) -> None:
    results = news.search("telescpoe OR kiwi", per_page=ALL)
    assert results.corrected is None  # it found something: show that
    assert {h.id for h in results.hits} == {FAIR}
    assert results.suggestion is not None
    assert results.suggestion.query == "telescope OR kiwi"
    assert results.suggestion.total == len(ids(news, "telescope OR kiwi")) == 2


def test_no_suggestion_when_nothing_is_close(news: SearchIndex) -> None:
    results = news.search("xqzvwj")
    assert (results.total, results.suggestion, results.corrected) == (0, None, None)


def test_no_suggestion_for_a_query_that_finds_plenty(ix: SearchIndex) -> None:
    results = ix.search("trump")
    assert results.suggestion is None and results.corrected is None and results.fallback is None


def test_parse_reports_the_resolved_query(ix: SearchIndex) -> None:
    parsed = ix.parse("korea date:2018-05")
    assert parsed.resolved == "korea date:[2018-05-01 to 2018-05-31]"
    assert not parsed.match_all
    assert ix.parse("*").match_all


def test_browse_lists_every_newsroom_document(news: SearchIndex, news_docs: dict[str, Doc]) -> None:
    found = ids(news, "*")
    assert found == set(news_docs)
    assert {QUASAR, TELESCOPE, VOTE, CAFE, PAINT, FAIR, MEMO, PRIMER} <= found


def test_words_are_not_relaxed_when_only_filters_exclude_their_matches(ix: SearchIndex) -> None:
    # "trump" matches in Politics; within a topic that has no document with both words, the page
    # is empty (the filter is the reason) rather than filled with documents lacking a word.
    both = ix.search("trump obama", per_page=1)
    assert both.total > 0 and both.fallback is None
    topics = [v.value for v in ix.topics()]
    for topic in topics:
        narrowed = ix.search("trump obama", topics=[topic], per_page=5)
        some_word = ix.search("trump OR obama", topics=[topic], per_page=1)
        if narrowed.total == 0 and some_word.total > 0:
            assert narrowed.fallback is None and narrowed.hits == ()
            break
    else:
        pytest.fail("no topic where only some of the words occur")


# --- filling a short page with documents that have most of the words --------------------------


def test_a_short_page_is_filled_with_documents_that_have_most_of_the_words(
    ix: SearchIndex,
) -> None:
    query = "korea summit trump cancels"
    strict = ix.search(query, match="all", per_page=10)
    assert 0 < strict.total < 10 and all(h.match == "all" for h in strict.hits)
    filled = ix.search(query, per_page=10)  # match="most" is the default
    assert filled.total == strict.total  # the count of full matches
    assert filled.hits[: strict.total] == strict.hits  # the full matches first, unchanged
    partial = filled.hits[strict.total :]
    assert partial and all(h.match == "partial" for h in partial)
    assert [h.rank for h in filled.hits] == list(range(1, len(filled.hits) + 1))
    assert len(filled.hits) <= 10
    words = query.split()
    full_ids = {h.id for h in strict.hits}
    for hit in partial:
        assert hit.id not in full_ids
        # It has all the words but one: the search for those three words finds it.
        assert any(
            hit.id
            in {
                h.id
                for h in ix.search(
                    " ".join(words[:i] + words[i + 1 :]), per_page=1000, match="all"
                ).hits
            }
            for i in range(len(words))
        )


def test_no_partial_hits_on_a_full_page_or_without_words(ix: SearchIndex) -> None:
    assert all(h.match == "all" for h in ix.search("trump", per_page=10).hits)
    assert all(h.match == "all" for h in ix.search("korea summit", per_page=3).hits)
    assert all(h.match == "all" for h in ix.search("korea summit", per_page=1000).hits)
    assert all(h.match == "all" for h in ix.search("*", per_page=10).hits)
    with pytest.raises(searchkit.ParameterError):
        ix.search("korea", match="some")  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["0 last week", "the white house", "a korea summit"])
def test_words_that_search_nothing_do_not_count_toward_partial_hits(
    ix: SearchIndex, query: str
) -> None:
    """Two searchable words ("0" and "the" are dropped) are not three: all but one of two
    words is not "most of them", so a short page stays short."""
    results = ix.search(query, per_page=1000)
    assert results.total < 1000
    assert [h.match for h in results.hits] == ["all"] * results.total


def test_an_article_outranks_the_stubs_it_cites_when_scores_are_close(
    tmp_path: Path,
) -> None:
    """The README's example: the bundled article ranked below five of its own stubs."""
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    build(seeds, tmp_path / "index")
    with searchkit.open_index(tmp_path / "index") as bundled:
        hits = bundled.search("facial recognition").hits
        assert hits[0].kind == "article"
        cited = set(bundled.get(hits[0].id).links)
        stubs_below = [h for h in hits[1:] if h.id in cited]
        assert stubs_below and all(h.kind == "related" for h in stubs_below)
        assert all(hits[0].score >= h.score for h in hits[1:])
        # Without its words close in score, nothing moves: a strict search of the stub's
        # own title still puts that stub first.
        first_stub = stubs_below[0]
        assert bundled.search(f'"{first_stub.title}"').hits[0].id == first_stub.id


def test_articles_over_their_stubs_moves_only_close_citing_articles() -> None:
    from searchkit.search.ranking import articles_over_their_stubs

    ranked = [(1, 10.0), (2, 9.0), (3, 8.0), (4, 5.0)]  # 1 and 2 are stubs
    citing = {1: [3, 4], 2: []}
    moved = articles_over_their_stubs(ranked, lambda d: d in (1, 2), lambda d: citing[d])
    assert [d for d, _ in moved] == [3, 1, 2, 4]  # 3 has 80 % of 1's score; 4 only 50 %
    assert moved[0][1] > 10.0 and dict(moved)[4] == 5.0
    assert articles_over_their_stubs(ranked, lambda d: False, lambda d: []) == ranked
