"""The REPL follows its seeds folder while it is open (setting `auto_update`): changes made
while the session is open are searched by the next query; the toolbar says when the index
changed, or (auto_update off) that the seeds changed and :reindex applies them.

Driven through the PromptSession with prompt-toolkit's pipe input; the background updates are
real (a watcher on this machine's inotify). Waits are bounded, never timed assertions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prompt_toolkit.input import PipeInput
from prompt_toolkit.output import DummyOutput

import searchkit
from searchkit.api import SearchIndex
from searchkit.repl import Repl
from searchkit.repl.config import parse_config
from searchkit.repl.live import LiveUpdates
from searchkit.repl.session import make_prompt_session, run_interactive
from searchkit.repl.state import Reply
from searchkit.repl.toolbar import toolbar_text

WAIT = 60.0


def _seed(title: str, url: str) -> str:
    return (
        f"---\ntitle: {title}\nwebUrl: {url}\npublishedDateTime: 2021-05-01T10:00:00Z\n"
        f"topics: [Wildlife]\n---\nA story about {title.lower()}.\n"
    )


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def drive(repl: Repl, pipe: PipeInput, keys: str) -> list[Reply]:
    shown: list[Reply] = []
    prompt = make_prompt_session(repl, input=pipe, output=DummyOutput())
    pipe.send_text(keys)
    run_interactive(repl, prompt, shown.append)
    return shown


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[tuple[Path, SearchIndex]]:
    seeds, index_dir = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    (seeds / "koala.md").write_text(_seed("Koala census", "https://live.example/koala"))
    searchkit.build_index(seeds, index_dir)
    with searchkit.open_index(index_dir) as ix:
        yield seeds, ix


def test_a_change_made_while_the_session_is_open_is_searched_next(
    folder: tuple[Path, SearchIndex], pipe: PipeInput
) -> None:
    seeds, ix = folder
    with LiveUpdates(ix.index_dir, seeds, apply=True) as live:
        repl = Repl(ix, live=live)
        shown = drive(repl, pipe, "wallaby\r\x04")
        assert repl.state.results is not None and repl.state.results.total == 0
        (seeds / "wallaby.md").write_text(_seed("Wallaby sighting", "https://live.example/w"))
        _until(lambda: live.last is not None, "the background update")
        # The page on screen is as it was; the toolbar says the index changed.
        assert repl.state.results.total == 0
        bar = toolbar_text(repl.state, live=live.status())
        assert "index updated" in bar and "1 added" in bar
        shown = drive(repl, pipe, "wallaby\r:quit\r")
        assert repl.state.results.total == 1
        assert "Wallaby sighting" in "\n".join(shown[0].lines)
        # The catalog of topics the completer offers follows too.
        assert [v.value for v in repl.catalog.topics()] == ["Wildlife"]


def test_with_auto_update_off_the_toolbar_says_reindex_applies_the_changes(
    folder: tuple[Path, SearchIndex], pipe: PipeInput
) -> None:
    seeds, ix = folder
    with LiveUpdates(ix.index_dir, seeds, apply=False) as live:
        repl = Repl(ix, live=live)
        assert live.status() is None
        (seeds / "wallaby.md").write_text(_seed("Wallaby sighting", "https://live.example/w"))
        _until(lambda: live.pending, "the change noticed")
        assert ":reindex applies them" in toolbar_text(repl.state, live=live.status())
        assert ix.search("wallaby").total == 0  # nothing applied by itself
        drive(repl, pipe, ":reindex\rwallaby\r:quit\r")
        assert repl.state.results is not None and repl.state.results.total == 1
        assert live.status() is None


def test_auto_update_is_a_setting() -> None:
    assert parse_config("")[0].auto_update is True
    config, warnings = parse_config("[repl]\nauto_update = false\n")
    assert config.auto_update is False and warnings == []
    config, warnings = parse_config('[repl]\nauto_update = "no"\n')
    assert config.auto_update is True and "auto_update must be true or false" in warnings[0]
