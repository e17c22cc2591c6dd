"""Incremental runs on a sharded index: only the shards that own a changed document are
written, and the index holds what a full build of the same seeds holds."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
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


def test_updating_a_shard_links_its_segments_and_leaves_the_old_one_whole(
    tmp_path: Path, cluster: str
) -> None:
    """An incremental run writes a changed shard into a new folder: its segment files are
    hard links to the old ones (never written again), not copies, and the old folder, which
    searches may still read, is left as it was."""
    from searchkit.cluster.build import update_shard
    from searchkit.whoosh_seam.storage import open_index

    index = tmp_path / "index"
    assert build_sharded(FIXTURE_SEEDS, index, 1, address=cluster, options=SINGLE).report.ok
    old = read_shard_map(index).path(index, 0)
    before = {p.name: p.read_bytes() for p in old.iterdir() if p.is_file()}
    with open_index(old).searcher() as searcher:
        doc_id = next(iter(searcher.documents()))["id"]
    update_shard(old, tmp_path / "new", [(doc_id, None, -1)])  # one document removed
    for seg in old.glob("*.seg"):
        assert (tmp_path / "new" / seg.name).stat().st_ino == seg.stat().st_ino
    assert {p.name: p.read_bytes() for p in old.iterdir() if p.is_file()} == before
    with open_index(old).searcher() as searcher:
        count = searcher.doc_count()
    with open_index(tmp_path / "new").searcher() as searcher:
        assert searcher.doc_count() == count - 1
        assert not list(searcher.documents(id=doc_id))


def test_an_updated_shard_numbers_its_documents_as_reading_it_would(
    tmp_path: Path, cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update that merges no segment keeps every document's number and appends the added
    ones: their ordinals are carried over without reading the shard's stored documents, and
    come out as reading them would; an update that merges segments reads them."""
    import numpy as np

    from searchkit.cluster import build as cluster_build
    from searchkit.cluster.shardmap import ORDINALS
    from searchkit.records import from_stored
    from searchkit.whoosh_seam.storage import open_index

    read = []
    renumbered = cluster_build._renumbered
    monkeypatch.setattr(cluster_build, "_renumbered", lambda *a: read.append(1) or renumbered(*a))

    def by_id(shard: Path) -> dict[str, int]:
        ordinals = np.load(shard / ORDINALS)
        with open_index(shard).reader() as reader:
            return {f["id"]: int(ordinals[n]) for n, f in reader.iter_docs()}

    index = tmp_path / "index"
    assert build_sharded(FIXTURE_SEEDS, index, 1, address=cluster, options=SINGLE).report.ok
    shard = read_shard_map(index).path(index, 0)
    with open_index(shard).searcher() as searcher:
        stored = [searcher.stored_fields(d) for d in range(3)]
    top = int(np.load(shard / ORDINALS).max())
    for round_ in range(8):  # past five segments Whoosh merges the small ones
        fields = stored[round_ % 3]
        top += 1
        new = tmp_path / f"round-{round_}"
        cluster_build.update_shard(shard, new, [(fields["id"], from_stored(fields), top)])
        assert by_id(new) == {**by_id(shard), fields["id"]: top}
        shard = new
    assert 0 < len(read) < 8  # both ways were taken
