"""The manifest: seed states survive a round trip, and an index whose manifest was written by
an earlier release is rebuilt from the seeds folder it remembers."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as hs
from index_helpers import live_store, seed_text, write_file, write_small_folder

import searchkit
from searchkit import manifest as store
from searchkit.scan import FileList
from searchkit.whoosh_seam.toc import latest_generation

_paths = hs.text(alphabet="abcxyz/._-é \n", min_size=1, max_size=12)
_states = hs.builds(
    store.SeedState,
    mtime_ns=hs.integers(min_value=0, max_value=2**62),
    size=hs.integers(min_value=0, max_value=2**20),
    # 12 zero bytes stand for "no hash" in the columns: blake2b never gives them in practice.
    digest=hs.just("") | hs.binary(min_size=12, max_size=12).filter(any).map(bytes.hex),
    status=hs.sampled_from([store.OK, store.DUPLICATE, store.STALE, store.INVALID]),
    error=hs.none() | hs.text(max_size=20),
    identity=hs.none() | hs.text(max_size=20),
    failed=hs.booleans(),
).map(
    # Only a seed that could not be indexed can have failed to read.
    lambda s: (
        s if s.status in (store.STALE, store.INVALID) else dataclasses.replace(s, failed=False)
    )
)


@given(hs.dictionaries(_paths, _states, max_size=20))
def test_seed_states_survive_a_round_trip(states: dict[str, store.SeedState]) -> None:
    manifest = store.Manifest(seeds_dir="/s", schema="x", generation=3, built_at=1.5)
    for path, state in states.items():
        manifest.seeds[path] = state
    back = store.Manifest.from_bytes(manifest.to_bytes(), Path("manifest-3.json"))
    assert dict(back.seeds) == states
    assert sorted(back.seeds.issues()) == sorted(
        (p, *s.extra[:3]) for p, s in states.items() if s.extra is not None
    )
    assert sorted(back.seeds.failed()) == sorted(p for p, s in states.items() if s.failed)
    assert len(back.seeds) == len(states)


def test_a_manifest_without_failed_reads_reads_as_before() -> None:
    """A failed read is a fourth value after [status, error, identity], written only when
    true: manifests written before it existed read the same."""
    manifest = store.Manifest(seeds_dir="/s", schema="x", generation=3, built_at=1.5)
    manifest.seeds["a.md"] = store.SeedState(1, 2, "ab" * 12, store.STALE, "bad date")
    manifest.seeds["b.md"] = store.SeedState(1, 2, "", store.STALE, "unreadable", failed=True)
    head = json.loads(manifest.to_bytes().partition(b"\n")[0])
    assert head["unusual"] == {
        "a.md": ["stale", "bad date", None],
        "b.md": ["stale", "unreadable", None, True],
    }
    back = store.Manifest.from_bytes(manifest.to_bytes(), Path("manifest-3.json"))
    assert back.seeds["a.md"].failed is False and back.seeds.failed() == ["b.md"]


def test_a_deleted_or_replaced_state_leaves_no_trace() -> None:
    states = store.SeedStates()
    states["a.md"] = store.SeedState(1, 2, "ab" * 12, store.STALE, "bad date")
    states["a.md"] = store.SeedState(3, 4, "cd" * 12)
    assert list(states.issues()) == []
    states["b.md"] = store.SeedState(1, 2, "ab" * 12, store.INVALID, "no title")
    copy = states.copy()
    del states["b.md"]
    assert list(states) == ["a.md"] and list(states.issues()) == []
    assert copy["b.md"].error == "no title"


def _rows_manifest(path: Path) -> None:
    """Rewrite a manifest the way the previous release wrote it: {path: [mtime, size, digest,
    (status, error, identity)]}."""
    manifest = store.Manifest.from_bytes(path.read_bytes(), path)
    data = manifest.header()
    states = manifest.seeds
    rows = {}
    for p, state in states.items():
        rows[p] = [state.mtime_ns, state.size, state.digest, *(state.extra or ())]
    del data["unusual"], data["scan"], data["columns"]
    data["format"], data["seeds"] = 1, rows
    path.write_text(json.dumps(data))


def test_an_index_from_the_previous_release_is_rebuilt_from_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Manifest", "mf.example")
    write_file(seeds / "broken.md", b"---\ntitle: [unclosed\n---\n")
    searchkit.build_index(seeds, index)
    live = live_store(index)
    (manifest,) = live.glob("manifest-*.json")
    _rows_manifest(manifest)

    monkeypatch.chdir(tmp_path / "seeds")  # not the folder's parent: the index must remember it
    rebuilt = searchkit.build_index(None, index)
    assert rebuilt.full and rebuilt.seeds_dir == str(seeds.resolve())
    assert any("earlier searchkit" in note for note in rebuilt.notes), rebuilt.notes
    assert (rebuilt.documents, [e.path for e in rebuilt.errors]) == (3, ["broken.md"])
    again = searchkit.build_index(None, index)
    assert not again.changed and not again.notes and again.unchanged == 2
    assert [e.path for e in again.errors] == ["broken.md"] and not again.errors[0].new
    live = live_store(index)
    with next(live.glob("manifest-*.json")).open("rb") as fh:
        assert json.loads(fh.readline())["format"] == store.MANIFEST_FORMAT


def test_unreadable_seed_columns_mean_a_rebuild_once_a_seed_changes(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_file(seeds / "a.md", seed_text("Columns A", "https://col.example/a"))
    write_file(seeds / "b.md", seed_text("Columns B", "https://col.example/b"))
    searchkit.build_index(seeds, index)
    live = live_store(index)
    (manifest,) = live.glob("manifest-*.json")
    header = manifest.read_bytes().partition(b"\n")[0]
    manifest.write_bytes(header + b"\n{not json\n")

    write_file(seeds / "b.md", seed_text("Columns B edited", "https://col.example/b"))
    report = searchkit.build_index(seeds, index)
    assert report.full and report.documents == 2
    assert any("cannot be read" in note for note in report.notes)
    assert searchkit.build_index(seeds, index).unchanged == 2


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_full_rebuild_over_unreadable_seed_columns_counts_every_seed_as_added(
    tmp_path: Path, jobs: int
) -> None:
    """A full build reads the old manifest's columns only to count what changed: when they
    cannot be read, it says so and counts from nothing, and the index comes out whole."""
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    for i in range(3):
        write_file(seeds / f"{i}.md", seed_text(f"Columns {i}", f"https://col.example/{i}"))
    searchkit.build_index(seeds, index)
    (manifest,) = live_store(index).glob("manifest-*.json")
    header = manifest.read_bytes().partition(b"\n")[0]
    manifest.write_bytes(header + b"\n{not json\n")
    options = searchkit.BuildOptions(jobs=jobs, worker_min_files=1)
    report = searchkit.build_index(seeds, index, full=True, options=options)
    assert report.full and report.documents == 3 and report.added == 3
    assert (report.updated, report.unchanged, report.removed) == (0, 0, 0)
    assert [n for n in report.notes if "cannot be read" in n], report.notes
    again = searchkit.build_index(seeds, index, full=True, options=options)
    assert (again.added, again.unchanged, again.notes) == (0, 3, ())


def test_the_manifest_generation_is_whooshs(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_file(seeds / "a.md", seed_text("Generation A", "https://gen.example/a"))
    searchkit.build_index(seeds, index)
    for title in ("Generation A2", "Generation A3"):
        write_file(seeds / "a.md", seed_text(title, "https://gen.example/a"))
        searchkit.build_index(seeds, index)
    live = live_store(index)
    generation = latest_generation(live)
    assert generation == whoosh_index.open_dir(str(live)).latest_generation() == 3
    assert [p.name for p in live.glob("manifest-*.json")] == [f"manifest-{generation}.json"]


_stats = hs.tuples(hs.integers(0, 3), hs.integers(0, 3))  # few values: many equal stats


@given(
    hs.dictionaries(_paths, _states, max_size=12),
    hs.lists(hs.tuples(_paths, hs.none() | _states), max_size=12),
    hs.dictionaries(_paths, _stats, max_size=12),
)
def test_states_changed_after_reading_pack_and_diff_as_a_dict_would(
    before: dict[str, store.SeedState],
    changes: list[tuple[str, store.SeedState | None]],
    scanned: dict[str, tuple[int, int]],
) -> None:
    """Read back from their columns, then set and deleted one by one (as an incremental build
    does), the states hold what a dict would; so does the manifest written from them; and a
    scan compared with them as arrays finds the changes a comparison path by path finds."""
    manifest = store.Manifest(seeds_dir="/s", schema="x", generation=3, built_at=1.5)
    for path, state in before.items():
        manifest.seeds[path] = state
    states = store.Manifest.from_bytes(manifest.to_bytes(), Path("m-3.json")).seeds.copy()
    model = dict(before)
    for path, state in changes:
        if state is not None:
            states[path] = model[path] = state
        elif path in model:
            del states[path], model[path]
    assert dict(states) == model and len(states) == len(model)
    manifest.seeds = states
    assert dict(store.Manifest.from_bytes(manifest.to_bytes(), Path("m-3.json")).seeds) == model

    diff = states.diff(FileList.of(scanned))
    stat = {p: (s.mtime_ns, s.size) for p, s in model.items()}
    assert sorted(diff.changed) == sorted(
        (p, *scanned[p]) for p in scanned if stat.get(p) != scanned[p]
    )
    assert sorted(diff.missing) == sorted(p for p in model if p not in scanned)
    assert diff.unchanged == sum(1 for p in scanned if stat.get(p) == scanned[p])


def test_compacting_keeps_paths_whose_bytes_run_from_the_blob_into_the_tail() -> None:
    """A manifest read back holds its paths in one blob; a seed set since goes to the tail.
    When a row that ends the blob and the new row are next to each other, compacting reads
    one range across both (it used to stop at the end of the blob and lose the new path)."""
    manifest = store.Manifest(seeds_dir="/s", schema="x", generation=3, built_at=1.5)
    for name in ("a.md", "b.md", "c.md", "d.md"):
        manifest.seeds[name] = store.SeedState(1, 2, "ab" * 12, store.OK)
    back = store.Manifest.from_bytes(manifest.to_bytes(), Path("manifest-3.json"))
    for rounds in range(3):  # drop one, set another: the blob gets compacted along the way
        back.seeds[f"n{rounds}.md"] = store.SeedState(
            5, 6, "", store.STALE, "unreadable", None, True
        )
        del back.seeds[sorted(p for p in back.seeds if not p.startswith("n"))[0]]
        expected = dict(back.seeds)
        back = store.Manifest.from_bytes(back.to_bytes(), Path("manifest-3.json"))
        assert dict(back.seeds) == expected


@pytest.mark.parametrize("by_key", [False, True])
def test_columns_find_many_keys_as_a_dict_does(by_key: bool) -> None:
    """rows_of for more keys than a small lookup (they are then searched in sorted order):
    every row found where it is, -1 for a key that is not there, in the order asked."""
    import random

    from searchkit import manifest as mf

    paths = [f"folder-{i % 7}/seed-{i}.md" for i in range(6000)]
    files = FileList.of({p: (i, i) for i, p in enumerate(paths)})
    columns = mf.Columns.of_scan(files)
    if by_key:
        columns = columns.take(columns.key_order(), by_key=True)
    asked = random.Random(3).sample(paths, 5000) + [f"gone-{i}.md" for i in range(1000)]
    rows = columns.rows_of(FileList.of({p: (0, 0) for p in asked}).key_columns())
    assert len(rows) == len(asked) > 4096
    for path, row in zip(asked, rows.tolist(), strict=True):
        assert (columns.path(row) if row >= 0 else None) == (
            None if path.startswith("gone") else path
        )
