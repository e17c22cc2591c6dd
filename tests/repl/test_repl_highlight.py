"""Syntax highlighting (the lexer) and live validation, as pure functions and adapters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError

from searchkit.api import SearchIndex
from searchkit.errors import IndexNotFoundError, QueryError
from searchkit.limits import MAX_QUERY_LENGTH
from searchkit.repl import Repl
from searchkit.repl.lexer import QueryLexer, lex
from searchkit.repl.validator import Problem, QueryValidator, find_problem

COMMANDS = frozenset({"topic", "since", "show", "explain", "q"})


def classes(text: str) -> dict[str, str]:
    return {part: cls for cls, part in lex(text, COMMANDS)}


@pytest.mark.parametrize(
    "text",
    ['climate AND topic:"Computer Vision" -title:x cli* word~2 a^2', ":topic AI", "  ", ""],
)
def test_tokens_cover_the_text_exactly(text: str) -> None:
    assert "".join(part for _, part in lex(text, COMMANDS)) == text


def test_fields_operators_phrases_and_modifiers() -> None:
    got = classes('climate AND topic:"Computer Vision" OR "sea level" -title:x cli* word~2')
    assert got["AND"] == got["OR"] == got["-"] == "operator"
    assert got["topic:"] == got["title:"] == "field"
    assert got['"Computer Vision"'] == "value"
    assert got['"sea level"'] == "phrase"
    assert got["*"] == got["~2"] == "modifier"


def test_unknown_fields_are_marked() -> None:
    assert classes("titel:vote")["titel:"] == "field.unknown"
    assert "http:" not in classes("see http://example.com")  # a URL is not a field


def test_dates_and_grouped_values() -> None:
    got = classes("date:2021-05 published:[2020 to 2021] topic:(AI OR Tech)")
    assert got["2021-05"] == got["[2020 to 2021]"] == "date"
    assert got["AI"] == got["Tech"] == "value"
    assert got["("] == got[")"] == "operator"


def test_commands_and_their_arguments() -> None:
    assert lex(":since last week", COMMANDS) == [
        ("command", ":since"),
        ("", " "),
        ("date", "last week"),
    ]
    assert lex(":show 3", COMMANDS)[-1] == ("number", "3")
    assert lex(":topic Computer Vision", COMMANDS)[-1] == ("value", "Computer Vision")
    assert lex(":bogus", COMMANDS) == [("command.unknown", ":bogus")]
    assert ("field", "date:") in lex(":explain climate date:2021", COMMANDS)


def test_the_lexer_adapter_styles_each_line(repl: Repl) -> None:
    get_line = QueryLexer(repl.command_names).lex_document(Document("topic:AI OR x"))
    assert get_line(0) == [
        ("class:sk.field", "topic:"),
        ("class:sk.value", "AI"),
        ("", " "),
        ("class:sk.operator", "OR"),
        ("", " x"),
    ]
    assert get_line(1) == []


def test_validation_flags_an_unknown_field_with_the_closest_one(index: SearchIndex) -> None:
    problem = find_problem("climate titel:vote", parse=index.parse, commands=COMMANDS)
    assert problem == Problem("unknown field titel:; did you mean title:?", len("climate "))


def test_validation_flags_bad_phrases_dates_and_commands(index: SearchIndex) -> None:
    def check(text: str) -> Problem | None:
        return find_problem(text, parse=index.parse, commands=COMMANDS)

    assert "not closed" in check('"sea level').message  # type: ignore[union-attr]
    assert "is not a date" in check("date:someday").message  # type: ignore[union-attr]
    assert check(":topci x") == Problem("unknown command :topci; did you mean :topic?", 0)
    assert check("  :zzzzzz").message.endswith(":help lists the commands")  # type: ignore[union-attr]
    for fine in ("", "climate", "title:vote date:2021", ":topic", ":", ":q"):
        assert check(fine) is None


def test_an_index_failure_does_not_block_enter() -> None:
    def gone(text: str) -> None:
        raise IndexNotFoundError("/nowhere")

    assert find_problem("climate", parse=gone, commands=COMMANDS) is None


def test_the_validator_adapter_raises_with_the_cursor_on_the_problem(repl: Repl) -> None:
    validator = QueryValidator(repl.index.parse, repl.command_names)
    with pytest.raises(ValidationError) as caught:
        validator.validate(Document("vote sorce:huffpost"))
    assert caught.value.cursor_position == 5
    assert "did you mean source:?" in caught.value.message
    validator.validate(Document("vote source:huffpost"))


def test_query_errors_without_a_position_point_at_the_end() -> None:
    def fails(text: str) -> None:
        raise QueryError(text, "nothing searchable is left", hint="try other words")

    problem = find_problem("the", parse=fails, commands=COMMANDS)
    assert problem == Problem("nothing searchable is left; try other words", 3)


# --- bounded for any input (issue 10) ---------------------------------------------------------

PASTE = "trump~2 OR title:(kim* AND date:2018) " * 3_000  # over 100,000 characters


def test_a_huge_paste_is_flagged_at_the_length_cap(index: SearchIndex) -> None:
    problem = find_problem(PASTE, parse=index.parse, commands=COMMANDS)
    assert problem is not None
    assert f"more than {MAX_QUERY_LENGTH:,}" in problem.message
    assert problem.position == MAX_QUERY_LENGTH


def test_a_huge_paste_is_highlighted_up_to_the_length_cap() -> None:
    tokens = lex(PASTE, COMMANDS)
    assert "".join(part for _, part in tokens) == PASTE
    cls, rest = tokens[-1]
    assert cls == "" and len(rest) >= len(PASTE) - MAX_QUERY_LENGTH
    assert {"field", "operator", "modifier", "date"} <= {cls for cls, _ in tokens}


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300) | st.text(alphabet=':"()*~^[]{}<>-+ adt', max_size=300))
def test_validation_finds_a_problem_or_none_for_any_text(index: SearchIndex, text: str) -> None:
    problem = find_problem(text, parse=index.parse, commands=COMMANDS)
    assert problem is None or 0 <= problem.position <= len(text)
    assert "".join(part for _, part in lex(text, COMMANDS)) == text
