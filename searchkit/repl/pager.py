"""Long output through a pager, only when it is taller than the screen.

`$PAGER` when set, else `less` (with -R so colours show, -X so the text stays on screen after
quitting, -F to quit at once if it fits after all). Without a pager, or when it fails, the
text is printed as it is: paging is a comfort, never a requirement.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence

from prompt_toolkit.utils import get_cwidth

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
LESS_FLAGS = "-RXF"


def rows_needed(lines: Sequence[str], columns: int) -> int:
    """How many screen rows the lines take once wrapped at `columns` (colour codes ignored)."""
    columns = max(1, columns)
    total = 0
    for line in lines:
        width = get_cwidth(_ANSI.sub("", line))
        total += max(1, -(-width // columns))
    return total


def pager_command(env: dict[str, str] | os._Environ[str] = os.environ) -> list[str] | None:
    """The pager to run, or None when there is none."""
    chosen = env.get("PAGER", "").strip()
    if chosen:
        argv = shlex.split(chosen)
        return argv if argv and shutil.which(argv[0]) else None
    return ["less"] if shutil.which("less") else None


def page(text: str) -> bool:
    """Show `text` in the pager; False when no pager ran (the caller prints it instead)."""
    argv = pager_command()
    if argv is None:
        return False
    env = dict(os.environ)
    if os.path.basename(argv[0]) == "less" and "LESS" not in env:
        env["LESS"] = LESS_FLAGS
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, text=True, errors="backslashreplace", env=env
        )
    except OSError:
        return False
    assert proc.stdin is not None
    try:
        with proc.stdin as pipe:
            pipe.write(text)
    except (OSError, KeyboardInterrupt):
        pass  # the reader quit early, or Ctrl-C: the pager still owns the screen
    while True:
        try:
            proc.wait()
            return True
        except KeyboardInterrupt:
            continue  # less handles Ctrl-C itself; leaving it running would break the tty
