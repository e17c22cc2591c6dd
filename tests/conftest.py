"""Shared fixtures. Everything runs on real files in temporary folders; nothing needs the shared
corpus. The fixture seeds (tests/fixtures/seeds, see ATTRIBUTION.md there) are read-only: tests
that change seeds work on a copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from index_helpers import FIXTURE_SEEDS, copy_seeds

import searchkit


@pytest.fixture
def fixture_seeds(tmp_path: Path) -> Path:
    """A private, writable copy of the fixture seeds folder."""
    return copy_seeds(FIXTURE_SEEDS, tmp_path / "seeds")


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index built once from tests/fixtures/seeds. Read-only: copy it to change it."""
    index_dir = tmp_path_factory.mktemp("fixture-index") / "index"
    report = searchkit.build_index(FIXTURE_SEEDS, index_dir)
    assert report.ok, report
    return index_dir


@pytest.fixture
def fixture_index_copy(fixture_index: Path, tmp_path: Path) -> Path:
    """A private copy of the session's fixture index (still bound to tests/fixtures/seeds)."""
    dst = tmp_path / "index-copy"
    shutil.copytree(fixture_index, dst)
    return dst


@pytest.fixture
def built_index(fixture_seeds: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(seeds, index): a writable copy of the fixture seeds and an index built from it."""
    index_dir = tmp_path / "index"
    report = searchkit.build_index(fixture_seeds, index_dir)
    assert report.ok, report
    return fixture_seeds, index_dir
