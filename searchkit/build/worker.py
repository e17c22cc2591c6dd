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
from pathlib import Path
from typing import Any

from ..whoosh_seam.writing import abandon, open_index, release, segment_writer, write_segment
from ..workers import dump
from .rows import EntryReader, Spill
from .share import Claims, Share
from .table import FileTable


def worker_main() -> None:
    """Run the worker's side of a build (the module docstring), talking on stdin/stdout."""
    stdin = sys.stdin.buffer
    _tag, job = pickle.load(stdin)
    parent = os.getppid()
    writer = None
    if job["store"] is not None:
        ix = open_index(job["store"])
        tempname = f"worker-{os.getpid()}.tmp"
        writer = segment_writer(ix, limitmb=job["limitmb"], tempname=tempname, shared=True)
    try:
        part = job["part"]
        table = FileTable(Path(job["table"]))
        spills = {p: Path(path) for p, path in job["spills"].items()}
        share = Share(writer, job["root"], table, job["chunk_size"], part, Spill(spills[part]))
        share.read(Claims(job["claims"]), go_on=lambda: os.getppid() == parent)
        if os.getppid() != parent:
            return
        _send(("rows", share.release().to_bytes()))
        if writer is None:
            return
        try:
            _tag, stubs = pickle.load(stdin)
        except EOFError:
            return  # the main process does the rest
        entries = EntryReader(spills)
        try:
            added = share.add_stubs(stubs.orders(), entries)
        finally:
            entries.close()
        segment = write_segment(writer)
        release(writer)
        writer = None
        _send(("segment", (segment, added)))
    except BaseException:
        if writer is not None:
            abandon(writer)
        raise


def _send(message: tuple[str, Any]) -> None:
    """Send a message from the worker to the main process."""
    dump(message, sys.stdout.buffer)
    sys.stdout.buffer.flush()
