"""A full disk: the build stops with "no space left on DEVICE (needed about N MB)", exit 1;
everything it wrote is removed (even when Whoosh's own cleanup fails) and the previous index
stays searchable; taking and releasing the lock needs no space, so a run with nothing to do and
every search still work.

Two ways: a disk that fills at each write site of a build (postings, segment, table of
contents, manifest, CURRENT, the lock's pid), injected in this process, which runs anywhere;
and a real small tmpfs, where this machine allows mounting one (as root)."""

from __future__ import annotations

import builtins
import errno
import gc
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from index_helpers import (
    FIXTURE_SEEDS,
    copy_seeds,
    run_cli,
    seed_text,
    snapshot,
    stored_docs,
    write_file,
)
from whoosh.filedb import filestore
from whoosh.writing import SegmentWriter

import searchkit
from searchkit import BuildOptions, store

SITES = ("postings", "segment", "table of contents", "manifest", "CURRENT")
ONE_PROCESS = BuildOptions(worker_min_files=10**9, writer_limit_mb=0.02)  # postings spill


def _site(path: str) -> str | None:
    """Which write site of a build a file it writes belongs to."""
    name = os.path.basename(path)
    if ".tmp" + os.sep in path:
        return "postings"  # spilled runs, in the writer's temporary folder
    if re.fullmatch(r"_MAIN_\d+\.toc\..+", name):
        return "table of contents"
    if name.startswith(".manifest-"):
        return "manifest"
    if name.startswith(".CURRENT."):
        return "CURRENT"
    if re.fullmatch(r"MAIN_[0-9a-z]+\.\w+", name):
        return "segment"
    return None


class FillingDisk:
    """The disk the index is written to, seen through `open`: it fills up at the first write
    to a file of `site` (None: never), and says which sites were written."""

    def __init__(self, site: str | None = None) -> None:
        self.site = site
        self.full = False
        self.written: set[str] = set()

    def open(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = builtins.open(file, mode, *args, **kwargs)  # noqa: SIM115 (returned)
        if not any(c in mode for c in "wax+"):
            return handle
        return _Metered(handle, self, str(file))


class _Metered(io.IOBase):
    """A file being written, which fails with ENOSPC once the disk is full. A file object
    (an io.IOBase) like the one it wraps, so that what closes files closes it."""

    def __init__(self, handle: Any, disk: FillingDisk, path: str) -> None:
        super().__init__()
        self._handle, self._disk, self._path = handle, disk, path

    def write(self, data: Any) -> int:
        site = _site(self._path)
        if site is not None:
            self._disk.written.add(site)
        if site is not None and site == self._disk.site:
            self._disk.full = True
        if self._disk.full and len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._path)
        written: int = self._handle.write(data)
        return written

    def close(self) -> None:
        try:
            super().close()  # flushes
        finally:
            self._handle.close()

    def __del__(self) -> None:
        pass  # not closed by the collector: a file left open must show (ResourceWarning)

    def read(self, *args: Any) -> Any:
        return self._handle.read(*args)

    def seek(self, *args: Any) -> int:
        position: int = self._handle.seek(*args)
        return position

    def tell(self) -> int:
        position: int = self._handle.tell()
        return position

    def flush(self) -> None:
        self._handle.flush()

    def fileno(self) -> int:
        fd: int = self._handle.fileno()
        return fd

    def truncate(self, *args: Any) -> int:
        size: int = self._handle.truncate(*args)
        return size

    def readable(self) -> bool:
        return bool(self._handle.readable())

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._handle.seekable())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 fixture seeds."""
    folder = tmp_path_factory.mktemp("disk") / "seeds"
    folder.mkdir()
    for path in sorted(FIXTURE_SEEDS.iterdir())[:40]:
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


@pytest.fixture
def previous(seeds: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(seeds, index): a private copy of the seeds, and an index of them."""
    mine = copy_seeds(seeds, tmp_path / "seeds")
    index = tmp_path / "index"
    searchkit.build_index(mine, index, options=ONE_PROCESS)
    return mine, index


@pytest.fixture(autouse=True)
def _no_collector() -> Iterator[None]:
    """Without the cycle collector, whatever a failed build leaves held (a lock, a file) stays
    held: what a build releases it must release itself, not leave to the collector's timing."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _fill(monkeypatch: pytest.MonkeyPatch, disk: FillingDisk) -> None:
    monkeypatch.setattr(filestore, "open", disk.open, raising=False)
    monkeypatch.setattr(store, "open", disk.open, raising=False)


def _whoosh_cleanup_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoosh's writer.cancel() fails too (as it did on a real full disk, issue 15)."""

    def cancel(_writer: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SegmentWriter, "cancel", cancel)


def test_every_site_is_written_by_the_builds_below(
    previous: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sites the tests below fill the disk at are the ones a build writes."""
    seeds, index = previous
    disk = FillingDisk()
    _fill(monkeypatch, disk)
    searchkit.build_index(seeds, index, full=True, options=ONE_PROCESS)
    assert disk.written == set(SITES)


@pytest.mark.parametrize("cleanup_fails", [False, True], ids=["", "whoosh-cleanup-fails"])
@pytest.mark.parametrize("site", SITES)
def test_a_full_build_on_a_full_disk_leaves_the_index_as_it_was(
    previous: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, site: str, cleanup_fails: bool
) -> None:
    seeds, index = previous
    before, docs = snapshot(index, skip=[store.LOCK_FILE]), stored_docs(index)
    if cleanup_fails:
        _whoosh_cleanup_fails(monkeypatch)
    disk = FillingDisk(site)
    _fill(monkeypatch, disk)
    with pytest.raises(searchkit.DiskFullError) as info:
        searchkit.build_index(seeds, index, full=True, options=ONE_PROCESS)
    assert disk.full
    error = info.value
    assert error.remedy is searchkit.Remedy.FREE_SPACE and error.errno == errno.ENOSPC
    assert error.needed_bytes and error.needed_bytes > 0
    assert str(error).startswith(f"no space left on {error.device} (needed about ")
    assert (
        snapshot(index, skip=[store.LOCK_FILE]) == before
    )  # nothing it wrote is left, nothing else changed
    assert stored_docs(index) == docs
    monkeypatch.undo()
    assert searchkit.build_index(seeds, index, full=True).ok  # room again: it works


@pytest.mark.parametrize("cleanup_fails", [False, True], ids=["", "whoosh-cleanup-fails"])
@pytest.mark.parametrize("site", ["postings", "segment", "table of contents", "manifest"])
def test_an_incremental_build_on_a_full_disk_leaves_the_store_as_it_was(
    previous: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, site: str, cleanup_fails: bool
) -> None:
    seeds, index = previous
    for path in sorted(seeds.iterdir())[:25]:  # enough postings to spill
        write_file(path, path.read_text() + "\nChanged, at length. " * 40)
    before, docs = snapshot(index, skip=[store.LOCK_FILE]), stored_docs(index)
    if cleanup_fails:
        _whoosh_cleanup_fails(monkeypatch)
    disk = FillingDisk(site)
    _fill(monkeypatch, disk)
    with pytest.raises(searchkit.DiskFullError):
        searchkit.build_index(seeds, index, options=ONE_PROCESS)
    assert disk.full
    assert (
        snapshot(index, skip=[store.LOCK_FILE]) == before
    )  # no MAIN.tmp, no *.pst or *.trm, no new manifest
    assert stored_docs(index) == docs
    monkeypatch.undo()
    report = searchkit.build_index(seeds, index)
    assert report.ok and report.updated == 25


def test_the_lock_is_taken_without_free_space(
    previous: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing the holder's pid into the lock file is the lock's one write: on a full disk the
    lock holds without it, and another writer is told "another process"."""
    seeds, index = previous
    lock_inode = (index / store.LOCK_FILE).stat().st_ino
    real_pwrite = os.pwrite

    def pwrite(fd: int, data: bytes, offset: int) -> int:
        if os.fstat(fd).st_ino == lock_inode:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    report = searchkit.build_index(seeds, index)  # nothing to do
    assert report.ok and not report.changed
    with store.write_lock(index):
        assert (index / store.LOCK_FILE).read_bytes() == b""
        with pytest.raises(searchkit.IndexLockedError) as info:
            searchkit.build_index(seeds, index)
        assert info.value.pid is None and "another process" in str(info.value)


# --- a real full disk -----------------------------------------------------------------------------

DISK_MB = 16  # room for the fixture index twice over, and its rebuild


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of DISK_MB MB, mounted for the test (root, and a machine that allows it)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    point = tmp_path / "disk"
    point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _leave_free(disk: Path, free: int) -> None:
    """Fill the disk until about `free` bytes are left (in whole pages)."""
    stat = os.statvfs(disk)
    available = stat.f_bavail * stat.f_frsize
    filler = disk / f"filler-{len(list(disk.glob('filler-*')))}"
    with open(filler, "wb") as fh:
        todo = max(0, available - free)
        block = b"\0" * (1 << 20)
        try:
            while todo > 0:
                todo -= fh.write(block[: min(len(block), todo)])
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    os.sync()


def _free_up(disk: Path) -> None:
    for filler in disk.glob("filler-*"):
        filler.unlink()


@pytest.fixture
def on_small_disk(small_disk: Path) -> tuple[Path, Path]:
    """(seeds, index), both on the small disk: the fixture seeds and their index (~2.5 MB)."""
    seeds = copy_seeds(FIXTURE_SEEDS, small_disk / "seeds")
    index = small_disk / "index"
    assert run_cli("index", "--seeds", seeds, "--index", index).code == 0
    return seeds, index


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_full_build_on_a_full_tmpfs_says_so_and_leaves_nothing(
    on_small_disk: tuple[Path, Path], small_disk: Path
) -> None:
    seeds, index = on_small_disk
    before = snapshot(index, skip=[store.LOCK_FILE])
    _leave_free(small_disk, 1 << 20)
    result = run_cli("index", "--seeds", seeds, "--index", index, "--full")
    assert result.code == 1
    line = _one_line(result.stderr)
    assert re.fullmatch(
        rf"searchkit: no space left on {re.escape(str(small_disk))} \(tmpfs\) \(needed about "
        rf"[1-9]\d* MB\): free some space and run the command again; the index at "
        rf"{re.escape(str(index))} was left as it was",
        line,
    ), line
    assert snapshot(index, skip=[store.LOCK_FILE]) == before
    found = run_cli("search", "--index", index, "--json", "trump")
    assert found.code == 0 and found.json()["total"] > 0
    _free_up(small_disk)
    assert run_cli("index", "--seeds", seeds, "--index", index, "--full").code == 0


def test_a_two_process_full_build_on_a_full_tmpfs_leaves_nothing(
    on_small_disk: tuple[Path, Path], small_disk: Path
) -> None:
    seeds, index = on_small_disk
    before = snapshot(index, skip=[store.LOCK_FILE])
    _leave_free(small_disk, 1 << 20)
    with pytest.raises(searchkit.DiskFullError) as info:
        searchkit.build_index(
            seeds, index, full=True, options=BuildOptions(worker_min_files=0, chunk_size=8)
        )
    assert info.value.device == f"{small_disk} (tmpfs)"
    assert snapshot(index, skip=[store.LOCK_FILE]) == before


def test_nothing_to_do_and_searches_work_on_a_full_tmpfs(
    on_small_disk: tuple[Path, Path], small_disk: Path
) -> None:
    seeds, index = on_small_disk
    _leave_free(small_disk, 0)
    assert os.statvfs(small_disk).f_bavail == 0
    result = run_cli("index", "--seeds", seeds, "--index", index, "--json")
    assert result.code == 0, result.stderr
    assert result.json()["changed"] is False
    assert run_cli("search", "--index", index, "--json", "trump").code == 0
    assert run_cli("stats", "--index", index).code == 0


def test_an_incremental_build_on_a_full_tmpfs_leaves_no_temporary_files(
    on_small_disk: tuple[Path, Path], small_disk: Path
) -> None:
    seeds, index = on_small_disk
    for i, path in enumerate(sorted(seeds.iterdir())[:60]):
        write_file(path, seed_text(f"Changed {i}", f"https://full.example/{i}", body="x " * 3000))
    before, docs = snapshot(index, skip=[store.LOCK_FILE]), stored_docs(index)
    _leave_free(small_disk, 64 << 10)
    result = run_cli("index", "--seeds", seeds, "--index", index)
    assert result.code == 1
    assert "no space left on" in _one_line(result.stderr)
    assert snapshot(index, skip=[store.LOCK_FILE]) == before
    assert stored_docs(index) == docs
    _free_up(small_disk)
    again = run_cli("index", "--seeds", seeds, "--index", index, "--json")
    assert again.code == 0 and again.json()["updated"] == 60
