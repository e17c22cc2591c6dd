"""Completion: the pure function with plain strings, then the prompt-toolkit adapter."""

from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from searchkit.api import SearchIndex
from searchkit.repl import Repl
from searchkit.repl.completer import (
    MAX_VALUES,
    Candidate,
    ReplCompleter,
    Vocabulary,
    complete,
)
from searchkit.results import ValueCount

VOCAB = Vocabulary(
    commands={"topic": "toggle a topic", "provider": "toggle a provider", "sort": "order"},
    arguments={"topic": "topics", "provider": "providers", "sort": "sorts", "show": "numbers"},
    topics=[ValueCount("Politics", 120), ValueCount("Computer Vision", 38), ValueCount("AI", 9)],
    providers=[ValueCount("The Guardian", 63), ValueCount("theatlantic.com", 2)],
    numbers=[(1, "First title"), (12, "Twelfth title")],
)


def texts(typed: str, vocab: Vocabulary = VOCAB) -> list[str]:
    return [s.text for s in complete(typed, vocab)]


def test_topic_values_show_counts_and_are_quoted_when_they_hold_spaces() -> None:
    assert complete("topic:Comp", VOCAB) == [
        Candidate('"Computer Vision"', 4, display="Computer Vision (38)")
    ]
    assert texts("climate topic:po") == ["Politics"]
    assert texts('topic:"Comp') == ['"Computer Vision"']  # the open quote is replaced too
    assert complete('topic:"Comp', VOCAB)[0].replace == 5


def test_values_that_start_with_the_text_come_before_those_that_contain_it() -> None:
    # "Computer Vision" starts with c; "Politics" (more documents) only contains one.
    assert texts("topic:c") == ['"Computer Vision"', "Politics"]
    assert texts("topics:vis") == ['"Computer Vision"']
    assert texts("category:") == ["Politics", '"Computer Vision"', "AI"]  # by count


def test_provider_aliases_complete_provider_values() -> None:
    assert texts("source:the") == ['"The Guardian"', "theatlantic.com"]
    assert texts("publisher:THE G") == []  # a space ends the word outside quotes
    assert texts('provider:"the g') == ['"The Guardian"']


def test_field_names_and_aliases() -> None:
    assert texts("prov") == ["provider:"]
    assert "topic:" in texts("to") and "topics:" in texts("to")
    assert complete("sou", VOCAB) == [Candidate("source:", 3, meta="= provider:")]
    assert texts("climate -ti") == ["title:"]
    assert texts("zzz") == [] and texts("") == [] and texts("2021") == []


def test_operators_complete_only_in_capitals() -> None:
    assert "AND" in texts("climate AN") and "AND" not in texts("climate an")


def test_kinds_sorts_and_dates() -> None:
    assert texts("kind:") == ["article", "related"]
    assert texts(":sort n", VOCAB) == ["newest"]
    assert texts("date:last") == ['"last week"', '"last month"', '"last year"', '"last 30 days"']
    vocab = Vocabulary(arguments={"since": "dates"})
    assert texts(":since last w", vocab) == ["last week"]  # command arguments need no quotes


def test_commands_with_their_help_then_their_arguments() -> None:
    assert complete(":to", VOCAB) == [Candidate(":topic", 3, meta="toggle a topic")]
    assert texts(":") == [":topic", ":provider", ":sort"]
    assert texts(":topic Comp") == ["Computer Vision"]
    assert texts(":topic computer v") == ["Computer Vision"]
    assert texts(":bogus x") == []


def test_numbers_on_screen_complete_with_their_titles() -> None:
    assert complete(":show 1", VOCAB) == [
        Candidate("1", 1, meta="First title"),
        Candidate("12", 1, meta="Twelfth title"),
    ]


def test_at_most_max_values_are_offered() -> None:
    many = Vocabulary(providers=[ValueCount(f"p{i}", 1) for i in range(MAX_VALUES + 50)])
    assert len(texts("provider:p", many)) == MAX_VALUES


def test_the_adapter_yields_completions_for_a_document(repl: Repl) -> None:
    completer = ReplCompleter(repl.vocabulary)
    event = CompleteEvent(completion_requested=True)
    found = list(completer.get_completions(Document("topic:Poli"), event))
    assert [c.text for c in found] == ["Politics"]
    assert found[0].start_position == -4
    politics = next(t.count for t in repl.index.topics() if t.value == "Politics")
    assert found[0].display_text == f"Politics ({politics:,})"  # from SearchIndex.topics()
    commands = list(completer.get_completions(Document(":sim"), event))
    assert [(c.text, c.display_meta_text) for c in commands] == [
        (":similar", "documents like N (or the document on screen)")
    ]


def test_the_numbers_follow_what_is_on_screen(repl: Repl) -> None:
    repl.handle("election")
    repl.handle(":next")
    numbers = repl.vocabulary().numbers
    assert [n for n, _ in numbers] == list(range(11, 21))


def test_completion_of_a_huge_paste_is_empty() -> None:
    """What is typed may be a 100,000-character paste (issue 10): nothing completes it."""
    for typed in (
        "topic:" + "x" * 100_000,
        "x" * 100_000,
        ":topic " + "y" * 100_000,
        "(" * 100_000,
    ):
        assert complete(typed, VOCAB) == []


def test_dates_complete_with_the_years_and_months_that_hold_documents(repl: Repl) -> None:
    dates = repl.catalog.dates()
    years = [d for d in dates if len(d.value) == 4]
    assert years and all(d.count > 0 for d in dates)
    for year in years:  # each year's months add up to it
        months = [d.count for d in dates if d.value.startswith(f"{year.value}-")]
        assert sum(months) == year.count
    total = repl.index.search("date:[0001 to]", per_page=1).total
    assert sum(y.count for y in years) == total
    vocab = repl.vocabulary()
    first = years[0].value
    found = complete(f"trump date:{first[:3]}", vocab)
    assert found[0].text == first
    assert found[0].display == f"{first} ({years[0].count:,})"
    assert {c.text for c in complete(f"date:{first}-", vocab)} == {
        d.value for d in dates if d.value.startswith(f"{first}-")
    }


def test_dates_are_read_in_the_background_and_completion_never_waits(
    index: SearchIndex,
) -> None:
    fresh = Repl(index)
    assert fresh.catalog.ready_dates() == [] and fresh.vocabulary().dates == []
    fresh.catalog.warm_dates()
    read = fresh.catalog.dates()  # waits for the background read, if it is still running
    assert read and fresh.catalog.ready_dates() == read
    assert list(fresh.vocabulary().dates) == read
