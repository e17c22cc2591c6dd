"""Incremental runs on a sharded index: only the shards that own a changed document are
written, and the index holds what a full build of the same seeds holds."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from index_helpers import FIXTURE_SEEDS

import searchkit
from searchkit.cluster.build import build_sharded
from searchkit.cluster.shardmap import read_shard_map

from .conftest import SINGLE


def _edit(seeds: Path) -> None:
    """Change one seed's title, add a seed of a new article, remove a seed that cites stubs."""
    files = sorted(seeds.iterdir())
    changed = files[3]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace('\ntitle: "', '\ntitle: "Changed ', 1), encoding="utf-8")
    added = files[5].read_text(encoding="utf-8").replace("https://www.", "https://added.www.")
    (seeds / "zz-added.md").write_text(added, encoding="utf-8")
    removed = next(f for f in files[10:] if "related:" in f.read_text(encoding="utf-8"))
    removed.unlink()


def _holdings(ix: object) -> tuple[object, ...]:
    """What an index holds, whatever the scores: every document and every facet count."""
    every = ix.search("", per_page=1000, facet_limit=1000)  # type: ignore[attr-defined]
    ids = sorted(h.id for h in every.hits)
    docs = [ix.get(i) for i in ids]  # type: ignore[attr-defined]
    facets = {
        name: Counter({v.value: v.count for v in f.values}) for name, f in every.facets.items()
    }
    return (every.total, ids, docs, facets, ix.topics(), ix.providers())  # type: ignore[attr-defined]


def test_an_incremental_run_writes_only_the_shards_that_own_a_change(
    tmp_path: Path, cluster: str
) -> None:
    seeds = Path(shutil.copytree(FIXTURE_SEEDS, tmp_path / "seeds"))
    index = tmp_path / "index"
    first = build_sharded(seeds, index, 3, address=cluster, options=SINGLE)
    assert first.written == (0, 1, 2)
    nothing = build_sharded(None, index, None, address=cluster, options=SINGLE)
    assert (nothing.written, nothing.report.full) == ((), False)
    assert read_shard_map(index).paths == first.shard_map.paths
    _edit(seeds)
    done = build_sharded(None, index, None, address=cluster, options=SINGLE)
    assert not done.report.full
    assert (done.report.added, done.report.updated, done.report.removed) == (1, 1, 1)
    assert 0 < len(done.written) <= 3
    kept = set(range(3)) - set(done.written)
    assert all(done.shard_map.paths[n] == first.shard_map.paths[n] for n in kept)
    assert sorted(p.name for p in (index / "shards").iterdir()) == sorted(
        Path(p).name for p in done.shard_map.paths
    )
    rebuilt = tmp_path / "single"
    assert searchkit.build_index(seeds, rebuilt, options=SINGLE).ok
    with (
        searchkit.open_index(rebuilt) as one,
        searchkit.open_index(index, cluster=cluster) as many,
    ):
        assert _holdings(many) == _holdings(one)
        assert many.search("Changed").total == one.search("Changed").total > 0
        assert many.stats().seed_files == one.stats().seed_files
