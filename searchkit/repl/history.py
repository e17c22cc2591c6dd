"""The query history kept across sessions: prompt-toolkit's FileHistory with a size limit, which
a file that cannot be read or written never stops (the session keeps its history in memory and
says so once)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

from prompt_toolkit.history import FileHistory, History, InMemoryHistory


class BoundedFileHistory(FileHistory):
    """A FileHistory that loads the newest `size` entries and trims the file to them. When
    the file cannot be read or written (permissions, a full disk) it goes on in memory, and
    `take_problem()` says why, once."""

    def __init__(self, filename: Path, size: int) -> None:
        super().__init__(str(filename))
        self.path = filename
        self.size = size
        self._saving = True
        self._problem: str | None = None

    def take_problem(self) -> str | None:
        """Why the history stopped being saved, the first time it is asked; else None."""
        problem, self._problem = self._problem, None
        return problem

    def _failed(self, exc: OSError) -> None:
        if self._saving:
            self._saving = False
            self._problem = (
                f"history not saved from now on: cannot write {self.path} ({exc.strerror}); "
                "make it writable for this user, or set XDG_STATE_HOME"
            )

    def load_history_strings(self) -> Iterable[str]:
        try:
            newest_first = list(super().load_history_strings())
        except OSError as exc:
            self._failed(exc)
            return []
        kept = list(islice(newest_first, self.size))
        if len(newest_first) > self.size:
            self._rewrite(reversed(kept))
        return kept

    def store_string(self, string: str) -> None:
        if not self._saving:
            return
        try:
            super().store_string(string)
        except OSError as exc:
            self._failed(exc)

    def _rewrite(self, oldest_first: Iterable[str]) -> None:
        text = "".join(
            "\n" + "".join(f"+{line}\n" for line in entry.split("\n")) for entry in oldest_first
        )
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
        except OSError:  # trimming is housekeeping: the file works as it is
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def open_history(path: Path | None, size: int) -> tuple[History, str | None]:
    """The history at `path` (its folder created), or an in-memory one and why."""
    if path is None:
        return InMemoryHistory(), None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # The queries typed are this user's own: readable by no one else (as bash's and
        # psql's histories are).
        path.touch(mode=0o600, exist_ok=True)
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:  # left by an older version: no longer for the group and others
            path.chmod(mode & 0o700)
    except OSError as exc:
        return InMemoryHistory(), (
            f"history not saved: cannot write {path} ({exc.strerror}); "
            "make it writable for this user, or set XDG_STATE_HOME"
        )
    return BoundedFileHistory(path, size), None


def take_problem(history: History) -> str | None:
    """Why `history` stopped being saved, once (None for a history that cannot fail)."""
    return history.take_problem() if isinstance(history, BoundedFileHistory) else None
