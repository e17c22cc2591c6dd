"""The query history kept across sessions: prompt-toolkit's FileHistory with a size limit."""

from __future__ import annotations

import os
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

from prompt_toolkit.history import FileHistory, History, InMemoryHistory


class BoundedFileHistory(FileHistory):
    """A FileHistory that loads the newest `size` entries and trims the file to them."""

    def __init__(self, filename: Path, size: int) -> None:
        super().__init__(str(filename))
        self.path = filename
        self.size = size

    def load_history_strings(self) -> Iterable[str]:
        newest_first = list(super().load_history_strings())
        kept = list(islice(newest_first, self.size))
        if len(newest_first) > self.size:
            self._rewrite(reversed(kept))
        return kept

    def _rewrite(self, oldest_first: Iterable[str]) -> None:
        text = "".join(
            "\n" + "".join(f"+{line}\n" for line in entry.split("\n")) for entry in oldest_first
        )
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # trimming is housekeeping: a read-only file keeps working as it is


def open_history(path: Path | None, size: int) -> tuple[History, str | None]:
    """The history at `path` (its folder created), or an in-memory one and why."""
    if path is None:
        return InMemoryHistory(), None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    except OSError as exc:
        return InMemoryHistory(), f"history not saved: cannot write {path} ({exc.strerror})"
    return BoundedFileHistory(path, size), None
