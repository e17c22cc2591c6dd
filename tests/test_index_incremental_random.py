"""Randomised incremental builds over a copy of the fixture seeds: after any mix of additions,
removals, renames, edits, duplicates and broken files, the incremental index holds exactly what a
full build of the same folder holds, and the counts match an independent recount."""

from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path

import pytest
from index_helpers import (
    FIXTURE_SEEDS,
    assert_matches_full_build,
    bump_mtime,
    expected_documents,
    seed_paths,
    stored_docs,
    write_file,
)

import searchkit

# One seed by default keeps the suite fast; SEARCHKIT_TEST_RANDOM_SEEDS=1,2,3 runs more.
RANDOM_SEEDS = [int(s) for s in os.environ.get("SEARCHKIT_TEST_RANDOM_SEEDS", "11").split(",")]
BROKEN = "---\ntitle: [this is not closed\n---\n"


def _drop_first_related(text: str) -> str:
    start = text.find("\nrelated:\n  - ")
    if start < 0:
        return text
    first = start + len("\nrelated:\n")
    nxt = text.find("\n  - ", first + 4)
    end = nxt + 1 if nxt >= 0 else text.index("\n\nsecured:", first) + 1
    return text[:first] + text[end:]


class Mutator:
    def __init__(self, rng: random.Random, seeds: Path, held_back: list[str]) -> None:
        self.rng, self.seeds, self.held_back = rng, seeds, held_back
        self.log: list[str] = []

    def pick(self, k: int, exclude: set[str] = frozenset()) -> list[str]:
        paths = [p for p in seed_paths(self.seeds) if p not in exclude]
        return self.rng.sample(paths, min(k, len(paths)))

    def round(self) -> set[str]:
        """One round of random changes; returns the paths it touched."""
        touched: set[str] = set()
        for p in self.pick(3):
            (self.seeds / p).unlink()
            touched.add(p)
            self.log.append(f"remove {p}")
        for name in self.rng.sample(self.held_back, min(3, len(self.held_back))):
            self.held_back.remove(name)
            write_file(self.seeds / name, (FIXTURE_SEEDS / name).read_bytes())
            touched.add(name)
            self.log.append(f"add {name}")
        for p in self.pick(2, touched):
            new = self.rng.choice([f"z-{Path(p).name}", f"sub/{Path(p).name}", f"0-{Path(p).name}"])
            if (self.seeds / new).exists():
                continue
            (self.seeds / new).parent.mkdir(exist_ok=True)
            os.rename(self.seeds / p, self.seeds / new)
            touched |= {p, new}
            self.log.append(f"rename {p} {new}")
        for p in self.pick(3, touched):
            text = (self.seeds / p).read_text(encoding="utf-8")
            write_file(self.seeds / p, text.replace('title: "', 'title: "Edited ', 1))
            touched.add(p)
            self.log.append(f"retitle {p}")
        for p in self.pick(3, touched):
            text = (self.seeds / p).read_text(encoding="utf-8")
            write_file(self.seeds / p, _drop_first_related(text))
            touched.add(p)
            self.log.append(f"drop-related {p}")
        for p in self.pick(1, touched):
            text = (self.seeds / p).read_text(encoding="utf-8")
            write_file(
                self.seeds / p,
                re.sub(
                    r'^webUrl: "',
                    'webUrl: "https://moved.example/?from=',
                    text,
                    count=1,
                    flags=re.M,
                ),
            )
            touched.add(p)
            self.log.append(f"move-identity {p}")
        for p in self.pick(1, touched):
            dup = self.rng.choice([f"0-dup-{Path(p).name}", f"zz-dup-{Path(p).name}"])
            shutil.copyfile(self.seeds / p, self.seeds / dup)
            bump_mtime(self.seeds / dup)
            touched |= {p, dup}
            self.log.append(f"duplicate {p} {dup}")
        for p in self.pick(2, touched):
            bump_mtime(self.seeds / p)
            self.log.append(f"touch {p}")
        return touched


def _jobs(jobs: int) -> searchkit.BuildOptions:
    """Full builds in `jobs` processes, however small the folder."""
    return searchkit.BuildOptions(jobs=jobs, worker_min_files=0, chunk_size=16)


@pytest.mark.parametrize("jobs", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_changes_keep_the_incremental_index_equal_to_a_full_build(
    tmp_path: Path, seed: int, jobs: int
):
    """Whatever number of processes made the full builds (the first, and the oracle)."""
    rng = random.Random(seed)
    names = seed_paths(FIXTURE_SEEDS)
    held_back = rng.sample(names, 30)
    seeds = tmp_path / "seeds"
    for name in names:
        if name not in held_back:
            write_file(seeds / name, (FIXTURE_SEEDS / name).read_bytes())
    index = tmp_path / "index"
    searchkit.build_index(seeds, index, options=_jobs(jobs))
    mutator = Mutator(rng, seeds, held_back)
    for _ in range(3):
        touched = mutator.round()
        # Break a few seeds that are indexed as articles and were not changed this round.
        indexed = {d["path"] for d in stored_docs(index).values() if d.get("path")}
        victims = rng.sample(sorted(indexed - touched), 2)
        good = {p: (seeds / p).read_bytes() for p in victims}
        old_titles = {
            d["path"]: d["title"] for d in stored_docs(index).values() if d.get("path") in good
        }
        for p in victims:
            write_file(seeds / p, BROKEN)
        report = searchkit.build_index(seeds, index)
        assert set(report.stale) == set(victims), mutator.log
        assert {e.path for e in report.errors} == set(victims)
        still = {
            d["path"]: d["title"] for d in stored_docs(index).values() if d.get("path") in good
        }
        assert still == old_titles  # the last good versions stay searchable
        assert set(searchkit.index_stats(index).stale) == set(victims)
        # Fix them again: the incremental index must now equal a full build.
        for p, data in good.items():
            write_file(seeds / p, data)
        report = searchkit.build_index(seeds, index)
        assert report.stale == () and report.errors == (), mutator.log
        docs = assert_matches_full_build(seeds, index, tmp_path, _jobs(jobs))
        expected = expected_documents(seeds)
        assert (report.documents, report.articles, report.related) == expected.counts, mutator.log
        assert len(docs) == expected.documents
        assert {d.path: d.of for d in report.duplicates} == expected.duplicates
