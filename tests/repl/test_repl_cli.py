"""`searchkit repl` as a process: line mode with stdin from a pipe, the first-use build, the
bare `searchkit` command, and one session in a real pseudo-terminal (pexpect)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from repl_helpers import SEEDS, Screen, page_summary

from searchkit.api import SearchIndex


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEARCHKIT_", "XDG_"))}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        PYTHONWARNINGS="error",
    )
    env.update(extra)
    return env


def repl(
    tmp_path: Path, *args: str, stdin: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "searchkit", "repl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env_for(tmp_path),
        cwd=cwd or tmp_path,
        timeout=120,
    )


def test_line_mode_reads_one_line_at_a_time_and_prints_plain_results(
    repl_index_dir: Path, index: SearchIndex, tmp_path: Path
) -> None:
    lines = "election\n:topic Politics\n\n:next\ntitel:vote\n:show 11\n:quit\nnever run\n"
    done = repl(tmp_path, "--index", str(repl_index_dir), stdin=lines)
    assert done.returncode == 2, done.stderr  # a bad query: the worst of the lines
    out = done.stdout
    assert page_summary(index, "election") in out
    assert "topic filter: Politics" in out
    assert "page 2 of" in out and " 11. " in out
    assert "published  " in out and "url  " in out  # :show 11
    assert "never run" not in out and "No results for 'never run'" not in out
    assert "\x1b" not in out  # plain text, no colours nor cursor moves
    assert done.stderr.strip().splitlines() == [
        "error: bad query 'titel:vote': unknown field titel: (at character 1); did you mean title:?"
    ]
    assert "not a terminal" not in done.stderr


def test_line_mode_ends_at_the_end_of_input(
    repl_index_dir: Path, index: SearchIndex, tmp_path: Path
) -> None:
    done = repl(tmp_path, "--index", str(repl_index_dir), stdin="trump\n:stats")
    assert done.returncode == 0
    assert page_summary(index, "trump") in done.stdout
    assert f"documents  {index.stats().documents:,}" in done.stdout
    empty = repl(tmp_path, "--index", str(repl_index_dir), stdin="")
    assert (empty.returncode, empty.stdout) == (0, "")


def test_a_missing_index_is_built_first_and_the_build_is_reported(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in sorted(SEEDS.iterdir())[:3]:
        shutil.copy(path, seeds / path.name)
    index_dir = tmp_path / "index"
    args = ("--index", str(index_dir), "--seeds", str(seeds))
    done = repl(tmp_path, *args, stdin=":stats\n")
    assert done.returncode == 0, done.stderr
    assert f"No index at {index_dir} yet: building it from {seeds}." in done.stderr
    assert "3 added" in done.stderr and "(3 articles" in done.stdout  # :stats

    shutil.copy(sorted(SEEDS.iterdir())[3], seeds)
    again = repl(tmp_path, "--index", str(index_dir), stdin="")
    assert "Updated" in again.stderr and "1 added" in again.stderr  # from the folder it knows
    quiet = repl(tmp_path, "--index", str(index_dir), stdin="")
    assert quiet.stderr == ""  # nothing changed, nothing said


def test_no_index_and_no_seeds_is_one_clear_error(tmp_path: Path) -> None:
    done = repl(tmp_path, "--index", str(tmp_path / "nowhere"), stdin="x\n")
    assert done.returncode == 1
    assert done.stderr.startswith("searchkit: no index at ")
    assert "Traceback" not in done.stderr


def test_bare_searchkit_without_a_terminal_prints_help(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "searchkit"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env_for(tmp_path),
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("usage: searchkit") and "repl" in done.stdout


def test_a_session_in_a_real_terminal(
    repl_index_dir: Path, index: SearchIndex, tmp_path: Path
) -> None:
    """Type a query, filter by topic, page, show a document and quit, in a pseudo-terminal."""
    (tmp_path / "config" / "searchkit").mkdir(parents=True)
    (tmp_path / "config" / "searchkit" / "config.toml").write_text(
        "[repl]\npager = false\npage_size = 10\n"
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "searchkit", "repl", "--index", str(repl_index_dir)],
        env=env_for(tmp_path, TERM="xterm", NO_COLOR="1"),
        cwd=str(tmp_path),
        dimensions=(60, 140),
        encoding="utf-8",
        timeout=30,
    )
    screen = Screen(child)
    try:
        screen.wait(f"{index.stats().documents:,} documents")
        screen.wait("searchkit>")
        child.send("election\r")
        first = screen.wait(re.escape(page_summary(index, "election")))
        assert "  1. " in screen.text

        child.send(":topic Politics\r")
        note = screen.wait("topic filter: Politics")
        found = screen.wait(r"of (\d+) results · page 1 of (\d+)")
        expected = index.search("election", topics=["Politics"]).total
        assert int(found.group(1).replace(",", "")) == expected > 10
        screen.wait("Topics: ✓ Politics")
        screen.wait("topic: Politics │ sort: relevance")  # the toolbar
        assert first.start() < note.start()

        child.send(":next\r")
        screen.wait(r"11-\d+ of \d+ results · page 2 of")
        title = re.search(r" 11\. ([^\n]+)", screen.text)
        assert title is not None

        child.send(":show 11\r")
        shown = screen.wait(r"url  (\S+)")
        assert title.group(1).strip() in screen.text[shown.start() - 2000 :]
        assert "published  " in screen.text

        child.send(":quit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


@pytest.mark.parametrize("keys", ["\x04"])
def test_ctrl_d_leaves_a_real_terminal_session(
    repl_index_dir: Path, tmp_path: Path, keys: str
) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "searchkit", "repl", "--index", str(repl_index_dir)],
        env=env_for(tmp_path, TERM="xterm"),
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
    )
    try:
        screen = Screen(child)
        screen.wait("searchkit>")
        child.send("trump\x03")  # Ctrl-C clears the line; the session goes on
        screen.wait("searchkit>")
        child.send(keys)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert (tmp_path / "state" / "searchkit" / "history").exists()


def test_line_mode_echoes_each_line_and_exits_with_the_worst_status(
    repl_index_dir: Path, index: SearchIndex, tmp_path: Path
) -> None:
    lines = "korea\n:bogus\na\x1b[31mb\n"
    done = repl(tmp_path, "--index", str(repl_index_dir), stdin=lines)
    assert done.returncode == 2
    out = done.stdout
    headers = [line for line in out.splitlines() if line.startswith("searchkit> ")]
    assert headers == ["searchkit> korea", "searchkit> :bogus", "searchkit> a\\x1b[31mb"]
    korea = out.index("searchkit> korea")
    assert out.index(page_summary(index, "korea")) > korea  # the output follows its line
    assert "\x1b" not in out
    fine = repl(tmp_path, "--index", str(repl_index_dir), stdin="korea\n:stats\n")
    assert fine.returncode == 0


def test_line_mode_exits_1_when_a_line_meets_a_damaged_index(
    repl_index_dir: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(repl_index_dir, index_dir)
    script = "korea\n:bogus\n"
    assert repl(tmp_path, "--index", str(index_dir), stdin=script).returncode == 2
    store = next(p for p in index_dir.iterdir() if p.name.startswith("store-"))
    for segment in store.glob("*.seg"):
        segment.write_bytes(b"garbage")
    done = repl(tmp_path, "--index", str(index_dir), stdin=script)
    assert done.returncode == 1, done.stderr
