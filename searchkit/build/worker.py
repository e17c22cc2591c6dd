"""The worker's side of a full build shared between two processes (see full.py).

The worker is `python -m searchkit._build_worker`: it reads its job on stdin, claims chunks of
seed files from the back until the two sides meet, indexes their articles into a segment of
its own, sends the outcomes, receives the main process's (and the stubs handed to it), indexes
the stubs it holds the entries of, writes its segment and sends it. It exits quietly when the
main process is gone.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import struct
import sys
from typing import Any

from ..loader import SeedFile
from ..whoosh_seam.writing import abandon, open_index, release, segment_writer, write_segment
from ..workers import dump
from .plan import MAIN, WORKER, Outcome, add_stub, index_chunk, make_plan


class Claims:
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


def worker_main() -> None:
    """Run the worker's side of a build (the module docstring), talking on stdin/stdout."""
    stdin = sys.stdin.buffer
    _tag, job = pickle.load(stdin)
    parent = os.getppid()
    chunks: list[list[SeedFile]] = job["chunks"]
    claims = Claims(job["claims"])
    ix = open_index(job["store"])
    tempname = f"worker-{os.getpid()}.tmp"
    writer = segment_writer(ix, limitmb=job["limitmb"], tempname=tempname, shared=True)
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
                add_stub(writer, stub, handed.get(stub.key))
        segment = write_segment(writer)
        release(writer)
        _send(("segment", segment))
    except BaseException:
        abandon(writer)
        raise


def _send(message: tuple[str, Any]) -> None:
    """Send a message from the worker to the main process."""
    dump(message, sys.stdout.buffer)
    sys.stdout.buffer.flush()
