"""A SearchIndex stays correct while the index changes under it: searches from several threads
during incremental and full rebuilds, and an open index that sees each rebuild without being
reopened, its counts still those of the seeds on disk."""

from __future__ import annotations

import threading
import traceback
from pathlib import Path
from typing import Any

import searchkit
from searchkit import SearchIndex, SearchResults

from .search_helpers import FIXTURE_SEEDS, build, utc, write_seed
from .search_oracle import facet_counts, load_docs, seed_files

THREADS = 4
MIN_SEARCHES = 50
SEARCHES: list[tuple[str, dict[str, Any]]] = [
    ("*", {}),
    ("trump", {}),
    ("korea OR coachella", {}),
    ("trump", {"topics": ["Politics"]}),
    ("*", {"kind": "related"}),
    ("date:2018", {}),
    ("*", {"since": "2018-05", "until": "2018-05"}),
    ("zyzzyva trump", {}),
    ("kroea", {}),
    ("white house", {"sort": "newest"}),
]


def copy_seeds(dst: Path, count: int) -> list[str]:
    names = seed_files(FIXTURE_SEEDS)[:count]
    dst.mkdir(parents=True)
    for name in names:
        (dst / name).write_bytes((FIXTURE_SEEDS / name).read_bytes())
    return names


def check_consistent(results: SearchResults, options: dict[str, Any], per_page: int) -> None:
    assert len(results.hits) == min(per_page, results.total)
    assert [h.rank for h in results.hits] == list(range(1, len(results.hits) + 1))
    assert len({h.id for h in results.hits}) == len(results.hits)
    kinds = {v.value: v.count for v in results.facets["kind"].values}
    if "kind" in options:
        assert kinds.get(options["kind"], 0) == results.total
    else:
        assert sum(kinds.values()) == results.total
    if not {"since", "until"} & set(options):
        assert sum(v.count for v in results.facets["published"].values) <= results.total
    for topic in options.get("topics", ()):
        assert all(topic in h.topics for h in results.hits)
        selected = [v for v in results.facets["topics"].values if v.selected]
        assert [v.value for v in selected] == [topic] or results.total == 0


def assert_matches_the_seeds(index: SearchIndex, seeds: Path) -> None:
    model = load_docs(seeds)
    results = index.search("*", per_page=1000, facet_limit=1000)
    assert results.total == len(model)
    assert {h.id for h in results.hits} == set(model)
    for hit in results.hits:
        doc = model[hit.id]
        assert (hit.title, hit.published, hit.kind) == (doc.title, doc.published, doc.kind)
        assert set(hit.topics) == set(doc.topics)
    expected = facet_counts(model.values())
    for name in ("topics", "providers", "kind", "published"):
        fold = name in ("topics", "providers")
        got = {
            (v.value.casefold() if fold else v.value): v.count
            for v in results.facets[name].values
            if v.count
        }
        assert got == dict(expected[name]), name
    dated = [d for d in model.values() if d.published]
    newest = index.search("*", sort="newest", per_page=1000).hits
    assert [h.published for h in newest[: len(dated)]] == sorted(
        (d.published for d in dated), reverse=True
    )
    since = index.search("*", since="2018-05", per_page=1000)
    assert since.total == sum(1 for d in dated if d.published and d.published >= utc(2018, 5, 1))


def test_searches_from_several_threads_while_the_index_is_rebuilt(tmp_path: Path) -> None:
    seeds, index_dir = tmp_path / "seeds", tmp_path / "index"
    names = copy_seeds(seeds, 60)
    build(seeds, index_dir)
    errors: list[str] = []
    done = [0] * THREADS
    stop = threading.Event()

    with searchkit.open_index(index_dir) as index:

        def worker(n: int) -> None:
            i = 0
            while i < MIN_SEARCHES or not stop.is_set():
                query, options = SEARCHES[(i + n) % len(SEARCHES)]
                try:
                    check_consistent(index.search(query, per_page=5, **options), options, 5)
                except Exception:  # every failure is reported below, with its traceback
                    errors.append(f"{query!r} {options}: {traceback.format_exc()}")
                i += 1
            done[n] = i

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        try:
            # An edited seed, a removed one and an undated new one: incremental builds.
            first = seeds / names[0]
            first.write_text(
                first.read_text(encoding="utf-8").replace('title: "', 'title: "Quokka ', 1),
                encoding="utf-8",
            )
            build(seeds, index_dir)
            (seeds / names[1]).unlink()
            write_seed(seeds, "zz-undated.md", {"title": "An Undated Numbat Notice"})
            build(seeds, index_dir)
            build(seeds, index_dir, full=True)
            write_seed(
                seeds,
                "zz-wombat.md",
                {
                    "title": "Wombatzz Sighted In The Capital",
                    "webUrl": "https://example.org/wombatzz",
                    "publishedDateTime": "2022-12-01T08:00:00Z",
                    "topics": ["Politics"],
                },
            )
            build(seeds, index_dir)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert not errors, errors[0]
        assert all(n >= MIN_SEARCHES for n in done), done

        # The open index sees the last build without being reopened.
        (hit,) = index.search("wombatzz").hits
        assert hit.title == "Wombatzz Sighted In The Capital"
        assert index.search("quokka").total == 1
        assert index.search("numbat").total == 1
        assert index.get("https://example.org/wombatzz").topics == ("Politics",)
        assert_matches_the_seeds(index, seeds)


def test_incremental_builds_keep_facets_and_dates_right(tmp_path: Path) -> None:
    """Each incremental build adds a segment; one holding only undated documents has no date
    column, and the counts must not shift."""
    seeds, index_dir = tmp_path / "seeds", tmp_path / "index"
    copy_seeds(seeds, 30)
    build(seeds, index_dir)
    with searchkit.open_index(index_dir) as index:
        assert_matches_the_seeds(index, seeds)
        write_seed(seeds, "zz-1.md", {"title": "Undated Numbat One", "topics": ["Marsupials"]})
        write_seed(seeds, "zz-2.md", {"title": "Undated Numbat Two", "topics": ["Marsupials"]})
        build(seeds, index_dir)
        assert_matches_the_seeds(index, seeds)
        write_seed(
            seeds,
            "zz-3.md",
            {
                "title": "Dated Quoll",
                "publishedDateTime": "2019-07-04T12:00:00Z",
                "topics": ["Marsupials"],
            },
        )
        build(seeds, index_dir)
        assert_matches_the_seeds(index, seeds)
        marsupials = index.search("*", topics=["marsupials"], facet_limit=100)
        assert marsupials.total == 3
        assert {v.value: v.count for v in marsupials.facets["published"].values} == {
            "2019-07-04": 1
        }
        assert index.search("quoll", since="2019-07-04", until="2019-07-04").total == 1
