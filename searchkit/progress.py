"""A progress bar for long builds, drawn with prompt-toolkit on a terminal's stderr.

It appears only once a build has run for a second, so quick runs print nothing but their
summary. Used by the CLI and the REPL; the library only calls the callback.
"""

from __future__ import annotations

import contextlib
import sys
import time
from types import TracebackType
from typing import Any, TextIO

from .reports import BuildProgress

SHOW_AFTER_SECONDS = 1.0
_LABELS = {
    "scan": "scanning",
    "parse": "indexing seeds",
    "stubs": "indexing related",
    "commit": "writing to disk",
}


class BuildProgressBar:
    """A callable for build_index(progress=...); use as a context manager."""

    def __init__(self, *, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._started = time.monotonic()
        self._bar: Any = None
        self._counter: Any = None
        self._phase = ""
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> BuildProgressBar:
        self._started = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __call__(self, progress: BuildProgress) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._started < SHOW_AFTER_SECONDS:
                self._phase = progress.phase
                return
            self._open()
        if progress.phase != self._phase or self._counter is None:
            if self._counter is not None:
                self._counter.done = True
            self._phase = progress.phase
            self._counter = self._bar(
                label=_LABELS.get(progress.phase, progress.phase), total=progress.total or None
            )
        self._counter.items_completed = progress.done
        self._bar.invalidate()

    def _open(self) -> None:
        from prompt_toolkit.input import create_pipe_input
        from prompt_toolkit.output import create_output
        from prompt_toolkit.output.vt100 import Vt100_Output
        from prompt_toolkit.shortcuts import ProgressBar

        # An input nobody writes to: DummyInput ends the bar's application at once (EOFError
        # traceback from its thread), and the terminal's would swallow what the user types.
        # Nothing reads the terminal's answers then, so ask it nothing (no CPR requests).
        quiet_input = self._stack.enter_context(create_pipe_input())
        output = create_output(stdout=self._stream)
        if isinstance(output, Vt100_Output):
            output.enable_cpr = False
        self._bar = ProgressBar(output=output, input=quiet_input)
        self._bar.__enter__()

    def close(self) -> None:
        if self._bar is not None:
            if self._counter is not None:
                # A phase of unknown length (writing to disk) ends complete, not "0/ ?".
                if self._counter.total is None:
                    self._counter.total = max(1, self._counter.items_completed)
                self._counter.items_completed = self._counter.total
                self._counter.done = True
            self._bar.__exit__(None, None, None)
            self._bar = None
            self._counter = None
        self._stack.close()
