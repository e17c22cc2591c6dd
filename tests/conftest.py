"""Shared fixtures. Everything runs on real files in temporary folders; nothing needs the shared
corpus. The fixture seeds (tests/fixtures/seeds, see ATTRIBUTION.md there) are read-only: tests
that change seeds work on a copy."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from index_helpers import FIXTURE_SEEDS, copy_seeds
from unprivileged import Unprivileged, workdir

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


# --- permission tests, run as an unprivileged user (tests/unprivileged.py) -----------------------


@pytest.fixture(scope="session")
def unprivileged() -> Iterator[Unprivileged]:
    """How to run commands as an unprivileged user; the test is skipped, with the reason,
    where there is no way (no such user, mounting refused)."""
    hidden = Path(tempfile.mkdtemp(prefix="searchkit-hidden-root-"))
    try:
        found = Unprivileged.detect(hidden)
        if isinstance(found, str):
            pytest.skip(found)
        yield found
    finally:
        hidden.rmdir()


@pytest.fixture
def user_dir(unprivileged: Unprivileged) -> Iterator[Path]:
    """A work folder the unprivileged user owns (outside pytest's private folders, which it
    cannot enter); removed afterwards."""
    path = workdir()
    unprivileged.give(path)
    try:
        yield path
    finally:
        for folder, dirs, _files in os.walk(path):
            for name in dirs:
                os.chmod(os.path.join(folder, name), 0o755)  # root can, but be tidy
        shutil.rmtree(path, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many permission tests really ran as an unprivileged user (and why not)."""
    counts: Counter[str] = Counter()
    reasons: set[str] = set()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if "unprivileged" not in getattr(report, "keywords", {}):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            counts[outcome] += 1
            if outcome == "skipped" and isinstance(report.longrepr, tuple):
                reasons.add(str(report.longrepr[2]))
    if counts:
        line = (
            f"permission tests run as an unprivileged user: {counts['passed']} passed, "
            f"{counts['failed'] + counts['error']} failed, {counts['skipped']} skipped"
        )
        if reasons:
            line += f" ({'; '.join(sorted(reasons))})"
        terminalreporter.write_line(line)
