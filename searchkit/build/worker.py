"""The worker's side of a full build shared between processes (see full.py).

The worker is `python -m searchkit._build_worker`: it reads its job on stdin, claims chunks of
seed files until none is left, indexing their articles into a segment of its own, and sends
the rows it kept; then it receives the stubs dealt to it, indexes them, writes its segment
and sends it. A dry run's worker only reads and sends its rows. It exits quietly when the
main process is gone.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..whoosh_seam.writing import abandon, open_index, release, segment_writer, write_segment
from ..workers import dump
from .decide import Stubs
from .rows import EntryReader, Spill
from .share import ChunkClaims, Claims, Share
from .table import FileTable


class PartWork:
    """The worker's side of a build, whatever carries its messages (this process's pipes, or
    a cluster's actor: cluster/parts.py): `read()` the chunks it claims, then `finish()`
    with the stubs dealt to it; `abandon()` if it stops before."""

    def __init__(self, job: dict[str, Any], tempname: str) -> None:
        self.job = job
        self.writer = None
        if job["store"] is not None:
            ix = open_index(job["store"])
            limitmb = job["limitmb"]
            self.writer = segment_writer(ix, limitmb=limitmb, tempname=tempname, shared=True)
        self.spills = {p: Path(path) for p, path in job["spills"].items()}
        part = job["part"]
        table = FileTable(Path(job["table"]))
        spill = Spill(self.spills[part])
        self.share = Share(self.writer, job["root"], table, job["chunk_size"], part, spill)

    def read(self, claims: ChunkClaims, go_on: Callable[[], bool] | None = None) -> bytes:
        """Read every chunk it claims; the rows kept, as bytes (which it forgets)."""
        self.share.read(claims, go_on=go_on)
        return self.share.release().to_bytes()

    def finish(self, stubs: Stubs) -> tuple[Any, int]:
        """Index the stubs dealt to it and write its segment: (the segment, or None when it
        holds nothing; the stubs indexed)."""
        entries = EntryReader(self.spills)
        try:
            added = self.share.add_stubs(stubs.orders(), entries)
        finally:
            entries.close()
        segment = write_segment(self.writer)
        release(self.writer)
        self.writer = None
        return segment, added

    def abandon(self) -> None:
        """Remove what it wrote, if it had not finished."""
        if self.writer is not None:
            abandon(self.writer)
            self.writer = None


def worker_main() -> None:
    """Run the worker's side of a build (the module docstring), talking on stdin/stdout."""
    stdin = sys.stdin.buffer
    _tag, job = pickle.load(stdin)
    parent = os.getppid()
    work = PartWork(job, f"worker-{os.getpid()}.tmp")
    try:
        rows = work.read(Claims(job["claims"]), go_on=lambda: os.getppid() == parent)
        if os.getppid() != parent:
            return
        _send(("rows", rows))
        if work.writer is None:
            return
        try:
            _tag, stubs = pickle.load(stdin)
        except EOFError:
            return  # the main process does the rest
        _send(("segment", work.finish(stubs)))
    finally:
        work.abandon()


def _send(message: tuple[str, Any]) -> None:
    """Send a message from the worker to the main process."""
    dump(message, sys.stdout.buffer)
    sys.stdout.buffer.flush()
