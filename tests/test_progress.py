"""The build progress bar on a real terminal: its last line says a phase of unknown length
finished, not "0/ ?"."""

from __future__ import annotations

import re
import sys

import pexpect

SCRIPT = """
import time
from searchkit.progress import BuildProgressBar
from searchkit.reports import BuildProgress
with BuildProgressBar(enabled=True) as bar:
    time.sleep(1.1)  # the bar shows only once a build has run for a second
    bar(BuildProgress("parse", 5, 10))
    bar(BuildProgress("parse", 10, 10))
    bar(BuildProgress("commit", 0, 0))  # writing to disk: its length is not known
print("END")
"""
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_the_last_line_of_a_build_is_complete() -> None:
    child = pexpect.spawn(
        sys.executable, ["-c", SCRIPT], encoding="utf-8", dimensions=(24, 80), timeout=60
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    drawn = ESCAPES.sub("", child.before).replace("\r", "\n")
    last = [line for line in drawn.splitlines() if "writing to disk" in line][-1]
    assert "100" in last and "1/  1" in last and "?" not in last, last
