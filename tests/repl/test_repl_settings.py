"""The config file, the history file, the toolbar text, colours and the pager."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from searchkit import Filters
from searchkit.repl.config import (
    ReplConfig,
    config_path,
    history_path,
    load_config,
    parse_config,
)
from searchkit.repl.history import BoundedFileHistory, open_history
from searchkit.repl.pager import page, pager_command, rows_needed
from searchkit.repl.state import ReplState
from searchkit.repl.toolbar import toolbar_parts, toolbar_text
from searchkit.terminal import use_color


def test_defaults_are_documented_and_used_without_a_file(tmp_path: Path) -> None:
    config, warnings = load_config(tmp_path / "missing.toml")
    assert config == ReplConfig(
        page_size="auto", colors=True, editing_mode="emacs", history_size=1000, pager=True
    )
    assert warnings == []


def test_settings_are_read_from_the_repl_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[repl]\npage_size = 5\ncolors = false\nediting_mode = "vi"\n'
        "history_size = 50\npager = false\n"
    )
    assert load_config(path) == (ReplConfig(5, False, "vi", 50, False), [])


def test_bad_settings_warn_and_keep_their_default() -> None:
    config, warnings = parse_config(
        '[repl]\npage_size = 0\nediting_mode = "nano"\ncolours = true\ncolors = "yes"\n',
        source="cfg",
    )
    assert config == ReplConfig()
    assert warnings == [
        'cfg: page_size must be "auto" or between 1 and 100; using the default',
        'cfg: editing_mode must be "emacs" or "vi"; using the default',
        "cfg: unknown setting 'colours' ignored (known: auto_update, colors, editing_mode, "
        "history_size, page_size, pager)",
        "cfg: colors must be true or false; using the default",
    ]
    config, warnings = parse_config("[repl\n", source="cfg")
    assert config == ReplConfig() and "not valid TOML" in warnings[0]
    assert "must be a table" in parse_config("repl = 3", source="cfg")[1][0]


def test_xdg_folders_and_their_defaults(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": "/cfg", "XDG_STATE_HOME": "/state", "HOME": "/home/u"}
    assert config_path(env) == Path("/cfg/searchkit/config.toml")
    assert history_path(env) == Path("/state/searchkit/history")
    home = {"HOME": "/home/u", "XDG_STATE_HOME": "relative/ignored"}
    assert config_path(home) == Path("/home/u/.config/searchkit/config.toml")
    assert history_path(home) == Path("/home/u/.local/state/searchkit/history")


def test_the_history_keeps_the_newest_entries(tmp_path: Path) -> None:
    path = tmp_path / "state" / "history"
    history, note = open_history(path, 3)
    assert note is None and path.exists()
    for i in range(5):
        history.store_string(f"query {i}")
    trimmed = BoundedFileHistory(path, 3)
    assert list(trimmed.load_history_strings()) == ["query 4", "query 3", "query 2"]
    assert "query 0" not in path.read_text()
    assert next(iter(BoundedFileHistory(path, 3).load_history_strings())) == "query 4"


def test_an_unwritable_history_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    history, note = open_history(blocker / "history", 10)
    assert note is not None and "history not saved" in note
    history.append_string("x")
    assert list(history.get_strings()) == ["x"]


def test_the_toolbar_shows_filters_sort_hits_page_and_time() -> None:
    state = ReplState(
        filters=Filters(
            topics=("Politics", "AI"),
            kind="article",
            since=datetime(2021, 5, 1, tzinfo=UTC),
            until=datetime(2021, 6, 1, tzinfo=UTC),
        ),
        sort="newest",
    )
    bar = toolbar_text(state)
    assert bar.startswith(" topic: Politics, AI │ kind: article │ date: [2021-05-01 to 2021-05-31]")
    assert "sort: newest" in bar and "type a query" in bar
    assert ("filter", "Politics, AI") in toolbar_parts(state)
    assert toolbar_text(ReplState()).startswith(" no filters │ sort: relevance")


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colours_follow_no_color_the_config_and_the_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_color(FakeTTY())
    assert not use_color(FakeTTY(), enabled=False)
    assert not use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(FakeTTY())


def test_rows_needed_counts_wrapped_lines_without_colour_codes() -> None:
    assert rows_needed(["a" * 80, "\x1b[1m" + "b" * 80 + "\x1b[0m", "", "c" * 81], 80) == 5
    assert rows_needed(["界" * 40], 80) == 1 and rows_needed(["界" * 41], 80) == 2


def test_the_pager_is_pager_or_less(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert pager_command({"PAGER": "no-such-pager-here"}) is None
    assert pager_command({"PAGER": "cat -v"}) == ["cat", "-v"]
    out = tmp_path / "paged"
    monkeypatch.setenv("PAGER", f"sh -c 'cat > {out}'")
    assert page("long text\n")
    assert out.read_text() == "long text\n"
    monkeypatch.setenv("PAGER", "no-such-pager-here")
    assert not page("text")


def test_unknown_sections_and_top_level_keys_are_warned_about() -> None:
    config, warnings = parse_config(
        'page_size = 5\n[rpl]\npage_size = 5\n[index]\nindx = "x"\nseeds = 3\n', source="cfg"
    )
    assert config == ReplConfig()
    assert warnings == [
        "cfg: unknown setting 'page_size' ignored (sections: [repl], [index])",
        "cfg: unknown section [rpl] ignored (sections: [repl], [index])",
        "cfg: unknown setting 'indx' in [index] ignored (known: index, seeds)",
        "cfg: [index] seeds must be a folder's path; ignored",
    ]
    assert parse_config('[index]\nindex = "/x"\nseeds = "~/s"\n', source="cfg")[1] == []


def test_the_history_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state" / "history"
    history, _ = open_history(path, 3)
    for i in range(5):  # past the size: the file is rewritten
        history.store_string(f"query {i}")
    BoundedFileHistory(path, 3).load_history_strings()
    assert path.stat().st_mode & 0o777 == 0o600
    loose = tmp_path / "loose"
    loose.write_text("")
    loose.chmod(0o644)  # a history left by an older version
    open_history(loose, 3)
    assert loose.stat().st_mode & 0o777 == 0o600


def test_the_toolbar_shortens_its_parts_and_keeps_hits_and_page_last() -> None:
    from datetime import UTC, datetime

    from searchkit.filters import Filters
    from searchkit.results import SearchResults

    state = ReplState(
        filters=Filters(
            topics=("World News",),
            providers=("The Guardian",),
            kind="article",
            since=datetime(2021, 1, 1, tzinfo=UTC),
            until=datetime(2021, 7, 1, tzinfo=UTC),
        )
    )
    state.results = SearchResults("q", "q", 1234, 1, 5, (), {}, None, 12.0, "relevance")
    full = toolbar_text(state)
    assert "topic: World News" in full and "1,234 hits" in full and "page 1/247" in full
    previous = len(full)
    for width in (120, 100, 80, 60, 40, 20, 14):
        text = toolbar_text(state, width)
        assert len(text) <= width, (width, text)
        assert "1,234" in text and "1/247" in text, (width, text)
        assert len(text) <= previous
        previous = len(text)
    assert "1,234 hits" in toolbar_text(state, 100) and "page 1/247" in toolbar_text(state, 100)
