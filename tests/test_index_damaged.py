"""A damaged index folder: readers fail with one line naming the index, the file and the damage
(exit 1, never a traceback), the API raises IndexDamagedError with the remedy as data, and
`searchkit index --full` recovers from any damage of any file (the corruption matrix)."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import random
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from index_helpers import live_store, run_cli, stored_docs, write_small_folder

import searchkit
from searchkit import cli


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Damage", "dmg.example")
    assert run_cli("index", "--seeds", seeds, "--index", index).code == 0
    return seeds, index


def _assert_rebuilt(seeds: Path, index: Path, args: tuple[str, ...] = ()) -> None:
    result = run_cli("index", "--seeds", seeds, "--index", index, "--json", *args)
    assert result.code == 0, result.stderr
    report = result.json()
    assert report["notes"], "the rebuild should say why it happened"
    assert report["documents"] == 3
    assert set(stored_docs(index)) == {
        "https://dmg.example/a",
        "https://dmg.example/b",
        "https://dmg.example/s",
    }
    assert run_cli("stats", "--index", index).code == 0


def test_unreadable_manifest(built):
    seeds, index = built
    (manifest,) = live_store(index).glob("manifest-*.json")
    manifest.write_text("{")
    stats = run_cli("stats", "--index", index)
    assert stats.code == 1
    assert "--full" in stats.stderr and "Traceback" not in stats.stderr
    with pytest.raises(searchkit.IndexDamagedError) as info:
        searchkit.index_stats(index)
    assert info.value.remedy is searchkit.Remedy.REBUILD_FULL
    assert info.value.where == str(manifest) and info.value.index_dir == str(index)
    assert info.value.what.startswith("cannot be read (")
    _assert_rebuilt(seeds, index)


def test_missing_whoosh_table_of_contents(built):
    seeds, index = built
    for toc in live_store(index).glob("*.toc"):
        toc.unlink()
    stats = run_cli("stats", "--index", index)
    assert stats.code == 1
    assert "--full" in stats.stderr and "Traceback" not in stats.stderr
    _assert_rebuilt(seeds, index)


def test_current_naming_a_missing_store_is_reported_by_stats(built):
    _, index = built
    (index / "CURRENT").write_text("store-that-is-gone\n")
    stats = run_cli("stats", "--index", index)
    assert stats.code == 1
    assert "store-that-is-gone" in stats.stderr and "--full" in stats.stderr


@pytest.mark.parametrize("args", [(), ("--full",)])
def test_current_naming_a_missing_store_is_rebuilt(built, args):
    seeds, index = built
    (index / "CURRENT").write_text("store-that-is-gone\n")
    _assert_rebuilt(seeds, index, args)


def test_index_path_that_is_a_file_is_a_clear_fatal_error(built, tmp_path: Path):
    seeds, _ = built
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    result = run_cli("index", "--seeds", seeds, "--index", not_a_folder)
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert str(not_a_folder) in result.stderr


def test_seeds_path_that_is_a_file_is_a_clear_fatal_error(tmp_path: Path):
    seeds = tmp_path / "seeds.md"
    seeds.write_text("x")
    result = run_cli("index", "--seeds", seeds, "--index", tmp_path / "index")
    assert result.code == 1
    assert "is not a folder" in result.stderr and "Traceback" not in result.stderr


# --- the corruption matrix ------------------------------------------------------------------------

# Every kind of file an index folder holds, found in a built index.
FILE_KINDS: dict[str, Callable[[Path], Path]] = {
    "segment": lambda index: next(live_store(index).glob("*.seg")),
    "table of contents": lambda index: next(live_store(index).glob("_MAIN_*.toc")),
    "manifest": lambda index: next(live_store(index).glob("manifest-*.json")),
    "CURRENT": lambda index: index / "CURRENT",
    "write lock": lambda index: index / "write.lock",
    "Whoosh's lock": lambda index: live_store(index) / "MAIN_WRITELOCK",
}


def _garble(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(b"\x13\x37 not what was here " + data[24:])


def _replace_by_a_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("x")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated to 0": lambda p: p.write_bytes(b""),
    "truncated to half": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "garbled header": _garble,
    "random bytes": lambda p: p.write_bytes(random.Random(7).randbytes(max(64, p.stat().st_size))),
    "not UTF-8": lambda p: p.write_bytes(b"\xff\xfe\xc3\x28" + p.read_bytes()[4:]),
    "deleted": lambda p: p.unlink(),
    "replaced by a folder": _replace_by_a_folder,
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(seeds, index): a tiny index, built once, copied by each case."""
    root = tmp_path_factory.mktemp("matrix")
    seeds, index = root / "seeds", root / "index"
    write_small_folder(seeds, "Damage", "dmg.example")
    searchkit.build_index(seeds, index)
    return seeds, index


def _run(*args: str | Path) -> tuple[int, str, str]:
    """The command line, in this process (fast): its exit status, stdout and stderr. An
    exception escaping it fails the test, as a traceback would."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, out.getvalue(), _error_line(code, out.getvalue(), err.getvalue())


def _error_line(code: int, out: str, err: str) -> str:
    """What went wrong, as the line on stderr: with --json, an error is instead one JSON
    object on stdout (and nothing on stderr), whose message is that line's."""
    if code and out.startswith('{"error": '):
        assert err == "" and out.count("\n") == 1
        return f"searchkit: {json.loads(out)['error']['message']}\n"
    return err


def _said_damaged_or_worked(index: Path, code: int, out: str, err: str) -> None:
    """Either it worked, or it said in one line that the index is damaged, and how to fix it."""
    if code == 0:
        return
    assert code == 1, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    damaged = re.fullmatch(
        rf"searchkit: the index at {re.escape(str(index))} is damaged \((.+)\): "
        rf"run `searchkit index --full --index {re.escape(str(index))}`",
        lines[0],
    )
    assert damaged, lines[0]
    assert str(index) in damaged.group(1)  # names the file (or the store) that is damaged


@pytest.fixture
def whoosh_retries() -> Iterator[None]:
    """Whoosh's reader retries a failed open ten times, leaving each attempt's file to be
    closed by the garbage collector, with a ResourceWarning (ignored outside tests): collect
    them within the test that caused them."""
    yield
    gc.collect()


@pytest.mark.usefixtures("whoosh_retries")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("kind", sorted(FILE_KINDS))
def test_any_damage_of_any_file_is_one_line_and_a_full_build_recovers(
    pristine: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    damage: str,
) -> None:
    seeds, index = pristine[0], tmp_path / "index"
    shutil.copytree(pristine[1], index)
    monkeypatch.chdir(tmp_path)  # no ./seeds to build from by mistake
    DAMAGE[damage](FILE_KINDS[kind](index))

    code, out, err = _run("search", "--index", index, "--json", "damage")
    if (kind, damage) == ("CURRENT", "deleted"):
        assert (code, err.strip()) == (1, f"searchkit: no index at {index}, and no seeds folder "
                                          "at seeds to build it from: pass --seeds with the "
                                          "folder of your seed files")  # fmt: skip
    else:
        _said_damaged_or_worked(index, code, out, err)
        if code == 0:
            assert _titles(out) == ["Damage A", "Damage B"]  # the right answer, not garbage
    code, out, err = _run("stats", "--index", index)
    if (kind, damage) != ("CURRENT", "deleted"):
        _said_damaged_or_worked(index, code, out, err)

    code, out, err = _run("index", "--full", "--seeds", seeds, "--index", index, "--json")
    assert code == 0, err
    code, out, err = _run("search", "--index", index, "--json", "damage")
    assert code == 0 and _titles(out) == ["Damage A", "Damage B"]
    assert _run("stats", "--index", index)[0] == 0
    # Nothing of the damage is left: one store, no folder moved aside.
    assert sorted(p.name for p in index.iterdir() if not p.name.startswith("store-")) == [
        "CURRENT",
        "write.lock",
    ]
    assert len([p for p in index.iterdir() if p.name.startswith("store-")]) == 1


def _titles(out: str) -> list[str]:
    import json

    return sorted(hit["title"] for hit in json.loads(out)["hits"])


@pytest.mark.usefixtures("whoosh_retries")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("kind", ["segment", "table of contents", "manifest", "CURRENT"])
def test_the_api_raises_index_damaged_error_with_the_remedy_as_data(
    pristine: tuple[Path, Path], tmp_path: Path, kind: str
) -> None:
    index = tmp_path / "index"
    shutil.copytree(pristine[1], index)
    damaged = FILE_KINDS[kind](index)
    DAMAGE["truncated to half"](damaged)
    with pytest.raises(searchkit.IndexDamagedError) as info:
        if kind == "manifest":  # what stats reads, not searches
            searchkit.index_stats(index)
        else:
            with searchkit.open_index(index) as ix:
                ix.search("damage")
    error = info.value
    assert error.remedy is searchkit.Remedy.REBUILD_FULL
    assert error.index_dir == str(index)
    assert error.where in (str(damaged), str(live_store(index) if kind != "CURRENT" else ""))
    assert "searchkit index" not in str(error)  # the command is the command line's to say
    # The files Whoosh was reading when it failed are closed, not left to the collector.
    open_files = Path("/proc/self/fd")
    if open_files.is_dir():
        held = {os.path.realpath(fd) for fd in open_files.iterdir()}
        assert not [f for f in held if f.startswith(str(index))]


def test_a_repl_on_a_damaged_index_it_cannot_rebuild_is_one_line(
    pristine: tuple[Path, Path], tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(pristine[1], index)
    (index / "CURRENT").write_bytes(b"\xff\xfe")
    result = run_cli(
        "repl", "--index", index, "--seeds", tmp_path / "no-seeds", cwd=tmp_path, input_text=""
    )
    assert result.code == 1
    assert result.stderr == (
        f"searchkit: the index at {index} is damaged ({index / 'CURRENT'} is not UTF-8 text): "
        f"run `searchkit index --full --index {index}`\n"
    )


def test_a_repl_on_a_damaged_index_rebuilds_it_from_the_seeds_it_remembers(
    pristine: tuple[Path, Path], tmp_path: Path
) -> None:
    """CURRENT is damaged, so the seeds folder comes from the newest store's manifest."""
    index = tmp_path / "index"
    shutil.copytree(pristine[1], index)
    (index / "CURRENT").write_bytes(b"\xff\xfe")
    result = run_cli("repl", "--index", index, cwd=tmp_path, input_text="damage\n")
    assert result.code == 0, result.stderr
    assert "the index was damaged" in result.stderr and "rebuilt it from scratch" in result.stderr
    assert "Damage A" in result.stdout


def test_a_store_replaced_by_a_file_is_rebuilt_and_the_file_removed(
    pristine: tuple[Path, Path], tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(pristine[1], index)
    store = live_store(index)
    shutil.rmtree(store)
    store.write_text("not a store")
    code, _out, err = _run("stats", "--index", index)
    assert code == 1 and f'CURRENT names "{store.name}", which is not a store folder' in err
    assert _run("index", "--full", "--seeds", pristine[0], "--index", index)[0] == 0
    assert not store.exists() and len(list(index.glob("store-*"))) == 1
