"""A full build: every seed file read in path order into a new store, which then replaces the
live one.

Parsing seeds and indexing documents are both CPU-bound Python, so a full build of
`worker_min_files` files or more is shared between the main process and a worker (worker.py):

1. The path-ordered seed files are cut into chunks. The main process claims chunks from the
   front, the worker from the back, each claim made under a POSIX record lock, so the split
   follows the speed of each side and every chunk is done once. Each process parses its
   chunks and indexes every article that parses into its own segment.
2. The two exchange what they found (an Outcome per file, without the related entries
   themselves) and both work out the same Plan from it (plan.py). A stub is made from the
   entry of its first citing seed, so the process that read that seed indexes it; the main
   process, which reads the earlier seeds and so holds most stubs, hands the worker enough of
   its own (entries included) that each indexes about half. Then each writes its segment.
3. The main process deletes the duplicates from their segment and commits both segments in
   one table of contents; then the store is switched.

If the worker dies, the main process does its share: before the exchange, by indexing the
chunks the worker had claimed; after, by indexing the worker's documents again into a segment
of its own. Writing segments in parallel uses Whoosh's internals (whoosh_seam.writing): on an
unverified Whoosh the whole build runs in the main process, with Whoosh's own writer.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import manifest as mf
from .. import store as st
from ..documents import RelatedEntry
from ..errors import IndexDamagedError, SearchkitError, SeedsUnreadableError
from ..loader import SeedFile, load_seeds, seed_files
from ..reports import BuildProgress, IndexReport
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
from ..workers import dump, start_child, stop_child
from .context import (
    INDEX_BYTES_PER_SEED_BYTE,
    SEGMENT_PEAK,
    Context,
    Counts,
    make_report,
    rebuilt_note,
    seed_state,
    stamp,
    warning_notes,
)
from .options import BuildOptions
from .plan import MAIN, WORKER, Outcome, Plan, Stub, add_stub, index_chunk, make_plan, outcome_of
from .worker import Claims


def full_build(ctx: Context, old: mf.Manifest | None, *, dry_run: bool) -> IndexReport:
    """Build a new store from every seed file the scan found and switch to it (unless
    `dry_run`); `old` is the manifest of the index it replaces (None: there is none, or it
    is damaged).

    Seeds that cannot be read keep the index as it was (SeedsUnreadableError) unless there
    is no sound index to keep: then they are listed with the errors and read again next
    time. Whatever fails, everything the build wrote is removed."""
    files = ctx.found.files
    paths = sorted(files)
    counts = Counts()
    if old is not None:
        counts.removed = sum(1 for p in old.seeds if p not in files)
    may_keep = old is not None  # an index to keep, if it is sound, should seeds not be read
    if may_keep and ctx.found.unreadable:
        may_keep = _keep_a_sound_index(ctx, list(ctx.found.unreadable.items()))
    manifest = mf.Manifest(
        seeds_dir=str(ctx.seeds_root), schema=schema_fingerprint(), scan=ctx.fingerprint
    )
    ctx.space.bytes = _space_needed(ctx)
    store = None if dry_run else st.new_store(ctx.root)
    writer = None
    build = None
    options = ctx.options
    try:
        total = len(paths)
        on_progress = lambda done: ctx.report(BuildProgress("parse", done, total))  # noqa: E731
        if store is not None:
            ix = create_index(store, build_schema())
            writer = segment_writer(ix, limitmb=options.writer_limit_mb)
            build = FullBuild(writer, store, ctx.seeds_root, seed_files(files, paths), options)
            plan = build.index(on_progress)
        else:
            loads = load_seeds(
                ctx.seeds_root,
                seed_files(files, paths),
                on_progress=on_progress,
                worker_min=options.parse_worker_min_files,
            )
            plan = make_plan([outcome_of(loaded) for loaded in loads])
        unread = []
        for outcome in plan.outcomes:
            path = outcome.file.path
            identity = outcome.identity
            if outcome.failed:
                unread.append((path, outcome.error or ""))
                manifest.seeds[path] = seed_state(outcome, mf.INVALID, outcome.error)
                continue
            counts.count(old.seeds.get(path) if old else None, outcome.digest)
            ctx.notes += warning_notes(path, outcome.warnings)
            if identity is None:
                manifest.seeds[path] = seed_state(outcome, mf.INVALID, outcome.error)
            elif plan.articles[identity] != path:
                winner = plan.articles[identity]
                manifest.seeds[path] = seed_state(outcome, mf.DUPLICATE, winner, identity)
            else:
                manifest.seeds[path] = seed_state(outcome, mf.OK)
        if unread and may_keep:
            _keep_a_sound_index(ctx, unread)
        articles, stubs = len(plan.articles), len(plan.stubs)
        if writer is not None and build is not None:
            manifest.generation = writer.generation
            manifest.counts = (articles + stubs, articles)
            stamp(manifest)
            assert store is not None
            mf.write_manifest(store, manifest)
            build.finish(plan, ctx.report)
            writer = None
            if build.note:
                ctx.notes.append(build.note)
            st.switch_store(ctx.root, store)
    except BaseException:
        if build is not None:
            build.close()  # first: the worker writes into the store too
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
    )


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
    seeds = sum(size for _, size in ctx.found.files.values())
    return SEGMENT_PEAK * INDEX_BYTES_PER_SEED_BYTE * seeds


_GONE = object()  # what _receive returns when the worker died


class FullBuild:
    """The documents of a full build of the seed `files` (in path order) into the new index at
    `store`, by `writer` (a segment writer on it) and, for `options.worker_min_files` files or
    more, by a worker too: `index()`, then `finish()`."""

    def __init__(
        self, writer: Any, store: Path, root: Path, files: Sequence[SeedFile], options: BuildOptions
    ) -> None:
        self._writer = writer
        self._store = store
        self._root = str(root)
        self._files = files
        self._options = options
        size = options.chunk_size
        self._chunks = [files[i : i + size] for i in range(0, len(files), size)]
        self._proc: subprocess.Popen[bytes] | None = None
        self._sending: threading.Thread | None = None
        self._theirs: list[Outcome] = []  # what the worker indexed, once it has said so
        self._shared = False  # whether the worker took the plan and its stubs
        self._handed: set[str] = set()  # stubs the main process handed to the worker
        self.note: str | None = None  # why the worker did not do its share, if it did not

    def index(self, on_progress: Callable[[int], None] | None = None) -> Plan:
        """Parse every file, index every article that parses; the plan for the rest."""
        total = len(self._files)
        with tempfile.TemporaryFile() as counters:
            counters.write(Claims.PAIR.pack(0, len(self._chunks)))
            counters.flush()
            claims = Claims(counters.fileno())
            if (
                total >= self._options.worker_min_files
                and len(self._chunks) > 1
                and can_write_in_parallel()
            ):
                self._start(claims.fd)
            mine: list[Outcome] = []
            seen: set[str] = set()  # the main process reads in path order: no duplicates
            taken = 0  # the main process claims chunks 0, 1, ... in turn
            while True:
                k, back = claims.front()
                if k is None:
                    break
                taken += 1
                mine.extend(index_chunk(self._writer, self._root, self._chunks[k], MAIN, seen))
                if on_progress is not None:
                    # What the worker claimed:
                    ahead = total - min(total, back * self._options.chunk_size)
                    on_progress(min(total, len(mine) + ahead))
            rows = self._receive("outcomes")
            if rows is not _GONE and len(rows) != total - len(mine):
                self._lost()  # not the files it claimed: do not trust it
                rows = _GONE
            if rows is _GONE:
                # No worker, or it died before reporting: do what it had claimed.
                for k in range(taken, len(self._chunks)):
                    chunk = self._chunks[k]
                    mine.extend(index_chunk(self._writer, self._root, chunk, MAIN, seen))
                rows = []
        if on_progress is not None:
            on_progress(total)
        start = len(mine)  # the worker read the files after the main process's
        theirs = [
            Outcome.from_row(self._files[start + i], row, WORKER) for i, row in enumerate(rows)
        ]
        self._theirs = theirs
        plan = make_plan(mine + theirs)
        if self._proc is not None:
            # Earlier seeds cite first, so most stubs fall to the main process: it hands
            # the worker enough of them, entries included, that each indexes half.
            ours = [s for s in plan.stubs if s.part == MAIN]
            handed = ours[len(plan.stubs) // 2 :]
            entries = {s.key: s.entry for s in handed}
            self._shared = self._send(("outcomes", ([o.row() for o in mine], entries)))
            self._handed = set(entries) if self._shared else set()
        return plan

    def finish(self, plan: Plan, report: Callable[[BuildProgress], None]) -> None:
        """Index the stubs (half of them, when the worker does the other half), write the
        segments, delete the duplicates from them and commit both in one table of contents."""
        writer = self._writer
        stubs = [
            s
            for s in plan.stubs
            if not self._shared or (s.part == MAIN and s.key not in self._handed)
        ]
        # Progress counts every stub, as if the worker kept pace with this process.
        total = len(plan.stubs)
        report(BuildProgress("stubs", 0, total))
        for done, stub in enumerate(stubs, 1):
            add_stub(writer, stub)
            if done % 256 == 0 or done == len(stubs):
                report(BuildProgress("stubs", total * done // len(stubs), total))
        report(BuildProgress("commit"))
        if self._proc is None and not self._theirs:
            commit(writer)  # built in one process: Whoosh's own commit
            return
        segments: dict[int, Any] = {}
        mine = write_segment(writer)
        if mine is not None:
            segments[MAIN] = mine
        drop = {(o.part, o.docnum) for o in plan.duplicates if o.docnum is not None}
        theirs = self._receive("segment") if self._shared else _GONE
        if theirs is _GONE and self._theirs:
            self._lost()
        if theirs is _GONE:
            # The worker died after reporting: index its documents again, here.
            dropped = {o.docnum for o in plan.duplicates if o.part == WORKER}
            articles = [o for o in self._theirs if o.docnum is not None and o.docnum not in dropped]
            stubs = [s for s in plan.stubs if s.part == WORKER or s.key in self._handed]
            theirs = self._reindex(articles, stubs)
            drop = {d for d in drop if d[0] != WORKER}
        if theirs is not None:
            segments[WORKER] = theirs
        self._stop()
        parts = list(segments)
        deletions = [(parts.index(part), docnum) for part, docnum in drop]
        commit_segments(writer, list(segments.values()), deletions)
        # A worker that died leaves its folder of spilled postings behind.
        for leftover in self._store.glob("worker-*.tmp"):
            shutil.rmtree(leftover, ignore_errors=True)

    def close(self) -> None:
        """Stop the worker, if it still runs (the build failed or is done)."""
        self._stop()

    # --- the worker ---------------------------------------------------------------------------

    def _start(self, claims_fd: int) -> None:
        job = {
            "store": str(self._store),
            "root": self._root,
            "chunks": self._chunks,
            "claims": claims_fd,
            "limitmb": self._options.writer_limit_mb,
        }
        try:
            self._proc = start_child(self._options.worker_command, pass_fds=(claims_fd,))
        except OSError as exc:
            self.note = f"could not start the build worker process ({exc}); built in one"
            return
        self._send(("job", job))

    def _send(self, message: tuple[str, Any]) -> bool:
        """Pickle `message` to the worker, writing it from a thread so that neither side
        waits on the other (the worker reads it when it needs it). False if it died."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            return False
        if self._sending is not None:
            self._sending.join()
        data = _dumps(message)
        stdin = proc.stdin

        def write() -> None:
            with contextlib.suppress(OSError, ValueError):
                stdin.write(data)
                stdin.flush()

        self._sending = threading.Thread(target=write, daemon=True)
        self._sending.start()
        return proc.poll() is None

    def _receive(self, tag: str) -> Any:
        """The worker's next message, which must be `tag`; _GONE if the worker died."""
        proc = self._proc
        if proc is None or proc.stdout is None:
            return _GONE
        try:
            got, value = pickle.load(proc.stdout)
        except Exception:  # EOF, a truncated pickle: the worker is gone
            got, value = None, None
        if got != tag:
            self._lost()
            return _GONE
        return value

    def _lost(self) -> None:
        proc = self._proc
        self._stop()
        if self.note is None and proc is not None:
            self.note = (
                f"the build worker process stopped early (exit status {proc.returncode}); "
                "its share was indexed by the main process"
            )

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()  # before joining the sender, which may be blocked writing to it
        if self._sending is not None:
            self._sending.join()
        stop_child(proc)

    def _reindex(self, articles: list[Outcome], stubs: list[Stub]) -> Any:
        """A segment with the articles of `articles`, read again, and the `stubs`; None when
        there are none."""
        if not articles and not stubs:
            return None
        ix = open_index(self._store)
        tempname = f"redo-{os.getpid()}.tmp"
        limitmb = self._options.writer_limit_mb
        writer = segment_writer(ix, limitmb=limitmb, tempname=tempname, shared=True)
        try:
            files = [o.file for o in articles]
            entries: dict[str, RelatedEntry] = {}  # the stubs' entries, from the seeds read again
            for outcome in index_chunk(writer, self._root, files, WORKER):
                for key, related in zip(outcome.keys, outcome.entries, strict=True):
                    entries.setdefault(key, related)
            for stub in stubs:
                entry = stub.entry or entries.get(stub.key)
                if entry is not None:  # else its seed changed since: the next run sees it
                    add_stub(writer, stub, entry)
            segment = write_segment(writer)
        except BaseException:
            abandon(writer)
            raise
        release(writer)
        return segment


def _dumps(message: tuple[str, Any]) -> bytes:
    buffer = io.BytesIO()
    dump(message, buffer)
    return buffer.getvalue()
