"""A sharded full build on a Ray cluster.

1. One Ray task runs searchkit's own full build (build/) over the whole seeds folder into a
   staging index: seeds are parsed, duplicates and stubs decided, topics inherited and links
   recorded exactly as a single build does, so a sharded index holds the same documents.
2. S Ray tasks, spread over the nodes, each write one shard: the staging index's documents
   routed to it (shardmap.shard_of: articles by identity, stubs by URL), rebuilt from their
   stored fields (records.from_stored), in the staging index's order, and their statistics.
3. The driver switches the shards in and writes the shard map with the summed statistics.

Seeds and shards live on a path every node sees (a shared file system): the tasks read the
seeds and write the shards there, and nothing but file names travel through Ray. A task that
dies is retried by Ray (RETRIES); a shard task writes into a folder of its own that a retry
starts again, so no document is lost or written twice.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import ray

from .. import store as st
from ..build import BuildOptions, build_index
from ..records import from_stored, to_fields
from ..reports import IndexReport
from ..schema import build_schema, schema_fingerprint
from ..whoosh_seam.storage import create_index, open_index
from ..whoosh_seam.writing import abandon, commit, segment_writer
from .errors import NotShardedError, ShardCountError
from .runtime import connect
from .shardmap import (
    ORDINALS,
    SHARDS_DIR,
    ShardMap,
    ShardStats,
    is_sharded,
    read_shard_map,
    shard_dir,
    shard_of,
    write_shard_map,
)

RETRIES = 3  # times Ray runs a build task again after its worker or node died


@dataclass(frozen=True, slots=True)
class ShardedReport:
    """What a sharded build did: the staging build's report and the shard map written."""

    report: IndexReport
    shard_map: ShardMap


def build_sharded(
    seeds_dir: str | Path | None,
    index_dir: str | Path,
    shards: int | None,
    *,
    address: str | None,
    full: bool = False,
    options: BuildOptions | None = None,
) -> ShardedReport:
    """Build a sharded index of `shards` shards at `index_dir` from `seeds_dir` on the Ray
    cluster at `address`. Both folders must be paths every node of the cluster sees. Every
    build is a full build; changing the number of shards of an index needs `full`
    (`shards` None: as many as it has, or 1 for a new index; `seeds_dir` None: the folder it
    was built from, or ./seeds)."""
    folder = Path(index_dir).absolute()
    if st.current_store(folder) is not None:
        raise NotShardedError(
            str(folder), "holds a single-machine index", "build the sharded one in another folder"
        )
    seeds = Path(seeds_dir or "seeds").absolute()
    if is_sharded(folder):
        shard_map = read_shard_map(folder)
        existing = shard_map.shards
        if seeds_dir is None:
            seeds = Path(shard_map.seeds_dir)
        if shards is None:
            shards = existing
        elif existing != shards and not full:
            raise ShardCountError(str(folder), existing, shards)
    if shards is None:
        shards = 1
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    connect(address)
    folder.mkdir(parents=True, exist_ok=True)
    with st.write_lock(folder):
        work = folder / f"build-{uuid.uuid4().hex[:8]}.tmp"
        try:
            base = work / "base"
            report: IndexReport = ray.get(_base_build.remote(str(seeds), str(base), options))
            parts = ray.get(
                [
                    _shard_build.remote(str(base), str(work / SHARDS_DIR / f"{i:03d}"), i, shards)
                    for i in range(shards)
                ]
            )
            shard_map = ShardMap(
                shards=shards,
                schema=schema_fingerprint(),
                seeds_dir=str(seeds),
                per_shard=tuple(parts),
                built=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            old = folder / SHARDS_DIR
            if old.exists():
                old.rename(work / "old")
            (work / SHARDS_DIR).rename(old)
            write_shard_map(folder, shard_map)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    # (what the staging build reports, of the index the shards make up)
    return ShardedReport(replace(report, index_dir=str(folder)), shard_map)


@ray.remote(max_retries=RETRIES, num_cpus=1)
def _base_build(seeds: str, base: str, options: BuildOptions | None) -> IndexReport:
    """Decide every document once, as a single build does, into the staging index `base`."""
    shutil.rmtree(base, ignore_errors=True)  # what a failed try left
    if options is None:
        return build_index(seeds, base, full=True)
    return build_index(seeds, base, full=True, options=options)


@ray.remote(max_retries=RETRIES, num_cpus=1, scheduling_strategy="SPREAD")
def _shard_build(base: str, out: str, number: int, shards: int) -> ShardStats:
    return write_shard(Path(base), Path(out), number, shards)


def write_shard(base: Path, out: Path, number: int, shards: int) -> ShardStats:
    """Write shard `number` of `shards` at `out`: the documents of the index `base` routed to
    it, in `base`'s order, each with its number in `base` (ORDINALS); its statistics."""
    shutil.rmtree(out, ignore_errors=True)  # what a failed try left
    out.mkdir(parents=True)
    source = open_index(st.require_store(base))
    writer = segment_writer(create_index(out, build_schema()), limitmb=64)
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
    return shard_stats(out)


def shard_stats(store: Path) -> ShardStats:
    """The document count and scored field lengths of the shard at `store`."""
    ix: Any = open_index(store)
    with ix.reader() as reader:
        lengths = {name: int(reader.field_length(name)) for name in ix.schema.scorable_names()}
        return ShardStats(int(reader.doc_count_all()), lengths)


__all__ = ["ShardedReport", "build_sharded", "shard_dir", "write_shard"]
