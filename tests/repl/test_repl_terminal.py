"""A session on an ordinary 80x24 terminal, as a terminal emulator (pyte) shows it: after a
search, the whole results page is on screen, its summary line and facets included, with no
pager in the way; titles wrap at word boundaries; the toolbar keeps the hits and the page."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pexpect
import pyte
import pytest

from searchkit.api import SearchIndex

ROWS, COLUMNS = 24, 80


class Terminal:
    """A pseudo-terminal of ROWS x COLUMNS running the REPL, and what its screen shows."""

    def __init__(self, index_dir: Path, tmp_path: Path, config: str = "") -> None:
        (tmp_path / "config" / "searchkit").mkdir(parents=True)
        (tmp_path / "config" / "searchkit" / "config.toml").write_text(config)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SEARCHKIT_", "XDG_"))}
        env.update(
            HOME=str(tmp_path),
            XDG_CONFIG_HOME=str(tmp_path / "config"),
            XDG_STATE_HOME=str(tmp_path / "state"),
            TERM="xterm",
            NO_COLOR="1",
            PAGER="",
        )
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.Stream(self.screen)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "searchkit", "repl", "--index", str(index_dir)],
            env=env,
            cwd=str(tmp_path),
            dimensions=(ROWS, COLUMNS),
            encoding="utf-8",
            codec_errors="replace",
            timeout=30,
        )

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Read output until the screen shows `pattern`; answers cursor position requests
        as a terminal would."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.text())
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on screen:\n{self.text()}")
            try:
                raw = self.child.read_nonblocking(65536, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            self._feed(raw)

    def settle(self) -> None:
        """Read what is left to draw (until the prompt has been quiet for a moment)."""
        while True:
            try:
                raw = self.child.read_nonblocking(65536, timeout=0.5)
            except pexpect.TIMEOUT:
                return
            self._feed(raw)

    def _feed(self, raw: str) -> None:
        self.stream.feed(raw)
        if "\x1b[6n" in raw:  # where is the cursor? (prompt-toolkit asks before drawing)
            y, x = self.screen.cursor.y + 1, self.screen.cursor.x + 1
            self.child.send(f"\x1b[{y};{x}R")

    def close(self) -> None:
        self.child.close(force=True)


@pytest.fixture
def terminal(repl_index_dir: Path, tmp_path: Path) -> Terminal:
    term = Terminal(repl_index_dir, tmp_path)
    yield term  # type: ignore[misc]
    term.close()


def test_a_search_page_fits_an_80x24_terminal(terminal: Terminal, index: SearchIndex) -> None:
    terminal.wait("searchkit>")
    terminal.child.send("election\r")
    summary = terminal.wait(r"1-(\d+) of ([\d,]+) results · page 1 of (\d+)")
    terminal.settle()
    lines = terminal.lines()
    shown, total = int(summary.group(1)), int(summary.group(2).replace(",", ""))
    assert total == index.search("election").total > shown >= 3
    screen = terminal.text()
    # The typed line, every hit of the page, the summary and the facets are all on screen.
    assert "searchkit> election" in screen
    for rank in range(1, shown + 1):
        assert re.search(rf"^\s*{rank}\. \S", screen, re.MULTILINE), screen
    assert "Topics:" in screen and "Dates:" in screen
    assert "(END)" not in screen and not any(line == ":" for line in lines)  # no pager
    # The toolbar, on the last row, keeps the hits and the page.
    toolbar = lines[-1]
    assert f"{total:,}" in toolbar and f"1/{-(-total // shown)}" in toolbar, toolbar
    assert all(len(line) <= COLUMNS for line in lines)


def test_next_page_keeps_the_page_size(terminal: Terminal) -> None:
    terminal.wait("searchkit>")
    terminal.child.send("election\r")
    first = terminal.wait(r"1-(\d+) of ([\d,]+) results")
    size = int(first.group(1))
    terminal.settle()
    terminal.child.send(":next\r")
    second = terminal.wait(rf"{size + 1}-(\d+) of [\d,]+ results · page 2")
    assert int(second.group(1)) == 2 * size
