"""Keep an index in step with its seeds folder while the folder changes: what
`searchkit index --watch` runs, and the REPL's `auto_update`.

A watcher brings the index up to date, then follows the folder (recursively, with watchfiles:
inotify, FSEvents or kqueue through Rust's notify). The events of a burst are gathered until
the folder has been quiet for a moment (debounce), and each batch runs one incremental build
of the paths the events named (only those are stat-ed; a folder or a link named makes it walk
the whole folder). When a burst has settled, the watcher scans the whole folder once more,
as any build does (a walk, or every known file stat-ed when no folder changed: stamped.py),
and builds what it finds: an event that was lost (the kernel's queue overflowed) is caught
then, and the index equals a full rebuild of the folder.

The watcher holds the index's write lock only while it builds; another writer makes it wait.
A seeds folder that vanishes is waited for, and followed again when it comes back. Seeds that
cannot be indexed are reported, as by any build, and the watch goes on. Never prints.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import BuildOptions, build_index
from .build.options import DEFAULT_OPTIONS
from .documents import SEED_SUFFIXES
from .errors import (
    IndexDamagedError,
    IndexLockedError,
    IndexWriteError,
    SearchkitError,
    SeedsFolderError,
    SeedsUnreadableError,
)
from .reports import IndexReport

# A batch is handed over once no new event came for STEP, or DEBOUNCE after its first event.
DEBOUNCE_MS = 300
STEP_MS = 50
# A burst has settled once the folder has been quiet this long: then it is scanned once more.
SETTLE_MS = 1000
# How often a waiting watcher looks for a vanished seeds folder, or for a free lock (seconds).
POLL_SECONDS = 0.5
# How often a watcher that cannot watch its folder tries again (seconds).
RETRY_SECONDS = 5.0

# Editors' swap, backup and temporary files that carry a seed suffix or none.
_TEMP_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".bak", ".orig", ".part", ".crdownload")


@dataclass(frozen=True, slots=True)
class WatchNotice:
    """Something a watcher has to say besides a build's report.

    `kind` is "vanished" (the seeds folder is gone: waiting for it), "back" (it came back),
    "locked" (another process is writing the index: waiting for it; `error` names it),
    "failed" (a build failed, `error` says why; the index is as it was and the watch goes on)
    or "unwatched" (the folder cannot be watched, `detail` says why: the system's limit of
    watches, say; the watcher tries again every few seconds).
    """

    kind: str
    seeds_dir: str
    error: SearchkitError | None = None
    detail: str = ""


ReportCallback = Callable[[IndexReport], None]
NoticeCallback = Callable[[WatchNotice], None]


def is_seed_path(path: str | Path, seeds_dir: str | Path) -> bool:
    """Whether a change at `path` may matter to the index of `seeds_dir`: a seed file (by its
    suffix), or a folder that may hold some. Hidden files and folders (as a scan skips them),
    editors' swap, backup and temporary files, and other extensions do not."""
    try:
        rel = Path(path).relative_to(seeds_dir)
    except ValueError:
        return False
    if any(part.startswith(".") for part in rel.parts):
        return False
    name = rel.name.lower()
    if not name or name.endswith(_TEMP_SUFFIXES) or name.startswith("#") or name.endswith("#"):
        return False
    if name.endswith(SEED_SUFFIXES):
        return True
    # A folder (moved in or out, removed): it may hold seeds. A name with no suffix that is
    # gone may have been one.
    return not os.path.isfile(path) and not Path(name).suffix


def watch(
    seeds_dir: str | Path | None = None,
    index_dir: str | Path = "index",
    *,
    on_report: ReportCallback | None = None,
    on_notice: NoticeCallback | None = None,
    stop: threading.Event | None = None,
    full: bool = False,
    options: BuildOptions = DEFAULT_OPTIONS,
) -> None:
    """Keep the index at `index_dir` in step with `seeds_dir` until `stop` is set.

    First a build brings the index up to date (a full one if `full`); its report goes to
    `on_report`, as does that of every batch that changed something or found a seed that
    cannot be indexed. What is not a report (the folder vanished, a writer holds the lock, a
    build failed) goes to `on_notice`. `seeds_dir` defaults to the index's own folder.

    Errors of the first build are raised, as build_index raises them (but another writer is
    waited for); after it, the watch goes on whatever happens, until `stop` is set. A build
    in progress is finished first: stopping leaves no half-written generation.
    """
    Watcher(seeds_dir, index_dir, on_report, on_notice, stop, options).run(full=full)


def watch_changes(
    seeds_dir: str | Path, *, on_change: Callable[[], None], stop: threading.Event
) -> None:
    """Call `on_change()` after each batch of changes to seed files in `seeds_dir`, and once
    the watch has begun, until `stop` is set; build nothing (what a session that does not
    update its index by itself uses to say that the seeds changed)."""
    watcher = Watcher(seeds_dir, seeds_dir, None, None, stop, DEFAULT_OPTIONS)
    while not stop.is_set():
        if not watcher.wait_for_folder(build=False):
            return
        settle = True  # once the watch has begun: what changed before it is caught then
        try:
            for changes in watcher.changes():
                if changes or settle:
                    settle = False
                    on_change()
                if _identity(Path(seeds_dir)) is None:
                    on_change()
                    break
        except (RuntimeError, OSError):
            stop.wait(POLL_SECONDS)


class Watcher:
    """One watch: the folder, the index, the callbacks; see watch()."""

    def __init__(
        self,
        seeds_dir: str | Path | None,
        index_dir: str | Path,
        on_report: ReportCallback | None,
        on_notice: NoticeCallback | None,
        stop: threading.Event | None,
        options: BuildOptions,
    ) -> None:
        self.seeds: Path | None = Path(seeds_dir).resolve() if seeds_dir is not None else None
        self.index = Path(index_dir)
        self.on_report = on_report or _ignore
        self.on_notice = on_notice or _ignore
        self.stop = stop if stop is not None else threading.Event()
        self.options = options
        self.unwatched = ""  # why the folder could not be watched, when it was last said

    # --- the loop ---------------------------------------------------------------------------

    def run(self, *, full: bool = False) -> None:
        report = self.build(full=full, first=True)
        if report is None:
            return  # stopped while waiting for the lock
        self.seeds = Path(report.seeds_dir)
        self.on_report(report)
        while not self.stop.is_set():
            if not self.wait_for_folder():
                return
            self.follow()

    def follow(self) -> None:
        """Follow the folder until it vanishes or the watch stops."""
        assert self.seeds is not None
        identity = _identity(self.seeds)
        # Scan again once the folder is quiet: after a batch, and once at the start (what
        # changed before the watch began is caught then).
        settle = True
        try:
            for changes in self.changes():
                if self.stop.is_set():
                    return
                if changes:
                    self.batch(changed=self.relative(path for _change, path in changes))
                    settle = True
                elif settle:
                    settle = False
                    self.batch()
                if _identity(self.seeds) != identity:
                    return  # vanished, or replaced by another folder: wait, then follow it
        except (RuntimeError, OSError) as exc:
            # The watcher lost its folder (run's loop waits for it), or cannot watch it.
            if _identity(self.seeds) is not None and str(exc) != self.unwatched:
                self.unwatched = str(exc)
                self.on_notice(WatchNotice("unwatched", str(self.seeds), detail=str(exc)))
            self.stop.wait(RETRY_SECONDS)

    def changes(self) -> Iterator[set[tuple[Any, str]]]:
        """Batches of changes to seeds (an empty one when the folder was quiet for
        SETTLE_MS), until `stop` is set."""
        import watchfiles  # only a watching process needs it

        assert self.seeds is not None
        seeds = self.seeds
        yield from watchfiles.watch(
            seeds,
            watch_filter=lambda _change, path: is_seed_path(path, seeds),
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=self.stop,
            rust_timeout=SETTLE_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        )

    def wait_for_folder(self, *, build: bool = True) -> bool:
        """True once the seeds folder is there (saying so when it was not, and bringing the
        index up to date when `build`); False when the watch stopped first."""
        assert self.seeds is not None
        if _identity(self.seeds) is not None:
            return True
        self.on_notice(WatchNotice("vanished", str(self.seeds)))
        while _identity(self.seeds) is None:
            if self.stop.wait(POLL_SECONDS):
                return False
        self.on_notice(WatchNotice("back", str(self.seeds)))
        if build:
            self.batch()
        return True

    def relative(self, paths: Iterable[str]) -> list[str] | None:
        """The changed paths relative to the seeds folder, with `/` (None if one is not in
        it): a batch's build stats those only, and a walk of the folder follows the burst."""
        assert self.seeds is not None
        try:
            return sorted({Path(p).relative_to(self.seeds).as_posix() for p in paths})
        except ValueError:
            return None

    def batch(self, *, changed: list[str] | None = None) -> None:
        """One incremental build (of the `changed` paths only, when it can); its report is
        passed on when it says something."""
        report = self.build(changed=changed)
        if report is not None and _worth_saying(report):
            self.on_report(report)

    # --- one build ----------------------------------------------------------------------------

    def build(
        self, *, full: bool = False, first: bool = False, changed: list[str] | None = None
    ) -> IndexReport | None:
        """A build (waiting for another writer, saying so once); None when the watch stopped
        while waiting, or (after the first build) when the build failed."""
        said_locked = False
        while not self.stop.is_set():
            try:
                return build_index(
                    self.seeds,
                    self.index,
                    full=full,
                    wait=POLL_SECONDS,
                    options=self.options,
                    changed=changed,
                )
            except IndexLockedError as exc:
                if not said_locked:
                    self.on_notice(WatchNotice("locked", str(self.seeds), exc))
                    said_locked = True
            except SeedsFolderError:
                if first:
                    raise
                return None  # vanished while it was read: follow() sees it
            except (IndexWriteError, IndexDamagedError, SeedsUnreadableError) as exc:
                if first:
                    raise
                self.on_notice(WatchNotice("failed", str(self.seeds), exc))
                return None
        return None


def _worth_saying(report: IndexReport) -> bool:
    """A batch's report is passed on when the index changed, or a seed newly failed."""
    return (
        report.changed
        or bool(report.added or report.updated or report.renamed or report.removed)
        or any(e.new for e in report.errors)
        or any(d.new for d in report.duplicates)
    )


def _identity(folder: Path) -> tuple[int, int] | None:
    """(device, inode) of the folder, None when it is not there (or not a folder)."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    if not os.path.isdir(folder):
        return None
    return (st.st_dev, st.st_ino)


def _ignore(_value: object) -> None:
    pass
