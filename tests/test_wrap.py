"""Word wrapping with a hanging indent (searchkit.wrap): properties over random text, and
colour codes that take no room."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from searchkit.wrap import columns, wrap

SGR = re.compile(r"\x1b\[[0-9;]*m")
WORDS = st.lists(
    st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzÉ界"), min_size=1, max_size=14),
    max_size=30,
)


@given(words=WORDS, width=st.integers(8, 100), indent=st.integers(0, 6))
def test_lines_fit_and_keep_every_word_in_order(words: list[str], width: int, indent: int) -> None:
    text = " ".join(words)
    lines = wrap(text, width, indent)
    assert all(columns(line) <= width for line in lines)
    assert all(line.startswith(" " * indent) for line in lines[1:])
    # Nothing is lost or reordered: only spaces at breaks (and cuts in long words) differ.
    assert "".join("".join(lines).split()) == "".join(words)


@given(words=WORDS, width=st.integers(16, 100))
def test_words_that_fit_a_line_are_never_cut(words: list[str], width: int) -> None:
    words = [w for w in words if columns(w) <= width - 5]  # the room after the indent
    lines = wrap(" ".join(words), width, 5)
    assert set(" ".join(lines).split()) == set(words)


def test_a_hanging_indent_and_colour_codes() -> None:
    title = "  2. This Country’s Election Shows The \x1b[1;33mComplicated\x1b[0m Role Twitter Plays"
    lines = wrap(title, 40, 5)
    assert [SGR.sub("", line) for line in lines] == [
        "  2. This Country’s Election Shows The",
        "     Complicated Role Twitter Plays",
    ]
    assert "\x1b[1;33mComplicated\x1b[0m" in lines[1]
    assert columns("\x1b[1m界a\x1b[0m") == 3
