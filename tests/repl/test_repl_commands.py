"""Every REPL command, through Repl.handle: the state it leaves and the Reply it returns."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prompt_toolkit.history import InMemoryHistory
from repl_helpers import NOW, SEEDS, fixed_clock, page_summary

import searchkit
from searchkit.api import SearchIndex, open_index
from searchkit.repl import Repl
from searchkit.repl.session import safe_handle
from searchkit.repl.table import build_commands

KIM = "Trump Announces Details Of Meeting With Kim Jong Un"  # an article citing 6 documents
DOCTOR = "Trump's Doctor Says Trump Basically Wrote That Glowing Health Letter"  # cited by 3


def text(reply: object) -> str:
    return "\n".join(reply.lines)  # type: ignore[attr-defined]


def ok(repl: Repl, line: str) -> str:
    reply = repl.handle(line)
    assert not reply.error, reply.lines
    return text(reply)


def fail(repl: Repl, line: str) -> str:
    reply = repl.handle(line)
    assert reply.error, reply.lines
    assert len(reply.lines) == 1 and reply.lines[0].startswith("error: ")
    return reply.lines[0]


def number_of(repl: Repl, title: str) -> int:
    listing = repl.state.listing
    assert listing is not None
    return next(e.number for e in listing.entries if e.title.startswith(title))


# --- queries and results ---------------------------------------------------------------------


def test_a_query_shows_numbered_hits_then_the_facet_summary(repl: Repl) -> None:
    out = ok(repl, "election")
    state = repl.state
    assert state.query == "election" and state.page == 1
    assert state.results is not None and state.results.total > 20  # several pages
    assert [e.number for e in state.listing.entries] == list(range(1, 11))  # type: ignore[union-attr]
    assert "  1. " in out and " 10. " in out
    assert page_summary(repl.index, "election") in out
    for label in ("Topics:", "Providers:", "Dates:"):
        assert label in out
    assert "cited by" in out  # related stubs are marked


def test_hit_snippets_keep_to_one_line_of_the_terminal(index: SearchIndex) -> None:
    narrow = Repl(index, clock=fixed_clock, width=lambda: 60)
    out = ok(narrow, "election")
    snippets = [line for line in out.splitlines() if line.startswith("     ") and "·" not in line]
    assert snippets and all(len(line) <= 60 for line in snippets)


def test_a_new_query_starts_at_page_one(repl: Repl) -> None:
    ok(repl, "election")
    ok(repl, ":next")
    assert repl.state.page == 2
    ok(repl, "trump")
    assert repl.state.page == 1 and repl.state.results.page == 1  # type: ignore[union-attr]


def test_filters_and_sort_persist_across_queries_until_clear(repl: Repl) -> None:
    ok(repl, ":topic Politics")
    ok(repl, ":sort newest")
    ok(repl, "trump")
    results = repl.state.results
    assert results is not None
    assert results.filters.topics == ("Politics",) and results.sort == "newest"
    assert all("Politics" in hit.topics for hit in results.hits)
    ok(repl, "election")
    assert repl.state.results.filters.topics == ("Politics",)  # type: ignore[union-attr]
    out = ok(repl, ":clear")
    assert "filters cleared" in out
    assert repl.state.filters.topics == () and repl.state.results.filters.is_empty()  # type: ignore[union-attr]
    assert repl.state.sort == "newest"  # :clear is about filters
    assert ok(repl, ":clear") == "No filters to clear."


def test_a_filter_before_any_query_browses_everything(repl: Repl) -> None:
    out = ok(repl, ":topic Politics")
    assert repl.state.query == ""
    expected = repl.index.search("", topics=["Politics"]).total
    assert repl.state.results is not None and repl.state.results.total == expected > 0
    assert out.splitlines()[0] == "topic filter: Politics"


# --- :topic :provider :kind ------------------------------------------------------------------


def test_topic_toggles_and_accepts_any_case_or_a_unique_prefix(repl: Repl) -> None:
    ok(repl, "trump")
    ok(repl, ":topic politics")
    ok(repl, ":topic world")
    assert repl.state.filters.topics == ("Politics", "World News")
    out = ok(repl, ":topic Politics")
    assert repl.state.filters.topics == ("World News",)
    assert "topic filter: World News" in out
    assert "topic filter: off" in ok(repl, ":topic World News")


def test_topic_errors_suggest_the_closest_or_ask_for_more(repl: Repl) -> None:
    assert "did you mean Politics?" in fail(repl, ":topic Poltics")
    assert "matches several topics" in fail(repl, ":topic News")
    assert ":topic alone lists them" in fail(repl, ":topic zzzz")
    assert repl.state.filters.topics == ()


def test_topic_alone_lists_the_topics_of_the_current_query_with_counts(repl: Repl) -> None:
    ok(repl, "election")
    out = ok(repl, ":topic")
    assert "Topics in “election”" in out
    assert "Politics (" in out and "✓ Politics" not in out
    ok(repl, ":topic Politics")
    assert "✓ Politics (" in ok(repl, ":topic")


def test_provider_by_name_or_domain(repl: Repl) -> None:
    ok(repl, "trump")
    ok(repl, ":provider huff")  # a unique prefix, in any case
    assert repl.state.filters.providers == ("HuffPost",)
    assert all(h.provider == "HuffPost" for h in repl.state.results.hits)  # type: ignore[union-attr]
    ok(repl, ":provider huffingtonpost.com")
    assert repl.state.filters.providers == ("HuffPost", "huffingtonpost.com")
    assert "Providers in “trump”" in ok(repl, ":provider")
    ok(repl, ":provider huffpost")
    assert repl.state.filters.providers == ("huffingtonpost.com",)
    assert "did you mean HuffPost?" in fail(repl, ":provider HufPost")


def test_kind_filters_articles_or_stubs(repl: Repl) -> None:
    ok(repl, "trump")
    ok(repl, ":kind related")
    assert repl.state.filters.kind == "related"
    assert {h.kind for h in repl.state.results.hits} == {"related"}  # type: ignore[union-attr]
    ok(repl, ":kind articles")
    assert repl.state.filters.kind == "article"
    ok(repl, ":kind all")
    assert repl.state.filters.kind is None
    assert "use article, related or all" in fail(repl, ":kind videos")
    out = ok(repl, ":kind")
    assert "article (" in out and "related (" in out


# --- dates -------------------------------------------------------------------------------------


def test_since_and_until_bound_the_dates(repl: Repl) -> None:
    ok(repl, "trump")
    ok(repl, ":since 2020")
    assert repl.state.filters.since == datetime(2020, 1, 1, tzinfo=UTC)
    out = ok(repl, ":until 2020-06")
    assert repl.state.filters.until == datetime(2020, 7, 1, tzinfo=UTC)  # exclusive
    assert "date filter: [2020-01-01 to 2020-06-30]" in out
    hits = repl.state.results.hits  # type: ignore[union-attr]
    assert hits and all(
        datetime(2020, 1, 1, tzinfo=UTC) <= h.published < datetime(2020, 7, 1, tzinfo=UTC)  # type: ignore[operator]
        for h in hits
    )
    ok(repl, ":since")
    assert repl.state.filters.since is None and repl.state.filters.until is not None


def test_date_takes_a_span_a_range_or_a_relative_spec(repl: Repl) -> None:
    ok(repl, ":date 2021-05")
    assert (repl.state.filters.since, repl.state.filters.until) == (
        datetime(2021, 5, 1, tzinfo=UTC),
        datetime(2021, 6, 1, tzinfo=UTC),
    )
    ok(repl, ":date last week")  # the fixed clock says 2021-05-10, a Monday
    assert (repl.state.filters.since, repl.state.filters.until) == (
        datetime(2021, 5, 3, tzinfo=UTC),
        datetime(2021, 5, 10, tzinfo=UTC),
    )
    ok(repl, ":date 2019 to 2020")
    assert repl.state.filters.until == datetime(2021, 1, 1, tzinfo=UTC)
    assert "date filter: off" in ok(repl, ":date")
    assert repl.state.filters.date_range is None


def test_bad_dates_are_one_line_errors_and_change_nothing(repl: Repl) -> None:
    ok(repl, ":since 2020")
    assert "is not a date" in fail(repl, ":since someday")
    assert "last 30 days" in fail(repl, ":since someday")  # the hint says what would do
    assert "ends before it starts" in fail(repl, ":date 2022 to 2021")
    assert "0001-01-01 to 9999-12-31" in fail(repl, ":date 0000")
    assert "before 0001-01-01" in fail(repl, ":until -99999999999d")
    assert repl.state.filters.since == datetime(2020, 1, 1, tzinfo=UTC)
    assert "no time between them" in fail(repl, ":until 2019")


def test_filters_that_exclude_everything_show_no_hits_and_say_so(repl: Repl) -> None:
    ok(repl, "trump")
    out = ok(repl, ":since 2030")
    assert repl.state.results.total == 0 and repl.state.results.hits == ()  # type: ignore[union-attr]
    assert "Filters are on: :clear removes them." in out


# --- sort and paging ---------------------------------------------------------------------------


def test_sort_orders_and_prefixes(repl: Repl) -> None:
    ok(repl, "election")
    ok(repl, ":sort newest")
    dates = [h.published for h in repl.state.results.hits]  # type: ignore[union-attr]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    ok(repl, ":sort old")
    assert repl.state.sort == "oldest"
    assert "Sorted by oldest" in ok(repl, ":sort")
    assert "unknown sort" in fail(repl, ":sort best")


def test_paging_forward_back_and_to_a_page(repl: Repl) -> None:
    assert "type a query first" in fail(repl, ":next")
    ok(repl, "election")
    assert "already on the first page" in fail(repl, ":prev")
    out = ok(repl, ":next")
    assert repl.state.page == 2 and " 11. " in out
    assert repl.state.listing.entries[0].number == 11  # type: ignore[union-attr]
    ok(repl, ":prev")
    assert repl.state.page == 1
    last = repl.state.results.pages  # type: ignore[union-attr]
    assert last >= 3
    out = ok(repl, f":page {last}")
    assert repl.state.page == last and f"page {last} of {last}" in out
    assert f"already on the last page ({last} of {last})" in fail(repl, ":next")
    assert f"only {last} page(s)" in fail(repl, f":page {last + 5}")
    assert "needs a number" in fail(repl, ":page two")
    assert ok(repl, ":page") == f"Page {last} of {last}."


# --- documents -----------------------------------------------------------------------------------


def test_show_prints_the_whole_document_and_numbers_what_it_cites(repl: Repl) -> None:
    ok(repl, f'title:"{KIM}"')
    out = ok(repl, ":show 1")
    assert out.splitlines()[0] == KIM
    for field in ("kind", "published", "provider", "topics", "url", "seed file"):
        assert f"  {field}  " in out or f" {field}  " in out
    assert "Cites 6 documents:" in out
    listing = repl.state.listing
    assert listing is not None and [e.number for e in listing.entries] == list(range(1, 7))
    first = listing.entries[0]
    assert ok(repl, ":show 1").splitlines()[0] == first.title  # opened in turn
    ok(repl, ":back")
    assert repl.state.listing.label == "results"  # type: ignore[union-attr]


def test_show_needs_a_number_on_screen(repl: Repl) -> None:
    assert "type a query first" in fail(repl, ":show 1")
    ok(repl, "election")
    assert "needs the number of an item" in fail(repl, ":show")
    assert "needs a number, not 'first'" in fail(repl, ":show first")
    assert "no item 99 in the results (numbers 1-10)" in fail(repl, ":show 99")


def test_open_hands_the_url_to_the_browser(repl: Repl, opened: list[str]) -> None:
    ok(repl, "election")
    out = ok(repl, ":open 2")
    url = repl.state.listing.entries[1].url  # type: ignore[union-attr]
    assert opened == [url] and out == f"Opened {url}"


def test_open_without_a_browser_prints_the_url_or_says_why(index: SearchIndex) -> None:
    plain = Repl(index, clock=fixed_clock)
    ok(plain, "election")
    assert ok(plain, ":open 1").startswith("https://")
    failing = Repl(index, clock=fixed_clock, open_url=lambda url: False)
    ok(failing, "election")
    assert "no web browser could be started" in fail(failing, ":open 1")


def test_similar_lists_documents_like_one(repl: Repl) -> None:
    ok(repl, "election")
    target = repl.state.listing.entries[0]  # type: ignore[union-attr]
    out = ok(repl, ":similar 1")
    listing = repl.state.listing
    assert listing is not None and listing.label == f"documents like “{target.title}”"
    assert out.splitlines()[0] == f"Like {len(listing.entries)}: “{target.title}”"
    assert listing.entries and target.id not in {e.id for e in listing.entries}


def test_related_and_cited_list_links_both_ways(repl: Repl) -> None:
    ok(repl, f'title:"{KIM}"')
    out = ok(repl, ":related 1")
    assert f"Cites 6: “{KIM}”" in out
    assert len(repl.state.listing.entries) == 6  # type: ignore[union-attr]
    ok(repl, f'title:"{DOCTOR}"')
    n = number_of(repl, "Trump's Doctor")
    out = ok(repl, f":cited {n}")
    assert out.startswith("Cited by 3: “")
    assert len(repl.state.listing.entries) == 3  # type: ignore[union-attr]
    ok(repl, f'title:"{DOCTOR}"')
    assert ok(repl, f":related {number_of(repl, DOCTOR)}").endswith("cites no documents.")


def test_facets_shows_every_facet_in_full(repl: Repl) -> None:
    ok(repl, "trump")
    out = ok(repl, ":facets")
    for label in ("Topics (", "Providers (", "Kinds (", "Dates (by "):
        assert label in out
    assert "HuffPost (" in out


def test_explain_shows_the_parse_the_dates_the_filters_and_the_score(repl: Repl) -> None:
    ok(repl, "election")
    ok(repl, ":topic Politics")
    out = ok(repl, ":explain")
    assert "query  election" in out and "filters  topic: Politics" in out
    assert "score  " in out and "matched  " in out
    out = ok(repl, ":explain trump date:2021")
    assert "resolved  trump date:[2021-01-01 to 2021-12-31]" in out


def test_stats_describes_the_index(repl: Repl) -> None:
    out = ok(repl, ":stats")
    stats = repl.index.stats()
    assert f"documents  {stats.documents:,}" in out and str(SEEDS) in out


def test_reindex_updates_the_index_and_the_completion_values(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in sorted(SEEDS.iterdir())[:5]:
        shutil.copy(path, seeds / path.name)
    index_dir = tmp_path / "index"
    searchkit.build_index(seeds, index_dir)
    with open_index(index_dir, clock=fixed_clock) as ix:
        repl = Repl(ix, clock=fixed_clock)
        ok(repl, "*")
        before = repl.state.results.total  # type: ignore[union-attr]
        topics_before = repl.catalog.topics()
        assert "Index is up to date" in ok(repl, ":reindex")
        sorted(seeds.iterdir())[0].unlink()
        out = ok(repl, ":reindex")
        assert "1 removed" in out and "The results are refreshed" in out
        assert repl.state.results.total < before  # type: ignore[union-attr]
        assert repl.catalog.topics() is not topics_before


# --- session commands -------------------------------------------------------------------------


def test_help_lists_every_command_from_the_table(repl: Repl) -> None:
    out = " ".join(ok(repl, ":help").split())  # lines wrapped at the width, joined again
    for command in repl.commands:
        assert command.synopsis in out and command.help in out and command.example in out
    assert str(repl.config_file) in out
    one = ok(repl, ":help topic")
    assert one.startswith(":topic [NAME]") and "example: :topic Politics" in one
    assert ok(repl, ":h :date").startswith(":date [SPEC]")
    assert "no command :bogus" in fail(repl, ":help bogus")


def test_every_command_has_a_one_line_help_and_an_example() -> None:
    table = build_commands()
    required = {"topic", "provider", "kind", "since", "until", "date", "clear", "sort", "next"}
    required |= {"prev", "page", "show", "open", "similar", "related", "cited", "facets"}
    required |= {"explain", "stats", "reindex", "history", "quit", "help"}
    assert required <= {c.name for c in table}
    for command in table:
        assert command.help and "\n" not in command.help
        assert command.example.split()[0] == f":{command.name}"


def test_each_repl_gets_its_own_command_table(index: SearchIndex) -> None:
    assert Repl(index).commands is not Repl(index).commands


def test_history_lists_the_last_entries(index: SearchIndex) -> None:
    history = InMemoryHistory()
    repl = Repl(index, history=history)
    assert ok(repl, ":history") == "The history is empty."
    for line in ("election", ":next", "trump"):
        history.append_string(line)
    assert ok(repl, ":history 2").splitlines() == ["    2  :next", "    3  trump"]
    assert len(ok(repl, ":history").splitlines()) == 3


@pytest.mark.parametrize("line", [":quit", ":q", ":exit", ":QUIT"])
def test_quit(repl: Repl, line: str) -> None:
    assert repl.handle(line).quit


def test_unknown_commands_suggest_the_closest(repl: Repl) -> None:
    assert "did you mean :topic?" in fail(repl, ":topci Politics")
    assert ":help lists the commands" in fail(repl, ":zzzzz")


def test_errors_are_one_line_and_the_session_goes_on(repl: Repl) -> None:
    ok(repl, "election")
    line = fail(repl, "titel:vote")
    assert "unknown field titel:" in line and "did you mean title:?" in line
    assert repl.state.query == "election"  # the failed query changed nothing
    assert fail(repl, '"unclosed phrase').startswith("error: bad query")
    ok(repl, "trump")
    assert repl.state.query == "trump"
    assert repl.handle("   ").lines == ()


def test_unexpected_failures_are_one_line_too(index: SearchIndex) -> None:
    repl = Repl(index)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    repl.run_search = boom  # type: ignore[method-assign]
    reply = safe_handle(repl, "election")
    assert reply.error and reply.lines == ("error: unexpected RuntimeError: disk on fire",)


def test_the_clock_is_the_one_given(repl: Repl) -> None:
    assert repl.now() == NOW


def test_without_a_number_commands_act_on_the_document_on_screen(repl: Repl) -> None:
    ok(repl, f'title:"{KIM}"')
    kim = repl.state.listing.entries[0]  # type: ignore[union-attr]
    shown = ok(repl, ":show 1")
    assert KIM in shown
    # :show numbered KIM's links; without a number, :related is about KIM, not link 1.
    out = ok(repl, ":related")
    assert out.startswith(f"Cites 6: “{KIM}”")
    similar = ok(repl, ":similar")
    assert similar.startswith("Like ") and f"“{KIM}”" in similar.splitlines()[0]
    # After :similar, the document on screen is still KIM: :related runs on it again.
    assert ok(repl, ":related").startswith(f"Cites 6: “{KIM}”")
    assert kim.url is not None and ok(repl, ":open") == f"Opened {kim.url}"
    ok(repl, ":back")  # a results page: nothing is "on screen" but the numbered hits
    assert "needs the number" in fail(repl, ":related")


def test_help_show_and_lists_wrap_between_words_at_the_width(index: SearchIndex) -> None:
    import re

    from searchkit.wrap import columns

    narrow = Repl(index, clock=fixed_clock, width=lambda: 60)
    for line in (":help", f'title:"{KIM}"', ":show 1", ":related", ":help show"):
        reply = narrow.handle(line)
        assert not reply.error, reply.lines
        lines = [x for text in reply.lines for x in text.split("\n")]
        assert all(columns(x) <= 60 for x in lines), (line, [x for x in lines if columns(x) > 60])
    help_lines = [x for x in narrow.handle(":help").lines if x.startswith("  ")]
    # A continued line starts under the help column, not at the margin.
    starts = {len(x) - len(x.lstrip()) for x in help_lines if not x.lstrip().startswith(":")}
    assert starts and min(starts) > 2
    narrow.handle(f'title:"{KIM}"')
    shown = narrow.handle(":show 1").lines
    title_words = set(KIM.split())
    assert title_words <= set(re.findall(r"\S+", " ".join(shown[:3])))
