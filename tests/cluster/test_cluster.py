"""A sharded index on a real two-node Ray cluster against the single-machine index: the same
documents, facet counts and order (only exact ties may differ), through the API and the CLI;
a shard that dies; what a default install never imports."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from index_helpers import FIXTURE_SEEDS, cli_env, run_cli

import searchkit
from searchkit.cluster.build import build_sharded
from searchkit.cluster.coordinator import ClusterIndex
from searchkit.cluster.errors import NotShardedError, ShardCountError
from searchkit.cluster.shardmap import shard_of
from searchkit.errors import DocumentNotFoundError

from .cluster_helpers import build_in_background, same_results
from .conftest import SINGLE

FIXTURE_NOW = datetime(2018, 5, 10, 12, 0, tzinfo=UTC)  # "last week" of the fixture seeds
QUERIES = [
    "trump",
    "north korea",
    '"white house"',
    "election OR senate",
    "police NOT shooting",
    "title:trump",
    "topic:politics",
    "",
    "trump korea summit",
    "zzzqqq nothing matches this",
    "date:2018-05",
    "you have to see this",
    "trumpp",  # did you mean
    "nort korea summitt",
    "trump korea summit kim",  # a short page filled with partial matches
    "date:2030",  # the dates empty the results
    "topic:politcs",  # a value no document has
]
# Whoosh scores a pattern's or fuzzy word's expansion by BM25 where one word of a segment
# matches it, at a constant score where several do: per segment, so per shard (README).
EXPANDED = ["climat*", "wedding~", "pres* trump"]
SEARCHES = [
    {},
    {"sort": "newest"},
    {"sort": "oldest"},
    {"sort": "recent-relevance"},
    {"page": 2, "per_page": 7},
    {"topics": ["Politics"]},
    {"providers": ["HuffPost"], "kind": "article"},
    {"since": "2018-04-01", "until": "2018-05-09"},
    {"topics": ["World News", "Politics"], "sort": "newest", "per_page": 25},
    {"match": "all"},
    {"per_page": 30, "sort": "recent-relevance"},
]


@pytest.mark.parametrize("shards", [1, 2, 3])
@pytest.mark.parametrize("corpus", ["fixture", "generated"])
def test_a_sharded_index_finds_what_the_single_index_finds(
    corpus: str,
    shards: int,
    single: dict[str, Path],
    sharded: dict[tuple[str, int], Path],
    cluster: str,
) -> None:
    now = lambda: FIXTURE_NOW  # noqa: E731
    with (
        searchkit.open_index(single[corpus], clock=now) as one,
        searchkit.open_index(sharded[corpus, shards], cluster=cluster, clock=now) as many,
    ):
        for query, options in _searches(corpus):
            same_results(one.search(query, **options), many.search(query, **options))


def _searches(corpus: str) -> list[tuple[str, dict[str, Any]]]:
    """Every query with every option on the fixture corpus; on the generated one, every
    query plainly and with one option in turn, and every option with two queries (the
    same code paths, in a third of the time)."""
    if corpus == "fixture":
        return [(q, o) for q in QUERIES for o in SEARCHES]
    pairs = [(q, {}) for q in QUERIES]
    pairs += [(q, SEARCHES[i % len(SEARCHES)]) for i, q in enumerate(QUERIES)]
    return pairs + [(q, o) for q in ("trump", "north korea summit") for o in SEARCHES]


@pytest.mark.parametrize("shards", [2, 3])
def test_documents_and_links_come_out_as_in_the_single_index(
    shards: int, single: dict[str, Path], sharded: dict[tuple[str, int], Path], cluster: str
) -> None:
    with (
        searchkit.open_index(single["generated"]) as one,
        searchkit.open_index(sharded["generated", shards], cluster=cluster) as many,
    ):
        assert many.topics() == one.topics()
        assert many.providers() == one.providers()
        hits = one.search("", per_page=200).hits
        stubs = [h.id for h in one.search("", kind="related", per_page=50).hits]
        assert any(one.get(i).cited_by for i in stubs)  # (the check below can fail)
        for doc_id in [h.id for h in hits[::7]] + stubs:
            assert many.get(doc_id) == one.get(doc_id)
            assert many.related(doc_id) == one.related(doc_id)
            assert many.cited_by(doc_id) == one.cited_by(doc_id)
        with pytest.raises(DocumentNotFoundError):
            many.get("no-such-document")
        for query in ("trump", "north korea", "nothing-matches-zzz"):
            assert many.explain(query) == one.explain(query)
        for doc_id in [h.id for h in hits[::23]]:
            assert many.similar(doc_id) == one.similar(doc_id)
        assert many.stats() == dataclasses.replace(one.stats(), **_where(many.stats()))


def test_the_cli_builds_and_searches_on_the_cluster(
    tmp_path: Path, single: dict[str, Path], cluster: str
) -> None:
    index = tmp_path / "index"
    built = run_cli(
        "index",
        "--cluster",
        cluster,
        "--shards",
        "2",
        "--seeds",
        FIXTURE_SEEDS,
        "--index",
        index,
        timeout=300,
    )
    assert built.code == 0, built.stderr
    assert "shards: 2" in built.stdout
    for args in (["trump"], ["north", "korea", "--sort", "newest", "--page", "2", "--limit", "3"]):
        one = run_cli("search", "--index", single["fixture"], "--json", *args)
        many = run_cli("search", "--index", index, "--cluster", cluster, "--json", *args)
        assert many.code == 0, many.stderr
        a, b = json.loads(one.stdout), json.loads(many.stdout)
        for answer in (a, b):
            answer.pop("took_ms")
        assert b == a
    again = run_cli(
        "index", "--cluster", cluster, "--shards", "3", "--seeds", FIXTURE_SEEDS, "--index", index
    )
    assert again.code == 1
    assert "--full" in again.stderr
    plain = run_cli("search", "--index", index, "trump")
    assert plain.code == 1
    assert "--cluster" in plain.stderr


def test_changing_the_number_of_shards_needs_a_full_build(sharded_copy: Path, cluster: str) -> None:
    with pytest.raises(ShardCountError):
        build_sharded(FIXTURE_SEEDS, sharded_copy, 3, address=cluster)
    done = build_sharded(FIXTURE_SEEDS, sharded_copy, 3, address=cluster, full=True)
    assert done.shard_map.shards == 3
    names = sorted(p.name[:3] for p in (sharded_copy / "shards").iterdir())
    assert names == ["000", "001", "002"]
    with pytest.raises(NotShardedError):
        searchkit.open_index(sharded_copy)


def test_a_shard_that_dies_is_named_in_partial_then_restarted(
    sharded: dict[tuple[str, int], Path], single: dict[str, Path], cluster: str
) -> None:
    import ray

    with (
        searchkit.open_index(single["fixture"]) as one,
        ClusterIndex(sharded["fixture", 3], cluster, timeout=20.0) as many,
    ):
        full = many.search("trump", per_page=200)
        ray.kill(many.actor(1), no_restart=False)  # Ray restarts it from its shard on disk
        during = many.search("trump", per_page=200)
        if during.partial is not None:  # it had not restarted yet: the rule for a missing shard
            assert during.partial == "shard 1 did not answer"
            others = [h.id for h in full.hits if shard_of(h.id, 3) != 1]
            assert [h.id for h in during.hits] == others
            assert during.total == len(others) < full.total
        for _ in range(30):  # it comes back: ask until it answers (each ask waits 20 s at most)
            after = many.search("trump", per_page=50)
            if after.partial is None:
                break
        same_results(one.search("trump", per_page=50), after)


def test_a_default_search_never_imports_ray(tmp_path: Path) -> None:
    code = (
        "import sys, searchkit\n"
        f"searchkit.build_index({str(FIXTURE_SEEDS)!r}, {str(tmp_path / 'index')!r})\n"
        f"with searchkit.open_index({str(tmp_path / 'index')!r}) as ix:\n"
        "    assert ix.search('trump').hits\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], env=cli_env(), check=True, timeout=120)


def test_a_cluster_that_cannot_be_reached_is_one_clear_error(sharded_copy: Path) -> None:
    found = run_cli("search", "--index", sharded_copy, "--cluster", "127.0.0.1:1", "trump")
    assert found.code == 1
    assert "the Ray cluster at 127.0.0.1:1: cannot be reached" in found.stderr
    assert "ray start --head" in found.stderr


def test_a_build_task_killed_midway_is_run_again_and_loses_nothing(
    corpora: dict[str, Path], single: dict[str, Path], cluster: str, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    builder, done = build_in_background(
        corpora["generated"], index, 2, address=cluster, options=SINGLE
    )
    killed = None
    while builder.is_alive() and killed is None:  # the worker running the staging build
        listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True)
        for line in listing.stdout.splitlines():
            pid, _, args = line.strip().partition(" ")
            # This test's cluster's worker only (its nodes are this process's children):
            # never another Ray cluster's task on the same machine.
            if args.startswith("ray::_staging_build") and _descends_from(int(pid), os.getpid()):
                os.kill(int(pid), signal.SIGKILL)
                killed = int(pid)
                break
        time.sleep(0.05)
    builder.join()
    assert killed is not None, "the build finished before its task could be killed"
    assert "error" not in done, done.get("error")
    with (
        searchkit.open_index(single["generated"]) as one,
        searchkit.open_index(index, cluster=cluster) as many,
    ):
        for query in ("", "trump", "north korea"):
            same_results(one.search(query, per_page=100), many.search(query, per_page=100))
        assert many.topics() == one.topics()


def _descends_from(pid: int, ancestor: int) -> bool:
    """Whether process `pid` is `ancestor` or one of its descendants (Linux /proc)."""
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rpartition(")")[2].split()[1])  # the parent, after the command name
    return False


def _where(stats: Any) -> dict[str, Any]:
    """What differs between two indexes of the same documents: where they are, their size."""
    return {"index": stats.index, "size_bytes": stats.size_bytes, "last_build": stats.last_build}


def test_the_shard_timeout_is_generous_and_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from searchkit.cluster.coordinator import DEFAULT_SHARD_TIMEOUT, shard_timeout
    from searchkit.cluster.errors import ClusterError

    monkeypatch.delenv("SEARCHKIT_SHARD_TIMEOUT", raising=False)
    assert shard_timeout(None) == DEFAULT_SHARD_TIMEOUT >= 60
    assert shard_timeout(2.5) == 2.5
    monkeypatch.setenv("SEARCHKIT_SHARD_TIMEOUT", "90")
    assert shard_timeout(None) == 90.0
    for bad in ("soon", "0", "-1", "inf"):
        monkeypatch.setenv("SEARCHKIT_SHARD_TIMEOUT", bad)
        with pytest.raises(ClusterError, match=r"SEARCHKIT_SHARD_TIMEOUT|shard timeout"):
            shard_timeout(None)


def test_the_repl_searches_a_sharded_index_and_says_what_it_cannot_do(
    tmp_path: Path, single: dict[str, Path], cluster: str
) -> None:
    """`searchkit repl --cluster`: the same session over the shards as over one index (line
    mode, as a script or a pipe drives it); :edit and :reindex say, in one line each, that a
    sharded index is updated with `searchkit index --cluster`."""
    index = tmp_path / "index"
    assert build_sharded(FIXTURE_SEEDS, index, 2, address=cluster, options=SINGLE).report.ok
    lines = "north korea\n:topic Politics\ntrump\n:next\n:show 11\n:stats\n"
    one = run_cli("repl", "--index", single["fixture"], input_text=lines)
    many = run_cli("repl", "--index", index, "--cluster", cluster, input_text=lines, timeout=300)
    assert (one.code, many.code) == (0, 0), many.stderr
    # The same hits, facets, pages, documents and links; :stats the same counts and dates
    # (the index folder, its size and build time are the sharded index's own).
    cut = "searchkit> :stats\n"
    assert cut in one.stdout and cut in many.stdout, many.stdout
    (before_one, stats_one), (before_many, stats_many) = (
        one.stdout.split(cut),
        many.stdout.split(cut),
    )
    took = re.compile(r" · \d+ ms")
    assert took.sub("", before_many) == took.sub("", before_one)
    assert "Cited by 3 articles" in before_many
    counted = ("documents", "topics", "providers", "published", "seeds")
    assert [line for line in stats_many.splitlines() if line.split()[0] in counted] == [
        line for line in stats_one.splitlines() if line.split()[0] in counted
    ]
    refused = run_cli(
        "repl", "--index", index, "--cluster", cluster, input_text="trump\n:edit 1\n:reindex\n"
    )
    assert refused.code == 2, refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, refused.stderr
    for command, line in zip((":edit", ":reindex"), errors, strict=True):
        assert line.startswith(f"error: {command} is not available on a cluster"), line
        assert f"searchkit index --cluster {cluster}" in line
    plain = run_cli("repl", "--index", index, input_text="trump\n")
    assert plain.code == 1 and "--cluster" in plain.stderr


def test_a_spent_time_budget_cuts_what_a_single_index_cuts(
    single: dict[str, Path], sharded: dict[tuple[str, int], Path], cluster: str
) -> None:
    spent = 1e-9  # spent at the first look
    with (
        searchkit.open_index(single["fixture"]) as one,
        searchkit.open_index(sharded["fixture", 2], cluster=cluster) as many,
    ):
        assert many.search("kroea").corrected == "korea"
        for query in ("kroea", "korea", "trump korea summit kim", "zzzqqq nothing"):
            a = one.search(query, time_budget=spent)
            b = many.search(query, time_budget=spent)
            assert (a.partial, a.corrected, a.suggestion, a.fallback) == (
                b.partial,
                b.corrected,
                b.suggestion,
                b.fallback,
            )
            assert [h.id for h in a.hits] == [h.id for h in b.hits]
        assert "spelling corrections" in (many.search("kroea", time_budget=spent).partial or "")
