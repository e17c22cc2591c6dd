"""Bring an index in step with its seeds folder: take the lock, read what the index knows,
scan the folder, and pick the build that fits (none, incremental or full).

A build either completes or leaves the index as it was, and says which: a full disk, an
unwritable folder or (for a full build) seeds it could not read raise an error after
removing everything the build wrote.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

from .. import manifest as mf
from .. import store as st
from ..config import DEFAULT_SEEDS_DIR
from ..errors import IndexDamagedError
from ..reports import BuildProgress, IndexReport, ProgressCallback
from ..scan import scan_seeds
from ..schema import schema_fingerprint
from ..whoosh_seam.errors import opening, writing
from ..whoosh_seam.storage import open_index
from ..whoosh_seam.toc import latest_generation
from .context import (
    Context,
    Counts,
    SpaceNeeded,
    WritesCallback,
    link_notes,
    make_report,
    rebuilt_note,
    with_columns,
)
from .options import DEFAULT_OPTIONS, BuildOptions, jobs_for


def build_index(
    seeds_dir: str | Path | None = None,
    index_dir: str | Path = "index",
    *,
    full: bool = False,
    dry_run: bool = False,
    wait: float | None = None,
    progress: ProgressCallback | None = None,
    options: BuildOptions = DEFAULT_OPTIONS,
    changed: Collection[str] | None = None,
    on_writes: WritesCallback | None = None,
) -> IndexReport:
    """Bring the index at `index_dir` in step with the seeds folder; return what changed.

    `seeds_dir` defaults to the folder the index was built from (or `seeds` for a new index);
    naming another folder than the index's is refused unless `full` is set. `wait` is how long
    to wait for another writer, in seconds (None: fail at once with IndexLockedError).
    `progress` is called with BuildProgress values as the build goes; `options` says how the
    build runs (processes, memory). `changed` (paths relative to the seeds folder, as a file
    watcher names them) says that no other path changed since the last build: only those
    are stat-ed, when that can stand in for a walk of the folder (build/hinted.py).
    `on_writes` is called with the documents an incremental build rewrote ({id: document,
    or None for one it deleted}) once they are committed (a sharded index applies them to
    its shards). Never prints.

    Raises SeedsFolderError (the seeds folder cannot be read as a whole), IndexWriteError
    (DiskFullError: the disk is full) and SeedsUnreadableError (a full build could not read
    some seeds and its index would have replaced a sound one); each leaves the index as it
    was. Seeds that cannot be read by an incremental build are listed in the report's
    errors and keep their last indexed version.
    """
    started = time.perf_counter()
    root = Path(index_dir)
    report = progress if progress is not None else _ignore
    space = SpaceNeeded()
    created = not root.exists()
    try:
        with writing(root, needed=space.get):
            if dry_run:
                return _build(root, seeds_dir, full, True, report, started, options, space, changed)
            with st.write_lock(root, wait=wait):
                st.remove_orphan_stores(root)
                return _build(
                    root,
                    seeds_dir,
                    full,
                    False,
                    report,
                    started,
                    options,
                    space,
                    changed,
                    on_writes,
                )
    except BaseException:
        # A first build that failed leaves nothing behind: no index folder, no lock.
        if not dry_run and root.is_dir() and _unbuilt(root):
            st.remove_if_unbuilt(root, created=created)
        raise


def _unbuilt(root: Path) -> bool:
    try:
        return st.current_store(root) is None
    except IndexDamagedError:
        return False


def _ignore(_progress: BuildProgress) -> None:
    pass


def _build(
    root: Path,
    seeds_dir: str | Path | None,
    full: bool,
    dry_run: bool,
    report: ProgressCallback,
    started: float,
    options: BuildOptions,
    space: SpaceNeeded,
    changed: Collection[str] | None = None,
    on_writes: WritesCallback | None = None,
) -> IndexReport:
    notes: list[str] = []
    existing = _read_existing(root, notes)
    if seeds_dir is None:
        remembered = existing[0].seeds_dir if existing else mf.remembered_seeds_dir(root)
        seeds_root = Path(remembered or DEFAULT_SEEDS_DIR)
    else:
        seeds_root = Path(seeds_dir)
    seeds_root = seeds_root.resolve()
    if existing and not full and Path(existing[0].seeds_dir) != seeds_root:
        from .relink import relink  # only a build pointed at another folder needs it

        relink(root, *existing, seeds_root, notes, dry_run=dry_run)
    report(BuildProgress("scan"))
    # A folder is scanned by several processes when the last build found it large.
    large = existing is not None and len(existing[0].seeds) >= options.parallel_stat_min_files
    processes = jobs_for(options) if large else 1
    # The folders' mtimes, each taken before the folder is listed (a change after them is
    # seen as one by a freshness check), for a folder that is, or may grow, too large to be
    # checked file by file; while they do not change, the next scan need not list the
    # folders (stamped.py). The scan's walk takes them: the folder is not listed again.
    stamped = existing is None or len(existing[0].seeds) >= options.stamp_min_files
    folders = stamped_at = None
    found = None
    if existing is not None and not full:
        last = existing[0]
        if changed:
            from .hinted import hinted_scan

            found = hinted_scan(seeds_root, last, changed)
        elif stamped:
            from .stamped import stamped_scan

            found = stamped_scan(seeds_root, last, processes, options.stat_helper)
        if found is not None:
            # Not read again: the folders did not change (a watcher's next walk checks).
            folders, stamped_at = last.folders, last.stamped_at
    if found is None:
        found = scan_seeds(seeds_root, processes=processes, helper=options.stat_helper)
        if stamped:
            folders, stamped_at = found.folders, found.stamped_at
    fingerprint = mf.scan_fingerprint(found.files)
    notes += link_notes(found)
    ctx = Context(
        root.resolve(),
        seeds_root,
        started,
        notes,
        report,
        fingerprint,
        options,
        found,
        space,
        folders,
        stamped_at,
        on_writes,
    )
    old = None
    if existing is not None:
        old, store = existing
        if (
            not full
            and old.scan == fingerprint
            and old.counts is not None
            and not found.problems
            and not old.seeds.failed()
        ):
            from .stamped import stamps_changed

            if folders is not None and stamps_changed(old, folders, stamped_at) and not dry_run:
                # Only folder mtimes changed: keep them for freshness and the next scan.
                old.folders, old.stamped_at = folders, stamped_at
                mf.write_manifest(store, old)
            return _unchanged(ctx, old, len(found.files), dry_run=dry_run)
        if not full:  # a full build reads them when it counts what changed (full.py)
            old = with_columns(old, notes)
        if old is not None and not full:
            ix = _open_whoosh(root, store, notes)
            if ix is not None:
                try:
                    return _incremental(ctx, ix, old, store, dry_run=dry_run)
                except IndexDamagedError as exc:  # found while reading, before any write
                    notes.append(rebuilt_note(exc))
                    old = None
    from .full import full_build  # only a build that rebuilds needs the segment writer

    return full_build(ctx, old, dry_run=dry_run)


def _incremental(
    ctx: Context, ix: Any, old: mf.Manifest, store: Path, *, dry_run: bool
) -> IndexReport:
    from .incremental import incremental_build  # a no-op run need not load it

    return incremental_build(ctx, ix, old, store, dry_run=dry_run)


def _read_existing(root: Path, notes: list[str]) -> tuple[mf.Manifest, Path] | None:
    """The live store's manifest, and the store; None when there is none to update (a note
    says why when there is an index that cannot be used)."""
    try:
        store = st.current_store(root)
        if store is None:
            return None
        manifest = mf.read_manifest(store, latest_generation(store))
    except IndexDamagedError as exc:
        notes.append(rebuilt_note(exc))
        return None
    if manifest.schema != schema_fingerprint():
        notes.append("the index was built by another version of searchkit; rebuilt it from scratch")
        return None
    return manifest, store


def _open_whoosh(root: Path, store: Path, notes: list[str]) -> Any:
    """The store's Whoosh index, or None (with a note) when it cannot be opened."""
    try:
        with opening(root, store):
            return open_index(store)
    except IndexDamagedError as exc:
        notes.append(rebuilt_note(exc))
        return None


def _unchanged(ctx: Context, manifest: mf.Manifest, files: int, *, dry_run: bool) -> IndexReport:
    """The report of a build that found the folder exactly as the manifest describes it:
    every seed file is as it was, indexed or not."""
    assert manifest.counts is not None
    documents, articles = manifest.counts
    not_indexed = sum(1 for _ in manifest.seeds.issues())
    return make_report(
        ctx,
        manifest,
        Counts(unchanged=files - not_indexed),
        full=False,
        dry_run=dry_run,
        changed=False,
        documents=(documents, articles, documents - articles),
        old=manifest,
    )
