"""Scanning the seeds folder: a large folder is stat-ed by two processes, and finds exactly
what one process finds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from index_helpers import seed_text, write_file

from searchkit import scan


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    for i in range(40):
        write_file(seeds / f"s{i:02d}.md", seed_text(f"Scan {i}", f"https://scan.example/{i}"))
    write_file(seeds / "UPPER.TXT", seed_text("Upper", "https://scan.example/upper"))
    write_file(seeds / "notes.json", "{}")
    write_file(seeds / ".hidden.md", seed_text("Hidden", "https://scan.example/hidden"))
    (seeds / "folder.md").mkdir()
    write_file(seeds / "folder.md" / "inner.md", seed_text("Inner", "https://scan.example/in"))
    os.symlink(seeds / "s00.md", seeds / "link.md")
    return seeds


def _one_process(folder: Path) -> dict[str, scan.FileStat]:
    return scan.scan_seeds(folder, parallel_min=10**9)


def test_two_processes_find_what_one_finds(folder: Path) -> None:
    expected = _one_process(folder)
    assert len(expected) == 43  # 40 + UPPER.TXT + folder.md/inner.md + link.md
    assert "folder.md/inner.md" in expected and ".hidden.md" not in expected
    assert scan.scan_seeds(folder, parallel_min=10, cores=2) == expected


def test_a_failing_helper_costs_nothing_but_time(folder: Path) -> None:
    expected = _one_process(folder)
    failing = (sys.executable, "-c", "import sys; sys.exit(3)")
    assert scan.scan_seeds(folder, parallel_min=10, cores=2, helper=failing) == expected
