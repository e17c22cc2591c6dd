"""A real Ray cluster for the cluster tests: two nodes on this machine (ray.cluster_utils),
one CPU each and a small object store, started once per test run and shut down after it.
The sharded indexes the tests read are built once per session too."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")

from index_helpers import FIXTURE_SEEDS  # noqa: E402

import searchkit  # noqa: E402
from searchkit.build import BuildOptions  # noqa: E402
from searchkit.cluster.build import build_sharded  # noqa: E402

from .cluster_helpers import generated_seeds  # noqa: E402

OBJECT_STORE = 80 * 1024 * 1024  # bytes per node: Ray's floor is 75 MiB
SINGLE = BuildOptions(jobs=1)  # a single index without a multi-process build's dead rows


@pytest.fixture(scope="session")
def cluster() -> Iterator[str]:
    """The address of a two-node Ray cluster on this machine, this process its driver."""
    nodes = cluster_utils.Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "object_store_memory": OBJECT_STORE},
    )
    nodes.add_node(num_cpus=1, object_store_memory=OBJECT_STORE)
    nodes.wait_for_nodes()
    ray.init(address=nodes.address, log_to_driver=False, include_dashboard=False)
    try:
        yield str(nodes.address)
    finally:
        ray.shutdown()
        nodes.shutdown()


@pytest.fixture(scope="session")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The seeds folders compared: the fixture seeds, and a few thousand generated from them."""
    folder = tmp_path_factory.mktemp("generated")
    return {"fixture": FIXTURE_SEEDS, "generated": generated_seeds(FIXTURE_SEEDS, folder, 12)}


@pytest.fixture(scope="session")
def single(corpora: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A single-machine index of each corpus."""
    out = {}
    for name, seeds in corpora.items():
        out[name] = tmp_path_factory.mktemp(f"single-{name}") / "index"
        assert searchkit.build_index(seeds, out[name], options=SINGLE).ok
    return out


@pytest.fixture(scope="session")
def sharded(
    cluster: str, corpora: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, int], Path]:
    """A sharded index of each corpus with 1, 2 and 3 shards, built on the cluster."""
    out = {}
    for name, seeds in corpora.items():
        for shards in (1, 2, 3):
            index_dir = tmp_path_factory.mktemp(f"sharded-{name}-{shards}") / "index"
            done = build_sharded(seeds, index_dir, shards, address=cluster, options=SINGLE)
            assert done.report.ok, done.report
            out[name, shards] = index_dir
    return out


@pytest.fixture
def sharded_copy(sharded: dict[tuple[str, int], Path], tmp_path: Path) -> Path:
    """A private copy of the fixture corpus's 2-shard index."""
    return Path(shutil.copytree(sharded["fixture", 2], tmp_path / "index"))
