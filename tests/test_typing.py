"""A program that embeds searchkit type-checks against the installed package: the editable
install is one mypy can follow, py.typed ships, and the Literal parameters catch typos."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EMBED = """
import searchkit

def newest_titles(path: str) -> list[str]:
    with searchkit.open_index(path) as ix:
        results: searchkit.SearchResults = ix.search("korea", sort="newest", kind="article")
        return [hit.title + hit.snippet for hit in results.hits]
"""


def mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    """mypy --strict on `source`, run outside the source tree, so that it finds searchkit
    only as it is installed."""
    (tmp_path / "embed.py").write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "embed.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )


def test_an_embedding_script_type_checks(tmp_path: Path) -> None:
    proc = mypy(tmp_path, EMBED)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout


def test_a_bad_sort_or_kind_is_a_type_error(tmp_path: Path) -> None:
    bad = EMBED.replace('sort="newest"', 'sort="bogus"').replace('kind="article"', 'kind="vidoe"')
    proc = mypy(tmp_path, bad)
    assert proc.returncode == 1
    assert '"sort"' in proc.stdout and '"kind"' in proc.stdout
    assert "import-not-found" not in proc.stdout and "import-untyped" not in proc.stdout
