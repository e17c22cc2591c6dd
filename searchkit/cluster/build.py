"""Building a sharded index on a Ray cluster, fully or incrementally.

A full build (the first, `full`, a new number of shards):
1. One Ray task runs searchkit's own full build (build/) over the whole seeds folder into a
   staging index: seeds are parsed, duplicates and stubs decided, topics inherited and links
   recorded exactly as a single build does, so a sharded index holds the same documents. Its
   workers are Ray actors spread over the nodes (parts.py): every node parses and indexes a
   share of the seeds, claimed a chunk at a time, and writes a segment of the staging index.
2. S Ray tasks, spread over the nodes, each write one shard: the staging index's documents
   routed to it (shardmap.shard_of: articles by identity, stubs by URL), rebuilt from their
   stored fields (records.from_stored), in the staging index's order, and their statistics.
3. The driver switches the staging index and the shards in, and writes the shard map with
   the summed statistics.

An incremental build runs searchkit's own incremental build on the staging index, in one Ray
task, which returns the documents it rewrote (build_index's on_writes): the documents that
changed seeds own or cite. Each shard that owns one of them is copied to a new folder by a
Ray task, which deletes and adds them there; the shard map, written last, switches to the
new folders and statistics. Untouched shards are not read.

Seeds and shards live on a path every node sees (a shared file system): the tasks read the
seeds and write the shards there; only file names and changed documents travel through Ray.
A task that dies is retried by Ray (RETRIES); each task writes into a folder of its own that
a retry starts again, so no document is lost or written twice.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import ray

from .. import store as st
from ..build import BuildOptions, build_index
from ..errors import IndexDamagedError
from ..records import IndexDocument, from_stored, to_fields
from ..reports import IndexReport
from ..schema import build_schema, schema_fingerprint
from ..whoosh_seam.storage import create_index, open_index, segment_layout
from ..whoosh_seam.toc import latest_generation
from ..whoosh_seam.writing import abandon, commit, segment_writer
from .errors import NotShardedError, ShardCountError
from .parts import RayParts, cluster_cores
from .runtime import connect
from .shardmap import (
    ORDINALS,
    STAGING_DIR,
    ShardMap,
    ShardStats,
    is_sharded,
    new_shard_path,
    read_shard_map,
    shard_of,
    write_shard_map,
)

RETRIES = 3  # times Ray runs a build task again after its worker or node died
WRITER_MB = 64

# A document to write to a shard: (id, the document or None to delete it, its ordinal).
Write = tuple[str, IndexDocument | None, int]


@dataclass(frozen=True, slots=True)
class ShardedReport:
    """What a sharded build did: the staging build's report, the shard map written, and the
    shards it wrote (all of them after a full build; those owning a change otherwise)."""

    report: IndexReport
    shard_map: ShardMap
    written: tuple[int, ...] = ()


def build_sharded(
    seeds_dir: str | Path | None,
    index_dir: str | Path,
    shards: int | None,
    *,
    address: str | None,
    full: bool = False,
    options: BuildOptions | None = None,
) -> ShardedReport:
    """Build or update the sharded index of `shards` shards at `index_dir` from `seeds_dir`
    on the Ray cluster at `address`. Both folders must be paths every node of the cluster
    sees. An existing index is updated incrementally unless `full`; changing its number of
    shards needs `full` (`shards` None: as many as it has, or 1 for a new index;
    `seeds_dir` None: the folder it was built from, or ./seeds)."""
    folder = Path(index_dir).absolute()
    if st.current_store(folder) is not None:
        raise NotShardedError(
            str(folder), "holds a single-machine index", "build the sharded one in another folder"
        )
    seeds = Path(seeds_dir or "seeds").absolute()
    old: ShardMap | None = None
    if is_sharded(folder):
        try:
            old = read_shard_map(folder)
        except IndexDamagedError:
            if not full:
                raise
        if old is not None:
            if seeds_dir is None:
                seeds = Path(old.seeds_dir)
            if shards is None:
                shards = old.shards
            elif old.shards != shards and not full:
                raise ShardCountError(str(folder), old.shards, shards)
    shards = shards or 1
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    connect(address)
    folder.mkdir(parents=True, exist_ok=True)
    with st.write_lock(folder):
        if old is not None and not full and old.shards == shards:
            done = _update(folder, seeds, old, options)
            if done is not None:
                return done
        return _full(folder, seeds, shards, old, options)


def _full(
    folder: Path, seeds: Path, shards: int, old: ShardMap | None, options: BuildOptions | None
) -> ShardedReport:
    """Parse every seed into a new staging index and cut it into `shards` shards."""
    tag = uuid.uuid4().hex[:8]
    work = folder / f"build-{tag}.tmp"
    try:
        staging = work / STAGING_DIR
        report: IndexReport = ray.get(_staging_build.remote(str(seeds), str(staging), options))
        return _cut(folder, staging, seeds, shards, old, report, tag, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cut(
    folder: Path,
    staging: Path,
    seeds: Path,
    shards: int,
    old: ShardMap | None,
    report: IndexReport,
    tag: str,
    work: Path,
) -> ShardedReport:
    """Write every shard from the index `staging`, then switch to them (and to `staging`,
    when it is not the index folder's own)."""
    paths = tuple(new_shard_path(i, tag) for i in range(shards))
    parts = ray.get(
        [
            _shard_build.remote(str(staging), str(folder / paths[i]), i, shards)
            for i in range(shards)
        ]
    )
    own = folder / STAGING_DIR
    if staging != own:
        if own.exists():
            own.rename(work / "old-staging")
        staging.rename(own)
    shard_map = ShardMap(
        shards=shards,
        schema=schema_fingerprint(),
        seeds_dir=str(seeds),
        per_shard=tuple(stats for stats, _ in parts),
        built=_now(),
        paths=paths,
        next_ordinal=max((top for _, top in parts), default=-1) + 1,
        staging=staging_stamp(own),
    )
    write_shard_map(folder, shard_map)
    if old is not None:
        _remove_unused(folder, old, shard_map)
    report = replace(report, index_dir=str(folder))
    return ShardedReport(report, shard_map, tuple(range(shards)))


def _update(
    folder: Path, seeds: Path, old: ShardMap, options: BuildOptions | None
) -> ShardedReport | None:
    """Bring the staging index up to date and apply what it rewrote to the shards that own
    it; None when only a full build will do (the staging index is missing, or was changed
    by a run whose shards were not written, or rebuilt itself)."""
    staging = folder / STAGING_DIR
    if st.current_store(staging) is None or staging_stamp(staging) != old.staging:
        report = None
    else:
        report, writes = ray.get(_staging_update.remote(str(seeds), str(staging), options))
    if report is None or report.full:
        tag = uuid.uuid4().hex[:8]
        work = folder / f"build-{tag}.tmp"
        try:
            if report is None:  # the shards do not hold what the staging index holds
                report = ray.get(
                    _staging_build.remote(str(seeds), str(work / STAGING_DIR), options)
                )
                return _cut(folder, work / STAGING_DIR, seeds, old.shards, old, report, tag, work)
            return _cut(folder, staging, seeds, old.shards, old, report, tag, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    routed: dict[int, list[Write]] = {}
    ordinal = old.next_ordinal
    for doc_id, doc in writes.items():
        routed.setdefault(shard_of(doc_id, old.shards), []).append((doc_id, doc, ordinal))
        ordinal += doc is not None
    tag = uuid.uuid4().hex[:8]
    paths = list(old.paths)
    per_shard = list(old.per_shard)
    numbers = sorted(routed)
    new_paths = {n: new_shard_path(n, tag) for n in numbers}
    try:
        stats = ray.get(
            [
                _shard_update.remote(str(folder / paths[n]), str(folder / new_paths[n]), routed[n])
                for n in numbers
            ]
        )
    except BaseException:
        for path in new_paths.values():
            shutil.rmtree(folder / path, ignore_errors=True)
        raise
    for n, part in zip(numbers, stats, strict=True):
        paths[n], per_shard[n] = new_paths[n], part
    shard_map = replace(
        old,
        seeds_dir=str(seeds),
        per_shard=tuple(per_shard),
        built=_now(),
        paths=tuple(paths),
        next_ordinal=ordinal,
        staging=staging_stamp(staging),
    )
    write_shard_map(folder, shard_map)
    _remove_unused(folder, old, shard_map)
    return ShardedReport(replace(report, index_dir=str(folder)), shard_map, tuple(numbers))


def staging_stamp(staging: Path) -> str:
    """Which state of the staging index this is: its store and generation."""
    store = st.require_store(staging)
    return f"{store.name}:{latest_generation(store)}"


def _remove_unused(folder: Path, old: ShardMap, new: ShardMap) -> None:
    """Remove the shard folders of `old` that `new` no longer uses. (A searcher that has one
    open keeps reading its files.)"""
    for path in set(old.paths) - set(new.paths):
        shutil.rmtree(folder / path, ignore_errors=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@ray.remote(max_retries=RETRIES, num_cpus=1)
def _staging_build(seeds: str, staging: str, options: BuildOptions | None) -> IndexReport:
    """Decide every document once, as a single build does, into the staging index, its
    seeds parsed and indexed by this task and part actors on every node (parts.py): as
    many processes as the cluster has cores (or options.jobs)."""
    shutil.rmtree(staging, ignore_errors=True)  # what a failed try left
    options = options or BuildOptions()
    jobs = options.jobs if options.jobs is not None else cluster_cores()
    if options.parts is None:
        options = replace(options, parts=RayParts(), jobs=jobs)
    return build_index(seeds, staging, full=True, options=options)


@ray.remote(max_retries=RETRIES, num_cpus=1)
def _staging_update(
    seeds: str, staging: str, options: BuildOptions | None
) -> tuple[IndexReport, dict[str, IndexDocument | None]]:
    """The staging index's incremental build (searchkit's own, which is safe to run again
    after a failed try), and the documents it rewrote."""
    writes: dict[str, IndexDocument | None] = {}

    def keep(written: Mapping[str, IndexDocument | None]) -> None:
        writes.update(written)

    extra: dict[str, Any] = {} if options is None else {"options": options}
    return build_index(seeds, staging, on_writes=keep, **extra), writes


@ray.remote(max_retries=RETRIES, num_cpus=1, scheduling_strategy="SPREAD")
def _shard_build(base: str, out: str, number: int, shards: int) -> tuple[ShardStats, int]:
    return write_shard(Path(base), Path(out), number, shards)


@ray.remote(max_retries=RETRIES, num_cpus=1, scheduling_strategy="SPREAD")
def _shard_update(old: str, out: str, writes: list[Write]) -> ShardStats:
    return update_shard(Path(old), Path(out), writes)


def write_shard(base: Path, out: Path, number: int, shards: int) -> tuple[ShardStats, int]:
    """Write shard `number` of `shards` at `out`: the documents of the index `base` routed to
    it, in `base`'s order, each with its number in `base` (ORDINALS); its statistics and its
    largest ordinal (-1: none)."""
    shutil.rmtree(out, ignore_errors=True)  # what a failed try left
    out.mkdir(parents=True)
    source = open_index(st.require_store(base))
    writer = segment_writer(create_index(out, build_schema()), limitmb=WRITER_MB)
    ordinals: list[int] = []
    try:
        with source.reader() as reader:
            for docnum, stored in reader.iter_docs():
                if shard_of(stored["id"], shards) == number:
                    writer.add_document(**to_fields(from_stored(stored)))
                    ordinals.append(docnum)
        commit(writer)
    except BaseException:
        abandon(writer)
        raise
    np.save(out / ORDINALS, np.array(ordinals, dtype=np.int64))
    return shard_stats(out), max(ordinals, default=-1)


def update_shard(old: Path, out: Path, writes: list[Write]) -> ShardStats:
    """Copy the shard at `old` to `out` and apply `writes` there: each id's document
    deleted, then added again (with its new ordinal) unless it was removed."""
    shutil.rmtree(out, ignore_errors=True)  # what a failed try left
    shutil.copytree(old, out, copy_function=_link_segment)
    before = segment_layout(open_index(out))
    writer = segment_writer(open_index(out), limitmb=WRITER_MB)
    added = []
    try:
        for doc_id, doc, ordinal in writes:
            writer.delete_by_term("id", doc_id)
            if doc is not None:
                writer.add_document(**to_fields(doc))
                added.append(ordinal)
        commit(writer)
    except BaseException:
        abandon(writer)
        raise
    after = segment_layout(open_index(out))
    kept = sum(n for _, n in before or ())
    if (
        before is not None
        and after is not None
        and after[: len(before)] == before
        and sum(n for _, n in after[len(before) :]) == len(added)
    ):
        # No segment was merged: the documents kept their numbers, and the added ones follow
        # in the order they were added. The shard's stored documents need not be read.
        old_ordinals = np.load(out / ORDINALS)[:kept]
        by_docnum = np.concatenate([old_ordinals, np.array(added, dtype=np.int64)])
    else:
        by_docnum = _renumbered(out, _ordinals_by_id(old), writes)
    np.save(out / ORDINALS, by_docnum)
    return shard_stats(out)


def _renumbered(shard: Path, ordinals: dict[str, int], writes: list[Write]) -> Any:
    """The ordinal of every document of `shard` by its number, read from its stored ids
    (after a merge renumbered them), given the ordinals before `writes` were applied."""
    for doc_id, doc, ordinal in writes:
        ordinals.pop(doc_id, None)
        if doc is not None:
            ordinals[doc_id] = ordinal
    ix: Any = open_index(shard)
    with ix.reader() as reader:
        by_docnum = np.full(reader.doc_count_all(), -1, dtype=np.int64)
        for docnum, stored in reader.iter_docs():
            by_docnum[docnum] = ordinals[stored["id"]]
    return by_docnum


def _link_segment(src: str, dst: str) -> None:
    """Copy a shard's file for an update: a segment file (never written again once made:
    deletions go to the table of contents) is linked, not copied, where the file system
    allows it, so that updating a shard does not copy its gigabytes; the rest is copied."""
    if src.endswith(".seg"):
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # another file system, or no hard links: a copy
    shutil.copy2(src, dst)


def _ordinals_by_id(shard: Path) -> dict[str, int]:
    ordinals = np.load(shard / ORDINALS)
    ix: Any = open_index(shard)
    with ix.reader() as reader:
        return {stored["id"]: int(ordinals[d]) for d, stored in reader.iter_docs()}


def shard_stats(store: Path) -> ShardStats:
    """The document count and scored field lengths of the shard at `store`."""
    ix: Any = open_index(store)
    with ix.reader() as reader:
        lengths = {name: int(reader.field_length(name)) for name in ix.schema.scorable_names()}
        return ShardStats(int(reader.doc_count_all()), lengths)


__all__ = ["ShardedReport", "build_sharded", "update_shard", "write_shard"]
