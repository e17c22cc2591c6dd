"""A session that follows its seeds folder while it is open (setting `auto_update`).

On, a background thread keeps the index in step with the folder (searchkit.watch): the page on
screen stays as it is, and the next query, or `:next`, searches the new index. Off, the thread
only notices that the seeds changed, and the toolbar says that `:reindex` applies them. Either
way the toolbar says it (`status()`), and the prompt is redrawn when something changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..errors import SearchkitError
from ..messages import error_line
from ..reports import IndexReport
from ..watcher import WatchNotice

JOIN_SECONDS = 5.0  # how long closing waits for a build in progress


class LiveUpdates:
    """Follows the seeds folder of a session's index in the background; see the module."""

    def __init__(self, index_dir: Path, seeds_dir: Path, *, apply: bool) -> None:
        self.index_dir, self.seeds_dir, self.apply = index_dir, seeds_dir, apply
        self.on_change: Callable[[], None] = _nothing  # redraws the prompt
        self.last: IndexReport | None = None  # the last batch that changed the index
        self.last_at: datetime | None = None
        self.pending = False  # (auto_update off) the seeds changed since the last build
        self.problem: str | None = None  # why following stopped, or what it waits for
        self._news = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life cycle --------------------------------------------------------------------

    def start(self) -> LiveUpdates:
        self._thread = threading.Thread(target=self._run, name="searchkit-live", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop following; a build in progress finishes first (it is never cut short)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(JOIN_SECONDS)

    def __enter__(self) -> LiveUpdates:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        from ..watcher import watch, watch_changes  # only a following session loads them

        try:
            if self.apply:
                watch(
                    self.seeds_dir,
                    self.index_dir,
                    on_report=self._report,
                    on_notice=self._notice,
                    stop=self._stop,
                )
            else:
                watch_changes(self.seeds_dir, on_change=self._changed, stop=self._stop)
        except SearchkitError as exc:
            self.problem = f"not following the seeds: {error_line(exc)}"
            self.on_change()
        except Exception as exc:  # the session goes on without it
            self.problem = f"not following the seeds: {type(exc).__name__}: {exc}"
            self.on_change()

    # --- what the thread hears ---------------------------------------------------------

    def _report(self, report: IndexReport) -> None:
        self.problem = None
        if report.up_to_date and self.last is None:
            return  # the watch's first build: the session's start already said it
        self.last, self.last_at = report, datetime.now()
        self._news.set()
        self.on_change()

    def _notice(self, notice: WatchNotice) -> None:
        if notice.kind == "vanished":
            self.problem = "the seeds folder is gone; waiting for it"
        elif notice.kind == "locked":
            self.problem = "another process is updating the index"
        elif notice.kind == "failed" and notice.error is not None:
            self.problem = f"update failed: {error_line(notice.error)}"
        elif notice.kind == "unwatched":
            self.problem = f"cannot watch the seeds folder ({notice.detail})"
        else:
            self.problem = None
        self.on_change()

    def _changed(self) -> None:
        from ..freshness import check_freshness

        try:
            self.pending = not check_freshness(self.index_dir).fresh
        except SearchkitError:
            self.pending = True
        self.on_change()

    # --- for the session ---------------------------------------------------------------

    def take_news(self) -> bool:
        """True once after each update of the index (the session refreshes what it keeps)."""
        news = self._news.is_set()
        self._news.clear()
        return news

    def applied(self) -> None:
        """`:reindex` brought the index up to date."""
        self.pending = False

    def status(self) -> str | None:
        """What the toolbar says, or None."""
        if self.problem:
            return self.problem
        if not self.apply:
            return "seeds changed · :reindex applies them" if self.pending else None
        if self.last is None or self.last_at is None:
            return None
        return f"index updated {self.last_at:%H:%M:%S}: {_changes(self.last)}"


def _changes(report: IndexReport) -> str:
    counts = [
        (report.added, "added"),
        (report.updated, "updated"),
        (report.renamed, "renamed"),
        (report.removed, "removed"),
        (len(report.errors), "invalid"),
    ]
    said = [f"{n:,} {what}" for n, what in counts if n]
    return ", ".join(said) if said else "no change"


def _nothing() -> None:
    pass
