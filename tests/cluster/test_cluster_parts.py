"""The staging build of a sharded index parses and indexes its seeds on every node: its
workers are Ray actors (searchkit/cluster/parts.py), and one that dies loses nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from index_helpers import stored_docs

import searchkit
from searchkit.build import BuildOptions
from searchkit.cluster.build import build_sharded
from searchkit.cluster.parts import RayParts

from .cluster_helpers import build_in_background

ray = pytest.importorskip("ray")


def _segments(index: Path) -> list[Path]:
    return sorted((index / "staging").glob("store-*/MAIN_*.seg"))


def _same_as_single(index: Path, single: Path, cluster: str) -> None:
    """The staging index holds exactly the single index's documents, and the shards find
    what it finds, with the same facet counts. (The order of equal scores follows the order
    the processes indexed the seeds in, which claims make vary from build to build; the
    other cluster tests compare orders, on builds in one process.)"""
    assert stored_docs(index / "staging") == stored_docs(single)
    with (
        searchkit.open_index(single) as one,
        searchkit.open_index(index, cluster=cluster) as many,
    ):
        for query in ("", "trump", "north korea", "topic:politics"):
            a, b = one.search(query, per_page=100), many.search(query, per_page=100)
            assert (a.total, a.facets, a.date_span) == (b.total, b.facets, b.date_span)
            if query:  # (every document: its count and facets say enough)
                assert _all_ids(one, query) == _all_ids(many, query)
        assert many.topics() == one.topics()
        assert many.providers() == one.providers()


def _all_ids(ix: searchkit.SearchIndex, query: str) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        results = ix.search(query, per_page=100, page=page)
        ids += [h.id for h in results.hits]
        if page >= results.pages:
            return sorted(ids)
        page += 1


def test_every_node_parses_and_indexes_a_share_of_the_seeds(
    corpora: dict[str, Path], single: dict[str, Path], cluster: str, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    done = build_sharded(corpora["generated"], index, 2, address=cluster)
    assert done.report.ok and not done.report.notes
    # As many processes as the cluster has cores: the staging task and one part actor,
    # which (one core a node, the task holding one) runs on the other node. Each wrote a
    # segment of the staging index.
    assert len(_segments(index)) == 2
    _same_as_single(index, single["generated"], cluster)


def test_a_part_actor_killed_midway_costs_time_not_documents(
    corpora: dict[str, Path], single: dict[str, Path], cluster: str, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    parts = RayParts(tag=f"killed-{time.monotonic_ns()}")
    builder, done = build_in_background(
        corpora["generated"], index, 2, address=cluster, options=BuildOptions(parts=parts)
    )
    killed = False
    # Once the actor has kept its first related entry it has claimed a chunk: killing it
    # then leaves work the build must do again.
    spill = "build-*.tmp/staging/store-*/build-*.tmp/spill-1"
    while builder.is_alive() and not killed:
        if any(index.glob(spill)):
            ray.kill(ray.get_actor(f"searchkit-build-{parts.tag}-1"))
            killed = True
        time.sleep(0.01)
    builder.join()
    assert killed, "the build finished before its part actor could be killed"
    assert "error" not in done, done.get("error")
    notes = done["result"].report.notes
    assert any("stopped early" in note for note in notes), notes
    _same_as_single(index, single["generated"], cluster)


def test_more_processes_than_the_cluster_has_cores_still_build_everything(
    corpora: dict[str, Path], single: dict[str, Path], cluster: str, tmp_path: Path
) -> None:
    """Five processes asked of a cluster of two cores: the build ends (Ray lends the build
    task's core to a part actor while the task waits on it), with every document."""
    index = tmp_path / "index"
    options = BuildOptions(jobs=5)
    done = build_sharded(corpora["fixture"], index, 2, address=cluster, options=options)
    assert done.report.ok and not done.report.notes
    _same_as_single(index, single["fixture"], cluster)
