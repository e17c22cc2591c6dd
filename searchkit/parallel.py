"""A full build shared by two processes, each writing a segment of the same new index.

Parsing seeds and indexing documents are both CPU-bound Python, so a full build splits them
between the main process and a worker (`python -m searchkit._build_worker`):

1. The path-ordered seed files are cut into chunks. The main process claims chunks from the
   front, the worker from the back, each claim made under a POSIX record lock, so the split
   follows the speed of each side and every chunk is done once. Each process parses its
   chunks and indexes every article that parses into its own segment.
2. The two exchange what they found (an :class:`Outcome` per file, without the related entries
   themselves) and both work out the same :class:`Plan` from it, in path order: which articles
   are duplicates of an earlier file and which related entries become stubs. A stub is made
   from the entry of its first citing seed, so the process that read that seed indexes it;
   the main process, which reads the earlier seeds and so holds most stubs, hands the worker
   enough of its own (entries included) that each indexes about half. Then each writes its
   segment.
3. The main process deletes the duplicates from their segment and writes one table of contents
   naming both segments (the store is switched after that, as for any full build).

If the worker dies, the main process does its share: before the exchange, by indexing the
chunks the worker had claimed; after, by indexing the worker's documents again into a segment
of its own. Below WORKER_MIN_FILES seed files the main process does everything.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .documents import RelatedEntry
from .loader import Loaded, SeedFile, dump, read_seed, start_child, stop_child
from .records import article_document, stub_document, to_fields
from .reports import BuildProgress

CHUNK_SIZE = 32  # seed files per claim: small enough that both sides finish close together
WORKER_MIN_FILES = 400  # below this, starting the worker costs more than it saves

MAIN, WORKER = 0, 1  # the two segments

# Set by tests to start something else than the worker (one that dies, say).
WORKER_COMMAND = [sys.executable, "-m", "searchkit._build_worker"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One seed file after a build read it: its state for the manifest, and what duplicates
    and stubs are decided from."""

    file: SeedFile
    digest: str
    error: str | None = None  # why the seed is invalid; None when it parsed
    identity: str | None = None  # the article's id; None when invalid
    topics: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()  # the document ids of its related entries, in seed order
    entries: tuple[RelatedEntry, ...] = ()  # those entries, if this process read the seed
    docnum: int | None = None  # the article's number in its segment; None if not indexed
    part: int = MAIN  # the process that read it, and the segment its article went to

    def row(self) -> tuple[Any, ...]:
        """What the other process needs of it (plain values: cheap to pickle)."""
        return (self.digest, self.error, self.identity, self.topics, self.keys, self.docnum)

    @classmethod
    def from_row(cls, file: SeedFile, row: tuple[Any, ...], part: int) -> Outcome:
        digest, error, identity, topics, keys, docnum = row
        return cls(file, digest, error, identity, topics, keys, (), docnum, part)


def outcome_of(loaded: Loaded, docnum: int | None = None, part: int = MAIN) -> Outcome:
    seed = loaded.seed
    if seed is None:
        return Outcome(loaded.file, loaded.digest, error=loaded.error or "cannot be parsed")
    return Outcome(
        loaded.file,
        loaded.digest,
        identity=seed.identity,
        topics=seed.topics,
        keys=seed.related_keys(),
        entries=seed.related,
        docnum=docnum,
        part=part,
    )


@dataclass(frozen=True, slots=True)
class Stub:
    key: str
    topics: tuple[str, ...]  # the citing articles' topics, in path order
    part: int  # the process that read the first citing seed (in path order) ...
    entry: RelatedEntry | None  # ... and its entry, which the stub is made of (if read here)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a full build holds, decided from every file's outcome in path order: the first
    file with an identity holds its article; related entries that are no article are stubs."""

    outcomes: list[Outcome]
    articles: dict[str, str]  # identity -> path of the file that holds the article
    duplicates: list[Outcome]  # files whose identity an earlier file holds
    stubs: list[Stub]


def make_plan(outcomes: list[Outcome]) -> Plan:
    articles: dict[str, str] = {}
    duplicates: list[Outcome] = []
    first: dict[str, tuple[int, RelatedEntry | None]] = {}
    topics: dict[str, list[str]] = {}
    for outcome in outcomes:
        identity = outcome.identity
        if identity is None:
            continue
        if identity in articles:
            duplicates.append(outcome)
            continue
        articles[identity] = outcome.file.path
        entries = outcome.entries
        for i, key in enumerate(outcome.keys):
            if key not in first:
                first[key] = (outcome.part, entries[i] if entries else None)
            topics.setdefault(key, []).extend(outcome.topics)
    stubs = [
        Stub(key, tuple(topics[key]), part, entry)
        for key, (part, entry) in first.items()
        if key not in articles
    ]
    return Plan(outcomes, articles, duplicates, stubs)


def index_chunk(
    writer: Any, root: str, files: Iterable[SeedFile], part: int, seen: set[str] | None = None
) -> list[Outcome]:
    """Read each file and add the article of every one that parses to `writer`, except those
    whose identity is in `seen` (the identities indexed so far, for a caller that reads
    files in path order; it adds the new ones)."""
    outcomes = []
    for file in files:
        loaded = read_seed(root, file)
        seed = loaded.seed
        docnum = None
        if seed is not None and (seen is None or seed.identity not in seen):
            docnum = writer.docnum
            writer.add_document(**to_fields(article_document(seed)))
            if seen is not None:
                seen.add(seed.identity)
        outcomes.append(outcome_of(loaded, docnum, part))
    return outcomes


def _add_stub(writer: Any, stub: Stub, entry: RelatedEntry | None = None) -> None:
    entry = entry or stub.entry
    assert entry is not None, stub.key
    writer.add_document(**to_fields(stub_document(stub.key, entry, stub.topics)))


class _Claims:
    """Chunk numbers of [0, n) handed out from the front (main process) and from the back
    (worker): a pair of counters in a file both processes hold open, changed under a lock."""

    PAIR = struct.Struct("<qq")

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def _take(self, front: bool) -> tuple[int | None, int]:
        """(the chunk claimed, or None when none is left; the back counter)."""
        fd = self.fd
        fcntl.lockf(fd, fcntl.LOCK_EX)
        try:
            lo, hi = self.PAIR.unpack(os.pread(fd, self.PAIR.size, 0))
            if lo >= hi:
                return None, hi
            if front:
                os.pwrite(fd, self.PAIR.pack(lo + 1, hi), 0)
                return lo, hi
            os.pwrite(fd, self.PAIR.pack(lo, hi - 1), 0)
            return hi - 1, hi - 1
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN)

    def front(self) -> tuple[int | None, int]:
        return self._take(front=True)

    def back(self) -> int | None:
        return self._take(front=False)[0]


_GONE = object()  # what _receive returns when the worker died


class ArticleBuild:
    """The documents of a full build of the seed `files` (in path order) into the new index at
    `store`, by `writer` (a FastSegmentWriter on it) and, for WORKER_MIN_FILES files or more,
    by a worker too: `index()`, then `finish()`."""

    def __init__(
        self, writer: Any, store: Path, root: Path, files: Sequence[SeedFile], *, limitmb: float
    ) -> None:
        self._writer = writer
        self._store = store
        self._root = str(root)
        self._files = files
        self._limitmb = limitmb
        self._chunks = [files[i : i + CHUNK_SIZE] for i in range(0, len(files), CHUNK_SIZE)]
        self._proc: subprocess.Popen[bytes] | None = None
        self._sending: threading.Thread | None = None
        self._theirs: list[Outcome] = []  # what the worker indexed, once it has said so
        self._shared = False  # whether the worker took the plan and its stubs
        self._handed: set[str] = set()  # stubs the main process handed to the worker
        self._started = False
        self.note: str | None = None  # why the worker did not do its share, if it did not

    def index(self, on_progress: Callable[[int], None] | None = None) -> Plan:
        """Parse every file, index every article that parses; the plan for the rest."""
        total = len(self._files)
        with tempfile.TemporaryFile() as counters:
            counters.write(_Claims.PAIR.pack(0, len(self._chunks)))
            counters.flush()
            claims = _Claims(counters.fileno())
            if total >= WORKER_MIN_FILES and len(self._chunks) > 1:
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
                    ahead = total - min(total, back * CHUNK_SIZE)  # what the worker claimed
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
            _add_stub(writer, stub)
            if done % 256 == 0 or done == len(stubs):
                report(BuildProgress("stubs", total * done // len(stubs), total))
        report(BuildProgress("commit"))
        segments: dict[int, Any] = {}
        if writer._added:
            segments[MAIN] = writer._finalize_segment()
        else:
            writer._close_segment()
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
        for part, docnum in drop:
            segments[part].delete_document(docnum)
        writer._commit_toc(list(segments.values()))
        writer._finish()
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
            "limitmb": self._limitmb,
        }
        try:
            self._proc = start_child(WORKER_COMMAND, pass_fds=(claims_fd,))
        except OSError as exc:
            self.note = f"could not start the build worker process ({exc}); built in one"
            return
        self._started = True
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
        from whoosh import index as whoosh_index

        from .writer import FastSegmentWriter

        if not articles and not stubs:
            return None
        ix = whoosh_index.open_dir(str(self._store))
        tempname = f"redo-{os.getpid()}.tmp"
        writer = FastSegmentWriter(ix, self._limitmb, tempname=tempname, _lk=False)
        try:
            files = [o.file for o in articles]
            entries: dict[str, RelatedEntry] = {}  # the stubs' entries, from the seeds read again
            for outcome in index_chunk(writer, self._root, files, WORKER):
                for key, related in zip(outcome.keys, outcome.entries, strict=True):
                    entries.setdefault(key, related)
            for stub in stubs:
                entry = stub.entry or entries.get(stub.key)
                if entry is not None:  # else its seed changed since: the next run sees it
                    _add_stub(writer, stub, entry)
            segment = writer._finalize_segment() if writer._added else None
        except BaseException:
            writer.cancel()
            raise
        writer._finish()
        return segment


def worker_main() -> None:
    """The worker's side of ArticleBuild: claim chunks from the back until the two sides
    meet, exchange outcomes, index the stubs it holds the entries of, write the segment and
    send it. Exits
    quietly when the main process is gone."""
    from whoosh import index as whoosh_index

    from .writer import FastSegmentWriter

    stdin = sys.stdin.buffer
    _tag, job = pickle.load(stdin)
    parent = os.getppid()
    chunks: list[list[SeedFile]] = job["chunks"]
    claims = _Claims(job["claims"])
    ix = whoosh_index.open_dir(job["store"])
    tempname = f"worker-{os.getpid()}.tmp"
    writer = FastSegmentWriter(ix, job["limitmb"], tempname=tempname, _lk=False)
    try:
        done: list[list[Outcome]] = []  # chunk by chunk, from the back
        while (k := claims.back()) is not None:
            if os.getppid() != parent:
                return
            done.append(index_chunk(writer, job["root"], chunks[k], WORKER))
        mine = [o for chunk in reversed(done) for o in chunk]
        _send(("outcomes", [o.row() for o in mine]))
        try:
            _tag, (rows, handed) = pickle.load(stdin)
        except EOFError:
            return  # the main process does the rest
        files = [f for chunk in chunks for f in chunk]
        theirs = [Outcome.from_row(f, row, MAIN) for f, row in zip(files, rows, strict=False)]
        plan = make_plan(theirs + mine)
        for stub in plan.stubs:
            if stub.part == WORKER or stub.key in handed:
                _add_stub(writer, stub, handed.get(stub.key))
        segment = writer._finalize_segment() if writer._added else None
        if segment is None:
            writer._close_segment()
        writer._finish()
        _send(("segment", segment))
    except BaseException:
        with contextlib.suppress(Exception):
            writer.cancel()
        raise


def _dumps(message: tuple[str, Any]) -> bytes:
    buffer = io.BytesIO()
    dump(message, buffer)
    return buffer.getvalue()


def _send(message: tuple[str, Any]) -> None:
    """Send a message from the worker to the main process."""
    dump(message, sys.stdout.buffer)
    sys.stdout.buffer.flush()
