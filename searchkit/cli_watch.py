"""`searchkit index --watch`: keep the index in step with its seeds folder until stopped.

One line per batch (JSON Lines with --json, each object in the shape of `index --json`), a
line on stderr for what is not a report (the folder vanished, another writer holds the lock).
Ctrl-C or SIGTERM stops the watch once the build in progress is done: exit status 0. A
second one interrupts that build (it removes what it wrote): exit status 130.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from .build import BuildOptions
from .messages import error_line
from .render import index_report_lines, problem_lines, sanitize, watch_line
from .reports import IndexReport
from .watcher import WatchNotice, watch

Echo = Callable[[str], None]


def run_watch(
    seeds: Path | None,
    index: Path,
    *,
    full: bool,
    json_lines: bool,
    quiet: bool,
    options: BuildOptions,
    index_arg: str | None,
    emit_json: Callable[[Any], None],
) -> int:
    """Watch until SIGINT or SIGTERM; the exit status (0: stopped)."""
    stop = threading.Event()
    first = [True]
    stats = f"searchkit stats --index {index_arg}" if index_arg else "searchkit stats"

    def out(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def err(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def on_report(report: IndexReport) -> None:
        if json_lines:
            emit_json(report.to_dict())
            sys.stdout.flush()
        elif first[0]:
            if not quiet:
                for line in index_report_lines(report):
                    out(line)
            for line in problem_lines(report, stats_command=stats):
                err(line)
        else:
            if not quiet:
                out(watch_line(report))
            for line in problem_lines(report, known=False):
                err(line)
        if first[0]:
            first[0] = False
            err(f"searchkit: watching {sanitize(report.seeds_dir)} (Ctrl-C to stop)")

    def on_notice(notice: WatchNotice) -> None:
        err(f"searchkit: {notice_line(notice, index_arg)}")

    with _stopped_by_signals(stop):
        watch(
            seeds,
            index,
            on_report=on_report,
            on_notice=on_notice,
            stop=stop,
            full=full,
            options=options,
        )
    return 0


def notice_line(notice: WatchNotice, index_arg: str | None) -> str:
    """What a watcher's notice says, in one line."""
    folder = sanitize(notice.seeds_dir)
    if notice.kind == "vanished":
        return f"the seeds folder {folder} is gone; waiting for it to come back"
    if notice.kind == "back":
        return f"the seeds folder {folder} is back; following it again"
    if notice.kind == "locked":
        pid = getattr(notice.error, "pid", None)
        holder = f"process {pid}" if pid else "another process"
        return f"{holder} is writing the index; waiting for it to finish"
    if notice.kind == "unwatched":
        return f"cannot watch {folder} ({sanitize(notice.detail)}); trying again"
    assert notice.error is not None
    return f"{sanitize(error_line(notice.error, index_arg=index_arg))}; still watching"


@contextmanager
def _stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop`; a second one raises KeyboardInterrupt."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    before = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, old in before.items():
            signal.signal(s, old)


__all__ = ["notice_line", "run_watch"]
