"""The REPL and the file system: a history file that cannot be read or written, and a config
folder that cannot be read, do not stop a session (it says so once); and what the user typed
is escaped wherever it is printed back, as seed text is."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pexpect
import pytest
from index_helpers import cli_env, seed_text, write_file
from prompt_toolkit.input import PipeInput
from prompt_toolkit.output import DummyOutput
from repl_helpers import Screen, fixed_clock
from unprivileged import Unprivileged

from searchkit.api import SearchIndex
from searchkit.repl import Repl
from searchkit.repl.history import BoundedFileHistory
from searchkit.repl.session import make_prompt_session, run_interactive
from searchkit.repl.state import Reply
from searchkit.repl.validator import QueryValidator

# ESC (a colour change), DEL, a C1 CSI and a right-to-left override, as typed.
TYPED = "trump\x1b[31m\x7f\x9b2J\u202e"
RAW = re.compile("[\x1b\x7f\x9b\u202e]")


def _drive(repl: Repl, pipe: PipeInput, keys: str) -> list[Reply]:
    shown: list[Reply] = []
    prompt = make_prompt_session(repl, input=pipe, output=DummyOutput())
    pipe.send_text(keys)
    run_interactive(repl, prompt, shown.append)
    return shown


def _text(replies: list[Reply]) -> str:
    return "\n".join(line for reply in replies for line in reply.lines)


# --- what the user typed --------------------------------------------------------------------------


def test_history_errors_and_echoed_queries_escape_what_was_typed(
    repl: Repl, pipe: PipeInput
) -> None:
    repl.history.append_string(TYPED)
    repl.history.append_string(f":sort {TYPED}")
    shown = [
        repl.handle(":history"),
        repl.handle(f":sort {TYPED}"),
        repl.handle(f":{TYPED}"),
        repl.handle(f":topic {TYPED}"),
        repl.handle(f"title:{TYPED}zzqx"),
    ]
    text = _text(shown)
    assert not RAW.search(text), text
    assert "\\x1b[31m\\x7f\\x9b2J\\u202e" in text  # shown as escapes, not dropped
    assert [reply.error for reply in shown] == [False, True, True, True, False]


def test_live_validation_escapes_what_was_typed(index: SearchIndex) -> None:
    from prompt_toolkit.document import Document
    from prompt_toolkit.validation import ValidationError

    validator = QueryValidator(index.parse, lambda: frozenset({"help"}))
    with pytest.raises(ValidationError) as info:
        validator.validate(Document(f":{TYPED}"))
    assert not RAW.search(info.value.message) and "\\x1b" in info.value.message


# --- a history file that fails --------------------------------------------------------------------


def test_a_history_that_cannot_be_read_is_said_once_and_the_session_goes_on(
    index: SearchIndex, pipe: PipeInput, tmp_path: Path
) -> None:
    path = tmp_path / "history"
    path.mkdir()  # where the file should be: neither readable nor writable as one
    repl = Repl(index, clock=fixed_clock, history=BoundedFileHistory(path, 100))
    shown = _drive(repl, pipe, "election\rtrump\r:quit\r")
    notes = [r for r in shown if any("history not saved" in line for line in r.lines)]
    assert len(notes) == 1
    assert f"cannot write {path} (Is a directory)" in notes[0].lines[0]
    assert repl.state.query == "trump"
    assert list(repl.history.get_strings())[-2:] == ["trump", ":quit"]  # kept in memory


def test_a_history_file_that_stops_being_writable_is_said_once(
    index: SearchIndex, pipe: PipeInput, tmp_path: Path
) -> None:
    path = tmp_path / "history"
    repl = Repl(index, clock=fixed_clock, history=BoundedFileHistory(path, 100))
    prompt = make_prompt_session(repl, input=pipe, output=DummyOutput())
    shown: list[Reply] = []

    def show(reply: Reply) -> None:
        shown.append(reply)
        if len(shown) == 1:  # after the first query: the disk, say, takes no more
            assert "election" in path.read_text()
            path.unlink()
            path.mkdir()

    pipe.send_text("election\rtrump\rvote\r:quit\r")
    assert run_interactive(repl, prompt, show) == 0
    notes = [r for r in shown if any("history not saved" in line for line in r.lines)]
    assert len(notes) == 1 and repl.state.query == "vote"


# --- as an unprivileged user, in a terminal -------------------------------------------------------


@pytest.mark.unprivileged
def test_unwritable_history_and_unreadable_config_folders_do_not_stop_the_repl(
    unprivileged: Unprivileged, user_dir: Path
) -> None:
    seeds, index = user_dir / "seeds", user_dir / "index"
    write_file(seeds / "a.md", seed_text("Election night", "https://repl.example/a"))
    state, config = user_dir / "state", user_dir / "config"
    (config / "searchkit").mkdir(parents=True)
    (config / "searchkit" / "config.toml").write_text("[repl]\npager = false\n")
    state.mkdir()
    unprivileged.give(user_dir)
    state.chmod(0o555)  # the history's folder cannot be made
    config.chmod(0o000)  # nor the settings read
    assert unprivileged.cli("index", "--seeds", seeds, "--index", index).code == 0
    env = cli_env({"HOME": str(user_dir), "XDG_STATE_HOME": str(state)})
    env.update(XDG_CONFIG_HOME=str(config), TERM="xterm", NO_COLOR="1")
    argv = [*unprivileged.prefix, sys.executable, "-m", "searchkit", "repl", "--index", index]
    child = pexpect.spawn(
        argv[0], [str(a) for a in argv[1:]], env=env, cwd=str(user_dir), encoding="utf-8"
    )
    screen = Screen(child)
    try:
        screen.wait(r"config\.toml: cannot be read \(\[Errno 13\] Permission denied")
        screen.wait(r"history not saved: cannot write \S+ \(Permission denied\)")
        screen.wait("searchkit>")
        child.send("election\r")
        screen.wait("1-1 of 1 result")
        child.send(":quit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
        config.chmod(0o755)
    assert child.exitstatus == 0
    assert screen.text.count("history not saved") == 1
    assert "Traceback" not in screen.text


@pytest.mark.unprivileged
def test_a_read_only_history_file_is_said_once(unprivileged: Unprivileged, user_dir: Path) -> None:
    seeds, index = user_dir / "seeds", user_dir / "index"
    write_file(seeds / "a.md", seed_text("Election night", "https://repl.example/a"))
    history = user_dir / "state" / "searchkit" / "history"
    write_file(history, "\n+election\n")
    unprivileged.give(user_dir)
    history.chmod(0o444)
    assert unprivileged.cli("index", "--seeds", seeds, "--index", index).code == 0
    env = cli_env({"HOME": str(user_dir), "XDG_STATE_HOME": str(user_dir / "state")})
    env.update(XDG_CONFIG_HOME=str(user_dir / "config"), TERM="xterm", NO_COLOR="1")
    argv = [*unprivileged.prefix, sys.executable, "-m", "searchkit", "repl", "--index", index]
    child = pexpect.spawn(
        argv[0], [str(a) for a in argv[1:]], env=env, cwd=str(user_dir), encoding="utf-8"
    )
    screen = Screen(child)
    try:
        screen.wait("searchkit>")
        child.send("\x1b[A\r")  # Up: the history was read
        screen.wait("1-1 of 1 result")
        child.send("night\r")
        screen.wait("1-1 of 1 result")
        child.send(":quit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert screen.text.count("history not saved from now on") == 1
    assert history.read_text() == "\n+election\n"
    shutil.rmtree(user_dir / "state", ignore_errors=True)
    os.sync()
