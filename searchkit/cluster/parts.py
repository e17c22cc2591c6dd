"""The workers of a staging build on a Ray cluster: searchkit's own full build (build/full.py)
with its workers as Ray actors spread over the nodes, so that every node parses and indexes
seeds, not only the one running the build.

Each actor does what a local worker process does (build/worker.PartWork): it claims chunks of
the build's file table, parses their seeds and indexes their articles into a segment of its
own, sends back the rows it kept, then indexes the stubs dealt to it and writes its segment.
The chunks are handed out by a small claims actor, in order, to whichever process asks next,
so a slow node takes fewer. The file table, the spills of related entries and the segments
are files in the staging index, on the path every node sees (build.py); only rows, stubs and
segment descriptions travel through Ray.

An actor that dies (its node lost, its process killed) answers GONE: the build reads the
chunks it had claimed and indexes them itself (full.py), so no document is lost or indexed
twice. An actor that has claimed nothing once every chunk is claimed (never scheduled: no
free core) is stopped, not waited for.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import RayError

from ..build.decide import Stubs
from ..build.parts import GONE, PartWorker
from ..build.share import NOBODY, ChunkClaims
from ..build.worker import PartWork

MAX_PARTS = NOBODY  # part numbers fit in a byte, NOBODY excluded


@ray.remote(num_cpus=0)
class _ClaimsActor:
    """The chunks of a build, handed out in order (as build/share.Claims, across nodes)."""

    def __init__(self, count: int) -> None:
        self.next = 0
        self.owners = bytearray([NOBODY]) * count

    def claim(self, part: int) -> int | None:
        if self.next >= len(self.owners):
            return None
        k = self.next
        self.owners[k] = part
        self.next += 1
        return k

    def claimed(self) -> int:
        return min(self.next, len(self.owners))

    def owned_by(self, part: int) -> list[int]:
        return [k for k, owner in enumerate(self.owners) if owner == part]


@dataclass
class RayClaims:
    """A build's claims on its chunks, held by a claims actor; picklable, so a worker's job
    carries it as it is."""

    actor: Any

    def claim(self, part: int) -> int | None:
        got: int | None = ray.get(self.actor.claim.remote(part))
        return got

    def claimed(self) -> int:
        got: int = ray.get(self.actor.claimed.remote())
        return got

    def owned_by(self, part: int) -> list[int]:
        got: list[int] = ray.get(self.actor.owned_by.remote(part))
        return got

    def handle(self) -> RayClaims:
        return self

    def close(self) -> None:
        with contextlib.suppress(RayError, ValueError):
            ray.kill(self.actor)


@ray.remote(num_cpus=1, max_restarts=0)
class _PartActor:
    """A worker of a staging build (build/worker.PartWork), on whichever node Ray puts it."""

    def __init__(self) -> None:
        self.work: PartWork | None = None

    def read(self, job: dict[str, Any]) -> bytes:
        tempname = f"worker-{job['part']}-{uuid.uuid4().hex[:8]}.tmp"
        self.work = PartWork(job, tempname)
        try:
            return self.work.read(job["claims"])
        except BaseException:
            self.work.abandon()
            raise

    def finish(self, stubs: Stubs) -> tuple[Any, int]:
        assert self.work is not None
        try:
            return self.work.finish(stubs)
        finally:
            self.work.abandon()


@dataclass
class _RayWorker:
    """One part actor, spoken to as a local worker process is (build/parts.PartWorker)."""

    part: int
    actor: Any
    pending: Any = None  # the reference to its answer under way
    why: str = field(default="stopped")

    def send(self, message: tuple[str, Any]) -> bool:
        tag, value = message
        if tag == "job":
            self.pending = self.actor.read.remote(value)
        elif tag == "stubs":
            self.pending = self.actor.finish.remote(value)
        else:
            return False
        return True

    def receive(self, tag: str) -> Any:
        if self.pending is None:
            return GONE
        try:
            return ray.get(self.pending)
        except RayError as exc:  # its process or node died, or it failed
            self.why = f"{type(exc).__name__} on the cluster"
            return GONE
        finally:
            self.pending = None

    def stop(self) -> None:
        with contextlib.suppress(RayError, ValueError):
            ray.kill(self.actor)

    def reason(self) -> str:
        return self.why


@dataclass(frozen=True, slots=True)
class RayParts:
    """Where a staging build's workers run: part actors spread over the cluster's nodes
    (build/parts.PartPool). `tag` names the actors of one build (for a test or an operator
    to find them: searchkit-build-<tag>-<part>)."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def stop_idle(self) -> bool:
        return True

    def claims(self, count: int) -> ChunkClaims:
        return RayClaims(_ClaimsActor.remote(count))  # type: ignore[attr-defined]

    def start(self, part: int, claims: ChunkClaims) -> PartWorker:
        if part >= MAX_PARTS:
            raise OSError(f"a build has at most {MAX_PARTS - 1} workers")
        actor = _PartActor.options(  # type: ignore[attr-defined]
            scheduling_strategy="SPREAD", name=f"searchkit-build-{self.tag}-{part}"
        ).remote()
        return _RayWorker(part, actor)


def cluster_cores() -> int:
    """The CPUs of the connected cluster, every node's together (at least 1)."""
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    return max(1, int(resources.get("CPU", 1)))


__all__ = ["RayClaims", "RayParts", "cluster_cores"]
