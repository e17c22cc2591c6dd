"""The statistics of a sharded index: SearchIndex.stats() for a cluster."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

from .. import store as st
from ..records import ARTICLE
from ..search.facets import from_long
from ..stats import IndexStats, index_stats
from .shardmap import STAGING_DIR, read_shard_map


def cluster_stats(
    index_dir: Path, counts: dict[str, Counter[str]], spans: list[tuple[int, int]]
) -> IndexStats:
    """The stats of the sharded index at `index_dir`: the documents, topics, providers and
    dates counted over the shards (`counts`: every shard's facet counts summed; `spans`:
    each shard's first and last dates), the seed files and their problems from the staging
    index's manifest, the size of the shards and the staging index together."""
    staged = index_stats(index_dir / STAGING_DIR)
    shard_map = read_shard_map(index_dir)
    kinds = counts.get("kind", Counter())
    documents = sum(kinds.values())
    articles = kinds[ARTICLE]
    size = sum(st.store_size(shard_map.path(index_dir, n)) for n in range(shard_map.shards))
    return dataclasses.replace(
        staged,
        documents=documents,
        articles=articles,
        related=documents - articles,
        topics=len({t.casefold() for t in counts.get("topics", ())}),
        providers=len({p.casefold() for p in counts.get("provider", ())}),
        earliest=from_long(min(s[0] for s in spans)) if spans else None,
        latest=from_long(max(s[1] for s in spans)) if spans else None,
        index=str(index_dir.resolve()),
        size_bytes=staged.size_bytes + size,
    )
