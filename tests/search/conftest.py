"""Fixtures for the search tests (issue 3).

Two indexes are built once per session: one of the fixture seeds (tests/fixtures/seeds,
read-only), checked against the independent model in search_oracle.py, and one of the
hand-made "newsroom" (search_helpers.NEWSROOM), whose answers are known exactly. Tests that
change seeds build their own index in tmp_path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import searchkit
from searchkit import SearchIndex

from .search_helpers import FIXTURE_NOW, FIXTURE_SEEDS, build, utc, write_newsroom
from .search_oracle import Doc, load_docs


@pytest.fixture(scope="session")
def fixture_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("search-fixture") / "index"
    build(FIXTURE_SEEDS, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def ix(fixture_index_dir: Path) -> Iterator[SearchIndex]:
    """The fixture index, with "now" at FIXTURE_NOW."""
    with searchkit.open_index(fixture_index_dir, clock=lambda: FIXTURE_NOW) as index:
        yield index


@pytest.fixture(scope="session")
def docs() -> dict[str, Doc]:
    """The independent model of the fixture seeds, by document id."""
    model = load_docs(FIXTURE_SEEDS)
    assert len(model) > 200, "the fixture seeds should yield hundreds of documents"
    return model


@pytest.fixture(scope="session")
def newsroom_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(seeds, index) of the hand-made newsroom."""
    root = tmp_path_factory.mktemp("newsroom")
    seeds = write_newsroom(root / "seeds")
    build(seeds, root / "index")
    return seeds, root / "index"


@pytest.fixture(scope="session")
def news(newsroom_dirs: tuple[Path, Path]) -> Iterator[SearchIndex]:
    with searchkit.open_index(newsroom_dirs[1], clock=lambda: utc(2021, 6, 1, 0, 30)) as index:
        yield index


@pytest.fixture(scope="session")
def news_docs(newsroom_dirs: tuple[Path, Path]) -> dict[str, Doc]:
    return load_docs(newsroom_dirs[0])
