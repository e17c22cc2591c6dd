"""The REPL driven through its PromptSession with prompt-toolkit's pipe input and dummy output:
the loop, keys (Ctrl-C, Ctrl-D, Tab, Up, Right, Ctrl-R), live validation, history across
sessions, the toolbar, the pager decision. Assertions are on state and returned values."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.input import PipeInput
from prompt_toolkit.output import DummyOutput
from repl_helpers import fixed_clock, page_summary

from searchkit.api import SearchIndex
from searchkit.repl import Repl, session
from searchkit.repl.config import ReplConfig
from searchkit.repl.history import BoundedFileHistory
from searchkit.repl.session import make_prompt_session, run_interactive, terminal_printer
from searchkit.repl.state import Reply
from searchkit.repl.toolbar import toolbar_text


def drive(repl: Repl, pipe: PipeInput, keys: str) -> tuple[int, list[Reply]]:
    """Type `keys` into a session and run the loop to its end; the replies it showed."""
    shown: list[Reply] = []
    prompt = make_prompt_session(repl, input=pipe, output=DummyOutput())
    pipe.send_text(keys)
    return run_interactive(repl, prompt, shown.append), shown


def test_the_loop_runs_queries_and_commands_until_quit(repl: Repl, pipe: PipeInput) -> None:
    code, shown = drive(repl, pipe, "election\r:topic Politics\r:next\r:quit\rnever run\r")
    assert code == 0
    assert repl.state.query == "election" and repl.state.filters.topics == ("Politics",)
    assert repl.state.page == 2
    assert shown[-1].quit and len(shown) == 4
    assert page_summary(repl.index, "election") in "\n".join(shown[0].lines)


def test_ctrl_c_clears_the_line_and_the_session_goes_on(repl: Repl, pipe: PipeInput) -> None:
    code, shown = drive(repl, pipe, "trump and more\x03election\r\x04")
    assert code == 0
    assert repl.state.query == "election"
    assert len(shown) == 1


def test_ctrl_d_on_an_empty_line_leaves(repl: Repl, pipe: PipeInput) -> None:
    code, shown = drive(repl, pipe, "\x04")
    assert (code, shown, repl.state.query) == (0, [], None)


def test_errors_keep_the_session_alive(repl: Repl, pipe: PipeInput) -> None:
    code, shown = drive(repl, pipe, ":show 3\r:page x\relection\r:quit\r")
    assert code == 0
    assert [r.error for r in shown] == [True, True, False, False]
    assert repl.state.query == "election"


def test_live_validation_flags_an_unknown_field_before_enter(repl: Repl, pipe: PipeInput) -> None:
    prompt = make_prompt_session(repl, input=pipe, output=DummyOutput())

    async def scenario() -> tuple[str, str | None, str | None]:
        task = asyncio.ensure_future(prompt.prompt_async())
        pipe.send_text("titel:vote")
        await asyncio.sleep(0.3)
        error = prompt.default_buffer.validation_error
        typed = error.message if error else None
        pipe.send_text("\r")  # refused: the line stays
        await asyncio.sleep(0.2)
        after_enter = prompt.default_buffer.text
        pipe.send_text("\x01\x0b" + "title:vote\r")  # Ctrl-A, Ctrl-K: retype it
        return typed, after_enter, await task

    message, after_enter, accepted = asyncio.run(scenario())
    assert message is not None and "unknown field titel:" in message
    assert "did you mean title:?" in message
    assert after_enter == "titel:vote"
    assert accepted == "title:vote"


def staged(prompt: PromptSession[str], pipe: PipeInput, *chunks: str) -> str:
    """Run one prompt, sending the chunks apart: completion and suggestions are computed
    asynchronously, so a key sent with the text before it would arrive too early."""

    async def scenario() -> str:
        task = asyncio.ensure_future(prompt.prompt_async())
        for chunk in chunks:
            pipe.send_text(chunk)
            await asyncio.sleep(0.2)
        return await task

    return asyncio.run(scenario())


def test_tab_completes_a_topic_command_and_a_quoted_provider(repl: Repl, pipe: PipeInput) -> None:
    prompt = make_prompt_session(repl, input=pipe, output=DummyOutput())
    assert staged(prompt, pipe, ":topic Poli", "\t", "\r") == ":topic Politics"
    assert staged(prompt, pipe, "category:Blac", "\t", "\r") == 'category:"Black Voices"'


def test_history_is_kept_across_sessions_and_suggested(
    index: SearchIndex, pipe: PipeInput, tmp_path: Path
) -> None:
    path = tmp_path / "history"
    first = Repl(index, clock=fixed_clock, history=BoundedFileHistory(path, 100))
    drive(first, pipe, "election\r:quit\r")
    assert "election" in path.read_text()

    again = Repl(index, clock=fixed_clock, history=BoundedFileHistory(path, 100))
    prompt = make_prompt_session(again, input=pipe, output=DummyOutput())
    assert staged(prompt, pipe, "\x1b[A", "\x1b[A", "\r") == "election"  # Up twice
    assert staged(prompt, pipe, "ele", "\x1b[C", "\r") == "election"  # → takes the suggestion
    # Ctrl-R, type, Enter ends the search, Enter accepts.
    assert staged(prompt, pipe, "\x12", "ele", "\r", "\r") == "election"


def test_config_chooses_vi_mode_and_the_page_size(index: SearchIndex, pipe: PipeInput) -> None:
    repl = Repl(index, config=ReplConfig(editing_mode="vi", page_size=3))
    prompt = make_prompt_session(repl, input=pipe, output=DummyOutput(), color=False)
    assert prompt.editing_mode == EditingMode.VI
    repl.handle("election")
    assert len(repl.state.results.hits) == 3  # type: ignore[union-attr]


def test_the_toolbar_follows_the_state(repl: Repl, pipe: PipeInput) -> None:
    assert "type a query" in toolbar_text(repl.state)
    drive(repl, pipe, "election\r:topic Politics\r:sort newest\r:next\r:quit\r")
    bar = toolbar_text(repl.state)
    results = repl.state.results
    assert results is not None
    assert "topic: Politics" in bar and "sort: newest" in bar
    assert f"{results.total} hits" in bar and f"page 2/{results.pages}" in bar
    assert f"{results.took_ms:.0f} ms" in bar


def test_long_output_is_paged_only_when_taller_than_the_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paged: list[str] = []
    monkeypatch.setattr(session, "page", lambda text: paged.append(text) or True)
    output = DummyOutput()  # 40 rows, 80 columns
    show = terminal_printer(output, pager=True, color=False)
    show(Reply(tuple(f"line {i}" for i in range(10)), long=True))
    assert paged == []
    show(Reply(tuple(f"line {i}" for i in range(60)), long=True))
    assert len(paged) == 1 and paged[0].startswith("line 0\n")
    terminal_printer(output, pager=False, color=False)(Reply(("x",) * 60, long=True))
    assert len(paged) == 1
    show(Reply(("a result",) * 60))  # results (not long) are never paged
    assert len(paged) == 1
