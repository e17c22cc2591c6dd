"""The other Ray the cluster tests start: a single-node one, `ray.init` with 2 CPUs, as a
user without a cluster would start it. A process can drive one Ray only, and this one drives
the two-node cluster of conftest.py, so the single-node Ray runs in a process of its own,
started once per test run by this module's one test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from index_helpers import FIXTURE_SEEDS, cli_env

pytest.importorskip("ray")

SCRIPT = r"""
import json, sys
import ray
ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
import searchkit
from searchkit.cluster.build import build_sharded

seeds, index, single = sys.argv[1:4]
done = build_sharded(seeds, index, 2, address=None)  # the Ray this process started
found = {"ok": done.report.ok, "notes": list(done.report.notes), "differ": []}
with searchkit.open_index(single) as one, searchkit.open_index(index, cluster="auto") as many:
    for query in ("", "trump", "north korea", "topic:politics", "kroea"):
        a, b = one.search(query, per_page=100), many.search(query, per_page=100)
        same = all(getattr(a, k) == getattr(b, k) for k in ("total", "facets", "corrected"))
        if query and same:
            same = {h.id for h in a.hits} == {h.id for h in b.hits} or a.total > 100
        if not same:
            found["differ"].append(query)
    found["topics"] = many.topics() == one.topics()
    assert b.partial is None
ray.shutdown()
print(json.dumps(found))
"""


def test_a_single_node_ray_builds_and_searches_as_one_index(
    single: dict[str, Path], tmp_path: Path
) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            str(FIXTURE_SEEDS),
            str(tmp_path / "index"),
            str(single["fixture"]),
        ],
        capture_output=True,
        text=True,
        env={k: v for k, v in cli_env().items() if k != "RAY_ADDRESS"},  # a Ray of its own
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found == {"ok": True, "notes": [], "differ": [], "topics": True}
