"""A full build: every seed file read into a new store, which then replaces the live one.

Parsing seeds and indexing documents are CPU-bound Python, so a full build of
`worker_min_files` files or more runs in `jobs` processes: this one and jobs - 1 workers
(worker.py), processes of this machine or, given a pool (BuildOptions.parts: parts.py), a
cluster's actors. Memory does not grow with the corpus beyond a few fixed-size fields per seed:

1. The seed files, in path order, go into a file table on disk (table.py) and are cut into
   chunks. Each process claims the next chunk when it is ready for one (share.Claims), parses
   its seeds and adds the article of every seed that parses to its own segment. Of each seed
   it keeps a row of fixed-size fields (rows.py); a related entry is written to the process's
   spill file the first time the process meets its key.
2. The workers send their rows here, and the duplicates and stubs are decided from all the
   rows at once, with array operations (decide.py).
3. The stubs are dealt out to every process in turn; each reads their entries back from the
   spill files and indexes them. Each process writes its segment, and this one commits them
   all in one table of contents, having deleted the duplicates' articles from them. Then the
   store is switched.

If a worker dies, this process does its share: before the rows, by reading the chunks the
worker had claimed; after, by indexing the worker's articles and stubs again into a segment
of its own. Writing segments in several processes uses Whoosh's internals
(whoosh_seam.writing): on an unverified Whoosh the whole build runs in this process, with
Whoosh's own writer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import manifest as mf
from .. import store as st
from ..errors import IndexDamagedError, SearchkitError, SeedsUnreadableError
from ..loader import read_seed
from ..reports import BuildProgress, IndexReport
from ..scan import FileList
from ..schema import build_schema, schema_fingerprint
from ..whoosh_seam.writing import (
    abandon,
    can_write_in_parallel,
    commit,
    commit_segments,
    create_index,
    open_index,
    release,
    segment_writer,
    write_segment,
)
from .context import (
    INDEX_BYTES_PER_SEED_BYTE,
    SEGMENT_PEAK,
    Context,
    Counts,
    make_report,
    rebuilt_note,
    stamp,
    warning_notes,
    with_columns,
)
from .decide import DUPLICATE_STATUS, Decision, Stubs, decide
from .options import BuildOptions, jobs_for
from .parts import GONE, LocalParts, PartPool, PartWorker
from .rows import FAILED, OK, EntryReader, Rows, Spill, key_of
from .share import Share
from .table import FileTable, write_table
from .tally import tally_full

MAIN = 0  # this process's part number; workers are 1 .. jobs - 1


def full_build(ctx: Context, old: mf.Manifest | None, *, dry_run: bool) -> IndexReport:
    """Build a new store from every seed file the scan found and switch to it (unless
    `dry_run`); `old` is the manifest of the index it replaces (None: there is none, or it
    is damaged).

    Seeds that cannot be read keep the index as it was (SeedsUnreadableError) unless there
    is no sound index to keep: then they are listed with the errors and read again next
    time. Whatever fails, everything the build wrote is removed."""
    files = ctx.found.files
    counts = Counts()
    # The old index's seed columns are read when they are needed (to keep that index, or to
    # count what changed), not held through the reading and the decisions.
    if old is not None and ctx.found.unreadable:
        old = with_columns(old, ctx.notes)
    may_keep = old is not None  # an index to keep, if it is sound, should seeds not be read
    if may_keep and ctx.found.unreadable:
        may_keep = _keep_a_sound_index(ctx, list(ctx.found.unreadable.items()))
    manifest = mf.Manifest(
        seeds_dir=str(ctx.seeds_root),
        schema=schema_fingerprint(),
        scan=ctx.fingerprint,
        folders=ctx.folders,
        stamped_at=ctx.stamped_at,
    )
    ctx.space.bytes = _space_needed(ctx)
    store = None if dry_run else st.new_store(ctx.root)
    writer = None
    build = None
    options = ctx.options
    try:
        work = Path(tempfile.mkdtemp(prefix="build-", suffix=".tmp", dir=store))
        # The files in path order: the build's file table, and the manifest's columns.
        columns = _in_path_order(files)
        offsets = np.concatenate(([0], columns.ends))
        write_table(work / "files", columns.blob, offsets, columns.mtimes, columns.sizes)
        if store is not None:
            writer = segment_writer(
                create_index(store, build_schema()), limitmb=options.writer_limit_mb
            )
        build = FullBuild(writer, store, work, ctx.seeds_root, options)
        total = len(build.table)
        decision = build.read(lambda done: ctx.report(BuildProgress("parse", done, total)))
        if old is not None:
            old = with_columns(old, ctx.notes)
            may_keep = may_keep and old is not None
        unread = _fill_manifest(ctx, manifest, columns, build, decision, old, counts)
        if old is not None:
            # Counted: the report needs only the old index's unusual seeds from here on.
            old = dataclasses.replace(old, seeds=old.seeds.issues_only())
        build.release_rows()
        if unread and may_keep:
            _keep_a_sound_index(ctx, unread)
        articles, stubs = decision.articles, len(decision.stubs)
        if writer is not None:
            assert store is not None
            manifest.generation = writer.generation
            stubs = build.finish(decision, ctx.report, manifest)
            writer = None
            st.switch_store(ctx.root, store)
        ctx.notes.extend(build.notes)
    except BaseException:
        if build is not None:
            build.close()  # first: the workers write into the store too
        if writer is not None:
            abandon(writer)
        if store is not None:
            shutil.rmtree(store, ignore_errors=True)
        raise
    finally:
        if build is not None:
            build.close()
    return make_report(
        ctx,
        manifest,
        counts,
        full=True,
        dry_run=dry_run,
        changed=not dry_run,
        documents=(articles + stubs, articles, stubs),
        old=old,
    )


def _in_path_order(files: FileList) -> mf.Columns:
    """The scan's files as manifest columns (no content hashes yet), in path order, their
    paths one after the other in that order."""
    order = np.array(sorted(range(len(files)), key=files.path), dtype=np.int64)
    return mf.Columns.of_scan(files).take(order).compacted()


def _fill_manifest(
    ctx: Context,
    manifest: mf.Manifest,
    columns: mf.Columns,
    build: FullBuild,
    decision: Decision,
    old: mf.Manifest | None,
    counts: Counts,
) -> list[tuple[str, str]]:
    """Every seed's state, from the decision and the rows of every process, as columns (the
    files in path order, numbered as the build's table numbers them); the seeds that could
    not be read, with why. Counts what changed since `old`."""
    digests = np.zeros((len(columns), mf.DIGEST_BYTES), dtype=np.uint8)
    errors: dict[int, str] = {}
    for rows in build.parts:
        files = np.frombuffer(rows.files, dtype=np.uint32).astype(np.int64)
        if len(files):
            digests[files] = np.frombuffer(bytes(rows.digests), dtype=np.uint8).reshape(-1, 12)
        for row, error in rows.errors.items():
            errors[rows.files[row]] = error
        for row, warned in sorted(rows.warnings.items()):
            ctx.notes += warning_notes(columns.path(rows.files[row]), warned)
    status = decision.status
    failed = status == FAILED
    digests[failed] = 0
    columns.digests = digests
    found = tally_full(columns, status == OK, old)
    counts.added, counts.updated, counts.unchanged = found.added, found.updated, found.unchanged
    counts.renamed, counts.removed = found.renamed, found.removed
    identities = build.duplicate_identities(decision)
    extra: dict[str, mf.Extra] = {}
    unread = []
    for number in np.flatnonzero(status != OK).tolist():
        path, code = columns.path(number), int(status[number])
        if code == FAILED:
            unread.append((path, errors[number]))
            extra[path] = (mf.INVALID, errors[number], None, True)
        elif code == DUPLICATE_STATUS:
            identity = identities.get(number)
            if identity is None:
                digests[number] = 0  # changed since it was read: read again next time
            extra[path] = (
                mf.DUPLICATE,
                columns.path(int(decision.winner[number])),
                identity,
                False,
            )
        else:
            extra[path] = (mf.INVALID, errors[number], None, False)
    manifest.seeds = mf.SeedStates.from_columns(columns, extra)
    return sorted(unread)


def _keep_a_sound_index(ctx: Context, unread: list[tuple[str, str]]) -> bool:
    """A full build that could not read `unread` ((path, reason) pairs) keeps the index it
    would replace, if that index is sound: SeedsUnreadableError. A damaged index is replaced
    all the same: False (with a note), and the build goes on."""
    from ..stats import index_stats  # reads every file of the index, as a search would

    try:
        index_stats(ctx.root)
    except IndexDamagedError as exc:
        ctx.notes.append(rebuilt_note(exc))
        return False
    except SearchkitError as exc:
        ctx.notes.append(f"the index could not be used ({exc}); rebuilt it from scratch")
        return False
    raise SeedsUnreadableError(str(ctx.root), str(ctx.seeds_root), sorted(unread))


def _space_needed(ctx: Context) -> int:
    """About how many bytes the build needs at its peak: its new segment twice, the segment
    being as large as the live store, or (for a first build) its seeds' size times
    INDEX_BYTES_PER_SEED_BYTE."""
    with contextlib.suppress(SearchkitError, OSError):
        live = st.current_store(ctx.root)
        if live is not None:
            return SEGMENT_PEAK * st.store_size(live)
    seeds = ctx.found.files.total_size()
    return SEGMENT_PEAK * INDEX_BYTES_PER_SEED_BYTE * seeds


class FullBuild:
    """The documents of a full build of the files in the table at `work/files` into the new
    index at `store` by `writer` (a segment writer on it; None for a dry run, which only
    reads), shared with worker processes when there are enough files: `read()`, then
    `finish()`."""

    def __init__(
        self,
        writer: Any | None,
        store: Path | None,
        work: Path,
        root: Path,
        options: BuildOptions,
    ) -> None:
        self.writer = writer
        self.store = store
        self.work = work
        self.root = str(root)
        self.options = options
        self.table = FileTable(work / "files")
        size = options.chunk_size
        self.chunks = math.ceil(len(self.table) / size)
        parallel = writer is None or can_write_in_parallel()
        jobs = jobs_for(options) if len(self.table) >= options.worker_min_files else 1
        self.jobs = max(1, min(jobs, self.chunks)) if parallel else 1
        local = LocalParts(options.worker_command)
        self.pool: PartPool = (options.parts or local) if self.jobs > 1 else local
        self.claims = self.pool.claims(self.chunks)
        self.share = Share(
            writer,
            self.root,
            self.table,
            size,
            MAIN,
            Spill(self._spill(MAIN)),
            skip_duplicates=not parallel,
        )
        self.workers: dict[int, PartWorker] = {}
        self.parts: list[Rows] = [self.share.rows]
        self.notes: list[str] = []
        self._lost: dict[int, str] = {}  # part -> why it stopped

    def _spill(self, part: int) -> Path:
        return self.work / f"spill-{part}"

    # --- reading -------------------------------------------------------------------------

    def read(self, on_progress: Callable[[int], None] | None = None) -> Decision:
        """Parse every file and index every article that parses; then decide duplicates and
        stubs from what every process read."""
        total, size = len(self.table), self.options.chunk_size
        for part in range(1, self.jobs):
            self._start(part)
        claims = self.claims

        def progress() -> None:
            if on_progress is not None:
                on_progress(min(total, claims.claimed() * size))

        self.share.read(claims, progress)
        self.parts.extend(Rows() for _ in range(1, self.jobs))
        if self.pool.stop_idle:
            for part in [p for p in self.workers if not claims.owned_by(p)]:
                self.workers.pop(part).stop()  # it read nothing: nothing to wait for
        for part, worker in list(self.workers.items()):
            data = worker.receive("rows")
            if data is GONE:
                self._lose(part)
                # The chunks it claimed are read here, and indexed into this segment.
                for k in claims.owned_by(part):
                    self.share.read_chunk(k)
                    progress()
                continue
            self.parts[part] = Rows.from_bytes(data)
        self.share.spill.close()
        if on_progress is not None:
            on_progress(total)
        return decide(self.parts, total)

    def release_rows(self) -> None:
        """Forget what the rows of every process hold but their file numbers (which a lost
        worker's share is read again from): the decision and the manifest are made."""
        self.share.release()
        self.parts = [self.share.rows, *(Rows(files=rows.files) for rows in self.parts[1:])]

    def duplicate_identities(self, decision: Decision) -> dict[int, str]:
        """The identity of each duplicate seed (file number -> identity), read again: rows
        keep only its key. A seed changed since it was read is left out (it is read again
        next time)."""
        found = {}
        for rows in self.parts:
            files = np.frombuffer(rows.files, dtype=np.uint32).astype(np.int64)
            if not len(files):
                continue
            for row in np.flatnonzero(decision.status[files] == DUPLICATE_STATUS).tolist():
                number = int(files[row])
                (file,) = self.table.files(number, number + 1)
                seed = read_seed(self.root, file).seed
                key = bytes(rows.identities[16 * row : 16 * row + 16])
                if seed is not None and key_of(seed.identity) == key:
                    found[number] = seed.identity
        return found

    # --- stubs and segments ----------------------------------------------------------------

    def finish(
        self,
        decision: Decision,
        report: Callable[[BuildProgress], None],
        manifest: mf.Manifest,
    ) -> int:
        """Index the stubs (dealt out to every process), write the segments, delete the
        duplicates from them and commit them, with `manifest` (its counts set here) written
        first. The number of stubs indexed."""
        writer, stubs = self.writer, decision.stubs
        assert writer is not None
        parts = [MAIN, *self.workers]
        dealt = {
            part: stubs.take(np.arange(i, len(stubs), len(parts))) for i, part in enumerate(parts)
        }
        for part, worker in list(self.workers.items()):
            if not worker.send(("stubs", dealt[part])):
                self._lose(part)
        entries = EntryReader({p: self._spill(p) for p in range(self.jobs)})
        total = len(stubs)
        mine = dealt[MAIN]
        report(BuildProgress("stubs", 0, total))
        done = [0]

        def on_stub() -> None:
            done[0] += 1
            if done[0] % 256 == 0 or done[0] == len(mine):
                report(BuildProgress("stubs", total * done[0] // max(1, len(mine)), total))

        try:
            added = self.share.add_stubs(mine.orders(), entries, on_stub)
            report(BuildProgress("commit"))
            segments: dict[int, Any] = {}
            if self.jobs == 1 and not can_write_in_parallel():
                manifest.counts = (decision.articles + added, decision.articles)
                _stamp_and_write(manifest, self.store)
                commit(writer)  # Whoosh's own writer, in one process
                return added
            segment = write_segment(writer)
            if segment is not None:
                segments[MAIN] = segment
            for part, worker in list(self.workers.items()):
                got: Any = worker.receive("segment") if part not in self._lost else GONE
                if got is GONE:
                    self._lose(part)
                    continue
                segment, their_added = got
                added += their_added
                if segment is not None:
                    segments[part] = segment
            for part in sorted(p for p in self._lost if p in dealt):
                segment, redone = self._redo(part, decision, dealt[part], entries)
                added += redone
                if segment is not None:
                    segments[-part] = segment  # never numbered like a live part
        finally:
            entries.close()
        order = list(segments)
        deletions = [
            (order.index(part), docnum) for part, docnum in decision.deletions if part in segments
        ]
        manifest.counts = (decision.articles + added, decision.articles)
        _stamp_and_write(manifest, self.store)
        commit_segments(writer, [segments[p] for p in order], deletions)
        self._stop_all()
        return added

    def _redo(
        self, part: int, decision: Decision, stubs: Stubs, entries: EntryReader
    ) -> tuple[Any, int]:
        """A segment with the articles of the lost worker `part` (read again) and its stubs;
        (None, 0) when there are none."""
        rows = self.parts[part]
        files = np.frombuffer(rows.files, dtype=np.uint32).astype(np.int64)
        ours = files[decision.status[files] == OK] if len(files) else files
        if not len(ours) and not len(stubs):
            return None, 0
        assert self.store is not None
        ix = open_index(self.store)
        writer = segment_writer(
            ix, limitmb=self.options.writer_limit_mb, tempname=f"redo-{part}.tmp", shared=True
        )
        try:
            share = Share(writer, self.root, self.table, 1, MAIN, Spill(self._spill(-part)))
            for number in ours.tolist():
                (file,) = self.table.files(number, number + 1)
                share.record(number, read_seed(self.root, file))
            share.spill.close()
            added = share.add_stubs(stubs.orders(), entries)
            segment = write_segment(writer)
        except BaseException:
            abandon(writer)
            raise
        release(writer)
        return segment, added

    # --- the workers ---------------------------------------------------------------------

    def _start(self, part: int) -> None:
        job = {
            "part": part,
            "store": str(self.store) if self.store is not None else None,
            "root": self.root,
            "table": str(self.work / "files"),
            "chunk_size": self.options.chunk_size,
            "claims": self.claims.handle(),
            "spills": {p: str(self._spill(p)) for p in range(self.jobs)},
            "limitmb": self.options.writer_limit_mb,
        }
        try:
            worker = self.workers[part] = self.pool.start(part, self.claims)
        except OSError as exc:
            self._note(f"could not start a build worker process ({exc}); its share was done here")
            return
        if not worker.send(("job", job)):
            self._lose(part)

    def _lose(self, part: int) -> None:
        worker = self.workers.pop(part, None)
        if worker is None:
            return
        worker.stop()
        self._lost[part] = worker.reason()
        self._note(
            "a build worker process stopped early; its share was indexed by the main process"
        )

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def _stop_all(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        self.workers.clear()

    def close(self) -> None:
        """Stop the workers, if they still run, and remove the build's working files."""
        self._stop_all()
        self.claims.close()
        self.share.spill.close()
        shutil.rmtree(self.work, ignore_errors=True)
        if self.store is not None:
            # A worker that died leaves its folder of spilled postings behind.
            for pattern in ("worker-*.tmp", "redo-*.tmp"):
                for leftover in self.store.glob(pattern):
                    shutil.rmtree(leftover, ignore_errors=True)


def _stamp_and_write(manifest: mf.Manifest, store: Path | None) -> None:
    assert store is not None
    stamp(manifest)
    mf.write_manifest(store, manifest)


__all__ = ["FullBuild", "full_build"]
