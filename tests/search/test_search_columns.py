"""Facets and scores from columns and arrays (search/columns.py, search/vectors.py,
whoosh_seam/vectors.py): the same results as document by document, and an index built by
another version of searchkit is refused rather than read wrongly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import searchkit
from searchkit.options import ARRAYS_ALWAYS, ARRAYS_NEVER

from .search_helpers import FIXTURE_NOW

QUERIES = [
    ("trump", {}),
    ("trump", {"sort": "newest"}),
    ("trump", {"sort": "oldest"}),
    ("trump", {"sort": "recent-relevance", "per_page": 20}),
    ("election OR vote", {"topics": ["Politics"]}),
    ('"white house"', {}),
    ("police shooting", {"since": "2020-01", "until": "2021-12"}),
    ("*", {"kind": "related"}),
    ("*", {"providers": ["huffpost"], "page": 3}),
    ("women", {"topics": ["Women", "Politics"], "sort": "oldest"}),
    ("covid vaccine", {}),
    ("title:biden", {}),
]


def _dump(results: searchkit.SearchResults) -> dict[str, object]:
    return {
        "total": results.total,
        "hits": [(h.id, h.score) for h in results.hits],
        "facets": {
            n: [(v.value, v.count, v.selected) for v in f.values] for n, f in results.facets.items()
        },
    }


@pytest.mark.parametrize(("query", "options"), QUERIES)
def test_numpy_counts_and_scores_what_python_does(
    fixture_index: Path, query: str, options: dict[str, object]
) -> None:
    """Every match set counted, filtered, ordered and scored with numpy (ARRAYS_ALWAYS) gives
    the very results of the document-by-document code, scores to the last bit."""
    clock = lambda: FIXTURE_NOW  # noqa: E731
    with (
        searchkit.open_index(fixture_index, clock=clock, options=ARRAYS_NEVER) as python,
        searchkit.open_index(fixture_index, clock=clock, options=ARRAYS_ALWAYS) as vectors,
    ):
        expected = _dump(python.search(query, **options))  # type: ignore[arg-type]
        assert _dump(vectors.search(query, **options)) == expected  # type: ignore[arg-type]
        assert python.topics() == vectors.topics()
        assert python.providers() == vectors.providers()


def test_an_index_built_by_another_version_is_refused_not_misread(
    fixture_index: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(fixture_index, index)
    (manifest,) = next(index.glob("store-*")).glob("manifest-*.json")
    head, _, rest = manifest.read_bytes().partition(b"\n")
    header = json.loads(head)
    header["schema"] = "0000000000000000"
    manifest.write_bytes(json.dumps(header).encode() + b"\n" + rest)
    with pytest.raises(searchkit.SearchkitError, match="another version of searchkit"):
        searchkit.open_index(index)
    report = searchkit.build_index(None, index)
    assert report.full and any("another version" in note for note in report.notes)
    with searchkit.open_index(index) as ix:
        assert ix.search("trump").total > 0


def test_every_value_is_counted_alike_with_deleted_rows(built_index: tuple[Path, Path]) -> None:
    """The topic and provider counts (read over every live document, as arrays in a large
    index) leave out the rows an incremental run deleted, as a full build has none of them."""
    seeds, index = built_index
    for path in sorted(seeds.glob("*"))[::3]:
        path.unlink()
    assert searchkit.build_index(seeds, index).removed > 0
    rebuilt = index.parent / "rebuilt"
    searchkit.build_index(seeds, rebuilt)
    with (
        searchkit.open_index(index, options=ARRAYS_NEVER) as python,
        searchkit.open_index(index, options=ARRAYS_ALWAYS) as vectors,
        searchkit.open_index(rebuilt) as fresh,
    ):
        assert python.topics() == vectors.topics() == fresh.topics()
        assert python.providers() == vectors.providers() == fresh.providers()
