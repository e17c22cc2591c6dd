"""The shard map: the file in a sharded index's folder that says how many shards it has, where
they are, how documents are routed to them, and the statistics summed over all of them.

Layout of a sharded index folder:

    FOLDER/cluster.json        this map
    FOLDER/staging/            the single index the shards are cut from (the source of truth
                               for incremental runs: its manifest and documents)
    FOLDER/shards/000-xxxx/    one Whoosh index per shard (a shared path every node sees);
                               an incremental run writes a changed shard to a new folder
    FOLDER/shards/.../ordinals.npy  each document's number in the single-index order
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import IndexDamagedError
from ..store import atomic_write

SHARD_MAP = "cluster.json"
SHARDS_DIR = "shards"
STAGING_DIR = "staging"
ORDINALS = "ordinals.npy"
FORMAT = 2


def shard_of(doc_id: str, shards: int) -> int:
    """The shard that owns document `doc_id`: an article by its identity, a stub by its URL
    (each is the document's id), by a hash that every Python and every node agree on."""
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


@dataclass(frozen=True, slots=True)
class ShardStats:
    """What BM25F needs of one shard, or of all of them summed: the number of documents and
    the total length of every scored field."""

    doc_count: int
    field_lengths: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def total(parts: list[ShardStats]) -> ShardStats:
        lengths: dict[str, int] = {}
        for part in parts:
            for name, length in part.field_lengths.items():
                lengths[name] = lengths.get(name, 0) + length
        return ShardStats(sum(p.doc_count for p in parts), lengths)


@dataclass(frozen=True, slots=True)
class ShardMap:
    """A sharded index: `shards` shards, the folder (`paths`, relative to the index folder)
    and statistics of each and their sum, the schema fingerprint, the seeds folder it was
    built from; `next_ordinal` is the number the next document written gets in the
    single-index order, `staging` the generation of the staging index the shards hold."""

    shards: int
    schema: str
    seeds_dir: str
    per_shard: tuple[ShardStats, ...]
    built: str
    paths: tuple[str, ...]
    next_ordinal: int
    staging: str

    def path(self, folder: Path, number: int) -> Path:
        return folder / self.paths[number]

    @property
    def stats(self) -> ShardStats:
        return ShardStats.total(list(self.per_shard))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["format"] = FORMAT
        data["routing"] = "blake2b-64(document id) mod shards"
        data["storage"] = "shared path"
        return data


def new_shard_path(number: int, tag: str) -> str:
    """The folder, relative to the index folder, of a new version of shard `number`."""
    return f"{SHARDS_DIR}/{number:03d}-{tag}"


def is_sharded(folder: Path) -> bool:
    return (folder / SHARD_MAP).is_file()


def write_shard_map(folder: Path, shard_map: ShardMap) -> None:
    atomic_write(folder / SHARD_MAP, json.dumps(shard_map.to_json(), indent=1).encode())


def read_shard_map(folder: Path) -> ShardMap:
    """The shard map of `folder`; IndexDamagedError when it cannot be read."""
    path = folder / SHARD_MAP
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r} is not {FORMAT}")
        per_shard = tuple(
            ShardStats(int(s["doc_count"]), {k: int(v) for k, v in s["field_lengths"].items()})
            for s in data["per_shard"]
        )
        shard_map = ShardMap(
            int(data["shards"]),
            str(data["schema"]),
            str(data["seeds_dir"]),
            per_shard,
            str(data["built"]),
            tuple(str(p) for p in data["paths"]),
            int(data["next_ordinal"]),
            str(data["staging"]),
        )
    except FileNotFoundError:
        raise IndexDamagedError(str(folder), "has no shard map", str(path)) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexDamagedError(str(folder), f"cannot be read ({exc})", str(path)) from None
    if not len(per_shard) == len(shard_map.paths) == shard_map.shards:
        raise IndexDamagedError(str(folder), "lists the wrong number of shards", str(path))
    return shard_map
