"""searchkit's segment writer (searchkit.writer.FastSegmentWriter) builds the index Whoosh's own
SegmentWriter builds from the same documents: every term with the same postings (documents,
weights, positions) and term statistics, the same stored fields, field lengths and columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from index_helpers import FIXTURE_SEEDS, seed_paths
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from searchkit.loader import SeedFile, read_seed
from searchkit.records import article_document, stub_document, to_fields
from searchkit.schema import build_schema
from searchkit.whoosh_seam.writing import FastSegmentWriter

pytestmark = pytest.mark.seam  # part of what verifies a Whoosh version (docs/WHOOSH.md)


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    """The Whoosh fields of every document of the fixture folder: articles, then stubs."""
    root = str(FIXTURE_SEEDS)
    loaded = [read_seed(root, SeedFile(p, 0, 0)) for p in seed_paths(FIXTURE_SEEDS)]
    seeds = [x.seed for x in loaded if x.seed is not None]
    identities = {seed.identity for seed in seeds}
    docs = [to_fields(article_document(seed)) for seed in seeds]
    # The stubs, each from its first citer's entry, with every citer's topics (in path order;
    # the fixture has no duplicates).
    stubs: dict[str, tuple[Any, list[str]]] = {}
    for seed in seeds:
        for key, entry in zip(seed.related_keys(), seed.related, strict=True):
            if key not in identities:
                stubs.setdefault(key, (entry, []))[1].extend(seed.topics)
    for key, (entry, topics) in stubs.items():
        docs.append(to_fields(stub_document(key, entry, topics)))
    return docs


def _build(folder: Path, writer_class: type, documents: list[dict[str, Any]], **kw: Any) -> Any:
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = writer_class(ix, **kw)
    for fields in documents:
        writer.add_document(**fields)
    writer.commit()
    return whoosh_index.open_dir(str(folder))


def _contents(ix: Any) -> dict[str, Any]:
    schema = ix.schema
    with ix.reader() as reader:
        terms = {}
        for fieldname, text in reader.all_terms():
            info = reader.term_info(fieldname, text)
            postings = []
            matcher = reader.postings(fieldname, text)
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            stats = (
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
            )
            terms[(fieldname, text)] = (stats, postings)
        docs = range(reader.doc_count_all())
        lengths = {
            name: [reader.doc_field_length(d, name) for d in docs]
            for name in schema.scorable_names()
        }
        columns = {
            name: list(reader.column_reader(name))
            for name in schema.names()
            if schema[name].column_type
        }
        return {
            "terms": terms,
            "stored": [reader.stored_fields(d) for d in docs],
            "lengths": lengths,
            "columns": columns,
            "field_lengths": {n: reader.field_length(n) for n in schema.scorable_names()},
        }


@pytest.mark.parametrize("limitmb", [128, 0.05], ids=["in-memory", "spilled-to-runs"])
def test_fast_writer_builds_the_index_whoosh_builds(
    documents: list[dict[str, Any]], tmp_path: Path, limitmb: float
) -> None:
    expected = _contents(_build(tmp_path / "whoosh", SegmentWriter, documents))
    got = _contents(_build(tmp_path / "fast", FastSegmentWriter, documents, limitmb=limitmb))
    # The fixture has what the writer's paths exist for: terms with one posting, terms over
    # one block (128 postings), positions, and no-frequency (exact value) fields.
    counts = [len(p) for _s, p in expected["terms"].values()]
    assert counts.count(1) > 1000 and max(counts) > 128
    assert got["terms"].keys() == expected["terms"].keys()
    differing = [k for k in expected["terms"] if got["terms"][k] != expected["terms"][k]]
    assert not differing, (differing[:3], [got["terms"][k] for k in differing[:1]])
    for part in ("stored", "lengths", "columns", "field_lengths"):
        assert got[part] == expected[part], part
