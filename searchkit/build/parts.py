"""Where the workers of a full build run (full.py): local processes by default, or the pool
BuildOptions.parts names (a Ray cluster's: cluster/parts.py, which the build never imports).

A pool gives the build two things:
- the claims on its chunks (ChunkClaims), which every process of the build takes its next
  chunk from, and which tell which chunks a worker that died had taken;
- its workers (PartWorker), each spoken to in the messages of worker.py: the job, its rows,
  the stubs dealt to it, its segment.
A worker that dies answers GONE, and the build does its share itself.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..workers import dump, start_child, stop_child
from .share import ChunkClaims, Claims

GONE: Any = object()  # what PartWorker.receive() gives when the worker died


class PartWorker(Protocol):
    """One worker of a build."""

    def send(self, message: tuple[str, Any]) -> bool:
        """Send `message`, not waiting for the worker; False if it died."""
        ...

    def receive(self, tag: str) -> Any:
        """The worker's answer, which must be `tag`; GONE if it died."""
        ...

    def stop(self) -> None: ...
    def reason(self) -> str:
        """Why it stopped, once it did."""
        ...


class PartPool(Protocol):
    """Where a build's workers run."""

    @property
    def stop_idle(self) -> bool:
        """Whether a worker that claimed no chunk by the time every chunk is claimed is
        stopped instead of waited for (it may never have started: a cluster without a free
        core)."""
        ...

    def claims(self, count: int) -> ChunkClaims: ...
    def start(self, part: int, claims: ChunkClaims) -> PartWorker:
        """Worker `part`, before its job is sent; OSError when it cannot start."""
        ...


@dataclass(frozen=True, slots=True)
class LocalParts:
    """Workers that are processes of this machine (`command`: argv; the job on stdin),
    claiming chunks from a file they share (share.Claims)."""

    command: tuple[str, ...]
    stop_idle: bool = False

    def claims(self, count: int) -> ChunkClaims:
        return Claims.create(count)

    def start(self, part: int, claims: ChunkClaims) -> PartWorker:
        fds = (claims.handle(),)
        return _LocalWorker(part, start_child(self.command, pass_fds=fds))


@dataclass
class _LocalWorker:
    """A worker process of a build, and the thread writing to it."""

    part: int
    proc: subprocess.Popen[bytes]
    sending: threading.Thread | None = field(default=None)

    def send(self, message: tuple[str, Any]) -> bool:
        """Pickle `message` to the worker from a thread, so that neither side waits on the
        other; False if it died."""
        proc = self.proc
        if proc.stdin is None:
            return False
        if self.sending is not None:
            self.sending.join()
        buffer = io.BytesIO()
        dump(message, buffer)
        data, stdin = buffer.getvalue(), proc.stdin

        def write() -> None:
            with contextlib.suppress(OSError, ValueError):
                stdin.write(data)
                stdin.flush()

        self.sending = threading.Thread(target=write, daemon=True)
        self.sending.start()
        return proc.poll() is None

    def receive(self, tag: str) -> Any:
        if self.proc.stdout is None:
            return GONE
        try:
            got, value = pickle.load(self.proc.stdout)
        except Exception:  # EOF, a truncated pickle: the worker is gone
            return GONE
        return value if got == tag else GONE

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # before joining the sender, which may be blocked writing to it
        if self.sending is not None:
            self.sending.join()
        stop_child(self.proc)

    def reason(self) -> str:
        return f"exit status {self.proc.returncode}"


__all__ = ["GONE", "ChunkClaims", "LocalParts", "PartPool", "PartWorker"]
