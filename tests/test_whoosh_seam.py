"""The seam for Whoosh's internals (searchkit/whoosh_seam, docs/WHOOSH.md): its public-path
twins give the same results as its fast paths, an unverified Whoosh is used through the public
paths with one warning, and every error Whoosh raises comes out as a SearchkitError.

Together with the writer's equivalence test (test_index_writer.py) and the engine's
(search/test_search_engine.py), these are what "verified" means for a Whoosh version.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from index_helpers import (
    FIXTURE_SEEDS,
    assert_matches_full_build,
    copy_seeds,
    live_store,
    seed_text,
    write_file,
)
from whoosh import query as wq

import searchkit
from searchkit import whoosh_seam
from searchkit.options import ARRAYS_ALWAYS, ARRAYS_NEVER, SearchOptions
from searchkit.search import engine as engine_module
from searchkit.whoosh_seam import columns, errors, matching
from searchkit.whoosh_seam import storage as whoosh_storage

pytestmark = pytest.mark.seam

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "fixtures" / "golden-results.jsonl"
DUMP = REPO / "bench" / "dump_results.py"

sys.path.insert(0, str(REPO / "bench"))
import dump_results  # noqa: E402


def _golden() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), **extra)
    env.pop(whoosh_seam.PATHS_ENV, None)
    env.update(extra)
    return env


def test_the_fast_paths_are_taken_on_the_verified_whoosh() -> None:
    assert whoosh_seam.installed_version() in whoosh_seam.VERIFIED_VERSIONS
    assert whoosh_seam.fast_paths() or os.environ.get(whoosh_seam.PATHS_ENV) == "public"


@pytest.mark.parametrize(
    "options",
    [
        ARRAYS_NEVER,
        ARRAYS_ALWAYS,
        SearchOptions(term_cache=0),
        SearchOptions(term_cache=2),
    ],
    ids=["python", "numpy", "no-term-cache", "tiny-term-cache"],
)
def test_results_are_the_golden_ones(fixture_index: Path, options: SearchOptions) -> None:
    """The committed dump of the fixtures' results (bench/dump_results.py) still holds: a
    change that alters results on purpose takes the dump again, in the same commit. Counted
    and ordered with numpy (as large match sets are), the results are the same; and the same
    again whether term lookups are remembered or not (a cache of two terms evicts at every
    step)."""
    golden = _golden()
    assert len(golden) > 300
    clock = lambda: dump_results.NOW  # noqa: E731
    with searchkit.open_index(fixture_index, clock=clock, options=options) as ix:
        for line in golden:
            got = json.loads(json.dumps(dump_results.run(ix, line["request"])))
            assert got == line["result"], line["request"]


def test_the_public_paths_build_and_search_the_same(tmp_path: Path) -> None:
    """Forced onto Whoosh's public API (as on an unverified Whoosh), a full build with
    Whoosh's own writer and every search give exactly the golden results."""
    out = tmp_path / "dump.jsonl"
    result = subprocess.run(
        [sys.executable, "-W", "error", str(DUMP), str(FIXTURE_SEEDS), str(tmp_path / "index"),
         str(out), "--requests-from", str(GOLDEN)],
        env=_env(**{whoosh_seam.PATHS_ENV: "public"}),
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")


_INCREMENTAL = """
import sys
from pathlib import Path
import searchkit
from searchkit import whoosh_seam
assert not whoosh_seam.fast_paths()
seeds, index = Path(sys.argv[1]), Path(sys.argv[2])
searchkit.build_index(seeds, index)
names = sorted(p.name for p in seeds.iterdir())
(seeds / names[0]).unlink()
(seeds / names[1]).write_text((seeds / names[2]).read_text())
(seeds / "new.md").write_text(sys.argv[3])
report = searchkit.build_index(seeds, index)
assert (report.removed, report.updated, report.added) == (1, 1, 1), report
"""


def test_the_public_paths_update_an_index_as_a_full_build_would(tmp_path: Path) -> None:
    seeds = copy_seeds(FIXTURE_SEEDS, tmp_path / "seeds")
    index = tmp_path / "index"
    new = seed_text("A public path", "https://seam.example/new", topics=["Politics"])
    result = subprocess.run(
        [sys.executable, "-c", _INCREMENTAL, str(seeds), str(index), new],
        env=_env(**{whoosh_seam.PATHS_ENV: "public"}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert_matches_full_build(seeds, index, tmp_path)


_UNVERIFIED = """
import warnings
import whoosh
whoosh.__version__ = (2, 7, 99)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import searchkit
    from searchkit import whoosh_seam
    ix = searchkit.open_index(__import__("sys").argv[1])
    total = ix.search("trump").total
    ix.search("election")
print(whoosh_seam.fast_paths(), total, [str(w.category.__name__) for w in caught])
print([str(w.message) for w in caught][0])
"""


def test_an_unverified_whoosh_is_used_through_the_public_paths_with_one_warning(
    fixture_index: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _UNVERIFIED, str(fixture_index)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    flags, message = result.stdout.splitlines()
    with searchkit.open_index(fixture_index) as ix:
        expected = ix.search("trump").total
    assert flags == f"False {expected} ['WhooshVersionWarning']"
    assert "2.7.99" in message and "2.7.5" in message


def test_column_values_read_whole_are_the_column_readers_values(fixture_index: Path) -> None:
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(live_store(fixture_index)))
    with ix.searcher() as searcher:
        for segment, _offset in searcher.reader().leaf_readers():
            for name in ("kind", "topic", "provider", "published", "quality"):
                reader = columns.column_reader(segment, name)
                assert reader is not None, name
                assert columns.column_values(reader) == list(reader), name


# --- the error boundary ---------------------------------------------------------------------


# What reading Whoosh's files raises when they are damaged or replaced mid-read, and
# Whoosh's own types: makers of fresh exceptions (a raised exception keeps its traceback,
# which would tell where it was raised the time before).
def _whoosh_errors() -> list[Callable[[], BaseException]]:
    from whoosh.index import EmptyIndexError, IndexVersionError
    from whoosh.query import QueryError as WhooshQueryError

    return [
        lambda: struct.error("unpack requires a buffer of 8 bytes"),
        lambda: EOFError(),
        lambda: OSError(5, "Input/output error"),
        lambda: FileNotFoundError(2, "No such file or directory", "MAIN_x.seg"),
        lambda: UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        lambda: pickle.UnpicklingError("invalid load key"),
        lambda: zlib.error("Error -3 while decompressing data"),
        lambda: ValueError("bytes length not a multiple of item size"),
        lambda: IndexError("array index out of range"),
        lambda: KeyError("title"),
        lambda: EmptyIndexError("Index 'MAIN' does not exist"),
        lambda: IndexVersionError("wrong version", -111),
        lambda: WhooshQueryError("bad query"),
    ]


def _name(make: Callable[[], BaseException]) -> str:
    return type(make()).__name__


def _raiser(make: Callable[[], BaseException]) -> Callable[..., Any]:
    def raise_it(*_args: Any, **_kwargs: Any) -> Any:
        raise make()

    return raise_it


@pytest.mark.parametrize("make", _whoosh_errors(), ids=_name)
def test_every_whoosh_error_during_a_search_is_a_searchkit_error(
    fixture_index: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[[], BaseException]
) -> None:
    from whoosh.codec.whoosh3 import W3PerDocReader

    with searchkit.open_index(fixture_index) as ix:
        doc_id = ix.search("trump").hits[0].id
        # Raised inside Whoosh: by its codec's read of stored fields, as a damaged file would.
        monkeypatch.setattr(W3PerDocReader, "stored_fields", _raiser(make))
        for call in (lambda: ix.search("trump"), lambda: ix.get(doc_id)):
            with pytest.raises(searchkit.SearchkitError) as caught:
                call()
            assert type(caught.value.__cause__) is type(make())


@pytest.mark.parametrize("make", _whoosh_errors(), ids=_name)
def test_every_whoosh_error_in_the_seams_reads_is_a_searchkit_error(
    fixture_index: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[[], BaseException]
) -> None:
    # Raised inside the seam, while it reads Whoosh's structures (the postings).
    monkeypatch.setattr(matching, "read_postings", _raiser(make))
    with searchkit.open_index(fixture_index) as ix, pytest.raises(searchkit.SearchkitError):
        ix.search("trump")


@pytest.mark.parametrize("make", _whoosh_errors(), ids=_name)
def test_every_whoosh_error_during_a_build_is_a_searchkit_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[[], BaseException]
) -> None:
    from whoosh.codec.whoosh3 import W3PerDocWriter

    seeds = tmp_path / "seeds"
    write_file(seeds / "a.md", seed_text("One", "https://seam.example/a"))
    index = tmp_path / "index"
    searchkit.build_index(seeds, index)
    write_file(seeds / "b.md", seed_text("Two", "https://seam.example/b"))
    # Raised inside Whoosh's writer: its codec storing a field of a document being added.
    monkeypatch.setattr(W3PerDocWriter, "add_field", _raiser(make))
    for full in (False, True):
        with pytest.raises(searchkit.SearchkitError):
            searchkit.build_index(seeds, index, full=full)
    monkeypatch.undo()
    # Nothing was lost: the index is as it was, and the next build goes through.
    with searchkit.open_index(index) as ix:
        assert ix.search("").total == 1
    assert searchkit.build_index(seeds, index).articles == 2
    assert not [
        p for p in index.iterdir() if p.name.startswith("store-") and p != live_store(index)
    ]


def test_searchkit_s_own_bugs_are_not_disguised_as_damage(
    fixture_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def a_bug(*_args: Any, **_kwargs: Any) -> Any:
        return {}["missing"]  # a KeyError raised by searchkit's code, not Whoosh's

    # The engine's own ranking, called from searchkit's code only.
    monkeypatch.setattr(engine_module, "by_title_coverage", a_bug)
    with searchkit.open_index(fixture_index) as ix, pytest.raises(KeyError):
        ix.search("election results")
    with pytest.raises(TypeError), errors.reading(Path("index")):
        raise TypeError("raised outside Whoosh")


def test_a_store_replaced_mid_search_is_searched_again(
    fixture_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full build may remove the store a reader is about to open (the race of issue #11's
    flaky test): the search runs again on the new store instead of failing."""
    index = tmp_path / "index"
    shutil.copytree(fixture_index, index)
    with searchkit.open_index(index) as ix:
        expected = ix.search("trump").total
        real = engine_module.Engine.search
        calls = []

        def once_damaged(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            if len(calls) == 1:
                old = live_store(index)
                searchkit.build_index(FIXTURE_SEEDS, index, full=True)
                assert not old.exists()
                raise errors.IndexDamagedError(str(index), "went away", str(old))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(engine_module.Engine, "search", once_damaged)
        assert ix.search("trump").total == expected
        assert len(calls) == 2


def _stored_offset(segment: Path) -> int:
    """Where the stored-fields column starts inside a compound segment file. The order of a
    segment's parts varies from build to build, so tests that cut a segment cut it here."""
    from whoosh.filedb.compound import CompoundStorage

    storage = whoosh_storage.open_index(segment.parent).storage
    parts = CompoundStorage(storage.open_file(segment.name), use_mmap=False)
    try:
        return next(v["offset"] for k, v in parts._dir.items() if k.endswith("._stored.col"))
    finally:
        parts.close()


_TRUNCATED = """
import os, sys
from pathlib import Path
import searchkit
index, cut = Path(sys.argv[1]), int(sys.argv[2])
with searchkit.open_index(index) as ix:
    ix.search("trump")  # the segment is open, and read from
    store = next(p for p in index.iterdir() if p.name.startswith("store-"))
    for seg in store.glob("*.seg"):
        os.truncate(seg, cut)
    for query in ("trump", "election", "climate change", "*"):
        try:
            ix.search(query)
            ix.topics()
        except searchkit.SearchkitError as exc:
            print("error:", type(exc).__name__)
            break
    else:
        print("no error")
"""


def test_a_segment_truncated_under_a_long_lived_reader_is_an_error_not_a_crash(
    fixture_index: Path, tmp_path: Path
) -> None:
    """Whoosh maps segment files into memory by default; a mapped file truncated under a reader
    turns the next read into SIGBUS, which kills the process. searchkit reads them through file
    handles, so the same damage is an error it can report."""
    index = tmp_path / "index"
    shutil.copytree(fixture_index, index)
    (segment,) = next(p for p in index.iterdir() if p.name.startswith("store-")).glob("*.seg")
    result = subprocess.run(
        [sys.executable, "-c", _TRUNCATED, str(index), str(_stored_offset(segment) + 8)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout.strip() == "error: IndexDamagedError", result.stdout


def test_a_short_read_of_a_segment_is_an_error_not_an_empty_record(
    fixture_index: Path, tmp_path: Path
) -> None:
    """Whoosh takes a short read of a stored-fields record as an empty record (a document with
    no id, no title). The seam's files raise EOFError instead, which the boundary reports as
    damage."""
    store = tmp_path / "store"
    shutil.copytree(next(p for p in fixture_index.iterdir() if p.name.startswith("store-")), store)
    (segment,) = store.glob("*.seg")
    searcher = whoosh_storage.open_index(store).searcher()
    count = searcher.doc_count_all()
    assert searcher.stored_fields(count - 1)["id"]  # the column is open, its offsets read
    os.truncate(segment, _stored_offset(segment) + 8)
    for docnum in (0, count // 2, count - 1):
        with pytest.raises(EOFError, match="shorter than the index recorded"):
            searcher.stored_fields(docnum)
    with pytest.raises(searchkit.IndexDamagedError), errors.reading(tmp_path, store):
        searcher.stored_fields(0)
    searcher.close()


def test_remembered_term_lookups_answer_as_the_term_table_does(fixture_index: Path) -> None:
    """A segment's remembered term table gives Whoosh's answers: presence, term info,
    frequencies, for terms that are there and terms that are not, before and after eviction."""
    from whoosh.reading import TermNotFound

    from searchkit.whoosh_seam.terms import remember_terms

    store = next(p for p in fixture_index.iterdir() if p.name.startswith("store-"))
    plain = whoosh_storage.open_index(store).searcher()
    remembering = whoosh_storage.open_index(store).searcher()
    remember_terms(remembering, 3)
    reader, plain_reader = remembering.reader(), plain.reader()
    terms = [t for _, t in zip(range(40), plain_reader.all_terms(), strict=False)]
    terms += [("title", b"zzzz-not-a-term"), ("body", b"trump"), ("title", b"trump")]
    for _ in range(2):
        for field, text in terms:
            assert ((field, text) in reader) == ((field, text) in plain_reader)
            assert reader.doc_frequency(field, text) == plain_reader.doc_frequency(field, text)
            assert reader.frequency(field, text) == plain_reader.frequency(field, text)
            if (field, text) in plain_reader:
                got, want = reader.term_info(field, text), plain_reader.term_info(field, text)
                assert (got.doc_frequency(), got.weight(), got.max_weight()) == (
                    want.doc_frequency(),
                    want.weight(),
                    want.max_weight(),
                )
                assert list(reader.postings(field, text).all_ids()) == list(
                    plain_reader.postings(field, text).all_ids()
                )
            else:
                with pytest.raises(TermNotFound):
                    reader.term_info(field, text)
    plain.close()
    remembering.close()


def test_postings_read_whole_are_the_matchers_postings(fixture_index: Path) -> None:
    """read_postings decodes a term's blocks itself; stepping Whoosh's matcher one posting at
    a time gives the same document numbers and weights, for every term of every field."""
    from array import array

    from searchkit.whoosh_seam.storage import open_index

    ix = open_index(live_store(fixture_index))
    with ix.searcher() as searcher:
        checked = 0
        for segment, _offset in searcher.reader().leaf_readers():
            for term in segment.all_terms():
                leaf = segment.postings(*term)
                ids, weights = array("I"), array("d")
                while leaf.is_active():
                    ids.append(leaf.id())
                    weights.append(leaf.weight())
                    leaf.next()
                assert matching.read_postings(segment, term) == (ids, weights), term
                checked += 1
    assert checked > 10_000


@pytest.fixture(scope="module")
def small_segments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture seeds in an index of small segments, some with deleted documents: four
    processes' segments of a full build, then an incremental run that replaces a few seeds
    (their old documents deleted, their new ones in a segment of their own)."""
    base = tmp_path_factory.mktemp("small-segments")
    seeds, index = base / "seeds", base / "index"
    copy_seeds(FIXTURE_SEEDS, seeds)
    options = searchkit.BuildOptions(jobs=4, worker_min_files=0, chunk_size=16)
    assert searchkit.build_index(seeds, index, options=options).ok
    names = sorted(p.name for p in seeds.iterdir())
    for name, source in zip(names[:6:2], names[1:7:2], strict=True):
        write_file(seeds / name, (seeds / source).read_text(encoding="utf-8"))
    assert searchkit.build_index(seeds, index, options=options).updated == 3
    return index


def _segment_words(reader: Any) -> list[str]:
    """Words of the title field in one segment, common and rare."""
    words = [text.decode() for field, text in reader.all_terms() if field == "title"]
    return words[:: max(1, len(words) // 60)]


_FIELDS = (("title", 2.0), ("excerpt", 1.0), ("body", 0.5), ("topics_text", 1.5))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_or_queries_score_on_small_segments_as_whoosh_does(
    small_segments: Path, data: st.DataObject
) -> None:
    """On a segment of 5,000 documents or fewer, Whoosh's Or preloads its parts' scores
    (ArrayUnionMatcher); the seam's cut query adds the same scores in the same order without
    preloading, and a term's documents and scores skip Whoosh's leaf matcher and scorer
    set-up. Matches and scores are Whoosh's own, to the bit, on every segment, deletions
    included."""
    store = live_store(small_segments)
    ix = whoosh_storage.open_index(store)
    with ix.searcher() as top:
        leaves = top.leaf_searchers()
        assert len(leaves) >= 4 and any(s.reader().has_deletions() for s, _ in leaves)
        number = data.draw(st.integers(0, len(leaves) - 1))
        searcher = leaves[number][0]
        vocabulary = [*_segment_words(searcher.reader()), "zzzz-not-a-word"]
        words = data.draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=4))
        fields = data.draw(st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=4))
        ors = [wq.Or([wq.Term(f, w, boost=b) for f, b in fields]) for w in words]
        query = wq.And(ors) if data.draw(st.booleans()) else wq.Or(ors, boost=1.5)
        cache = matching.PostingsCache(100_000)
        found = matching.segment_matches(cache, number, searcher, query)
        assert found == set(query.docs(searcher))
        docs = sorted(found)
        context = top.context()
        want = matching._at(query.matcher(searcher, context), docs, lambda m: m.score())
        got = matching.segment_scores(cache, number, searcher, query, docs, context)
        assert got == want


@pytest.fixture(scope="module")
def four_segments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture seeds in an index of four processes' segments."""
    index = tmp_path_factory.mktemp("four-segments") / "index"
    options = searchkit.BuildOptions(jobs=4, worker_min_files=0, chunk_size=16)
    assert searchkit.build_index(FIXTURE_SEEDS, index, options=options).ok
    return index


@pytest.mark.parametrize(
    "query", ["trump elect*", "climate chang*", "white hous*", "michele~ obama", "pol*"]
)
def test_patterns_score_alike_however_the_index_is_split(
    fixture_index: Path, four_segments: Path, query: str
) -> None:
    """A pattern's words differ from segment to segment; a document's score does not
    depend on which segment it is in (Whoosh drops a pattern's boost in a segment where it
    matches one word)."""
    scores = []
    for index in (fixture_index, four_segments):
        with searchkit.open_index(index) as ix:
            found = ix.search(query, per_page=1000, facets=False)
            scores.append({hit.id: hit.score for hit in found.hits})
    assert len(whoosh_storage.open_index(live_store(four_segments))._segments()) == 4
    assert scores[0].keys() == scores[1].keys() and scores[0]
    for doc_id, score in scores[0].items():
        assert scores[1][doc_id] == pytest.approx(score, rel=1e-9), doc_id
