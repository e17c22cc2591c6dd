"""Constants and helpers shared by the REPL tests (conftest.py holds the fixtures)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pexpect

from searchkit.api import SearchIndex

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
NOW = datetime(2021, 5, 10, 12, 0, tzinfo=UTC)
CPR_REQUEST = "\x1b[6n"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[>=]|\r")


def fixed_clock() -> datetime:
    return NOW


def page_summary(index: SearchIndex, query: str, **filters: object) -> str:
    """The summary line of the first page of `query`, as the index says it should read."""
    results = index.search(query, **filters)  # type: ignore[arg-type]
    shown = min(results.total, results.per_page)
    return f"1-{shown} of {results.total:,} results · page 1 of {results.pages}"


class Screen:
    """What a pseudo-terminal shows, as text: the output read so far, escapes removed."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.text = ""
        self.seen = 0  # where the next wait starts looking

    def wait(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.text, self.seen)
            if found:
                self.seen = found.end()
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on screen:\n{self.text[-3000:]}")
            try:
                raw = self.child.read_nonblocking(65536, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            if CPR_REQUEST in raw:
                # Answer as a terminal would: prompt-toolkit draws its bottom toolbar only
                # once it knows where the cursor is.
                self.child.send("\x1b[20;1R")
            self.text += ANSI.sub("", raw)

    def since(self, match: re.Match[str]) -> str:
        return self.text[match.start() :]
