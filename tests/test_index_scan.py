"""Scanning the seeds folder: a large folder is stat-ed by two processes, and finds exactly
what one process finds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from index_helpers import seed_text, write_file

from searchkit import loader


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


def _one_process(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, loader.FileStat]:
    with monkeypatch.context() as m:
        m.setattr(loader, "PARALLEL_STAT", 10**9)
        return loader.scan_seeds(folder)


def _two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "PARALLEL_STAT", 10)
    monkeypatch.setattr(loader, "_cores", lambda: 2)


def test_two_processes_find_what_one_finds(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _one_process(folder, monkeypatch)
    assert len(expected) == 43  # 40 + UPPER.TXT + folder.md/inner.md + link.md
    assert "folder.md/inner.md" in expected and ".hidden.md" not in expected
    _two_processes(monkeypatch)
    assert loader.scan_seeds(folder) == expected


def test_a_failing_helper_costs_nothing_but_time(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _one_process(folder, monkeypatch)
    _two_processes(monkeypatch)
    monkeypatch.setattr(loader, "_STAT_SCRIPT", "import sys; sys.exit(3)")
    assert loader.scan_seeds(folder) == expected
