"""`searchkit index --watch` and `searchkit.watch()`: the index follows its seeds folder.

The watch runs for real (watchfiles on this machine's inotify), in a subprocess for the command
line and in a thread for the library. Waits are bounded (a stuck watcher fails the test
instead of hanging it), never timed assertions.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from index_helpers import (
    assert_matches_full_build,
    cli_env,
    run_cli,
    seed_text,
    write_file,
    write_small_folder,
)

import searchkit
from searchkit import store as st
from searchkit import watcher as watcher_module
from searchkit.watcher import WatchNotice, is_seed_path

WAIT = 60.0  # seconds: the bound on any one wait (a stuck watcher fails, not hangs)
BROKEN = "---\ntitle: [not closed\n---\n"
WATCH = (sys.executable, "-m", "searchkit", "index", "--watch")


def _seed(name: str) -> str:
    return seed_text(f"Watched {name}", f"https://watch.example/{name}", body=f"about {name}")


def _titles(index: Path, query: str) -> list[str]:
    result = run_cli("search", "--index", index, "--json", query)
    assert result.code == 0, result.stderr
    return [hit["title"] for hit in result.json()["hits"]]


class WatchProcess:
    """`searchkit index --watch --json` in a subprocess; its reports read as they come."""

    def __init__(self, seeds: Path, index: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [*WATCH, "--json", "--seeds", str(seeds), "--index", str(index), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
        )
        self.reports: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_err, daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.reports.put(json.loads(line))

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def next_report(self) -> dict[str, Any]:
        try:
            return self.reports.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no report; stderr: {''.join(self.stderr)}") from None

    def stop(self, signum: int = signal.SIGINT) -> int:
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=WAIT)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for reader in self.readers:
            reader.join(WAIT)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, Path, WatchProcess]]:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Start", "start.example")
    proc = WatchProcess(seeds, index)
    try:
        first = proc.next_report()
        assert first["added"] == 2 and first["full"]
        yield seeds, index, proc
    finally:
        proc.close()


def test_watch_follows_writes_renames_and_deletes(watched) -> None:
    seeds, index, proc = watched
    write_file(seeds / "sub" / "wallaby.md", _seed("wallaby"))
    report = proc.next_report()
    assert (report["added"], report["seed_files"]) == (1, 3)
    assert set(report) >= {"added", "updated", "renamed", "removed", "errors", "seconds"}
    assert _titles(index, "wallaby") == ["Watched wallaby"]

    os.rename(seeds / "sub" / "wallaby.md", seeds / "moved.md")
    report = proc.next_report()
    assert (report["renamed"], report["added"], report["removed"]) == (1, 0, 0)
    assert _titles(index, "wallaby") == ["Watched wallaby"]

    write_file(seeds / "moved.md", _seed("wombat"))
    report = proc.next_report()
    assert report["updated"] == 1
    assert _titles(index, "wombat") == ["Watched wombat"] and _titles(index, "wallaby") == []

    (seeds / "moved.md").unlink()
    report = proc.next_report()
    assert report["removed"] == 1
    assert _titles(index, "wombat") == []
    assert proc.stop() == 0


def test_editor_temp_files_are_ignored_and_a_bad_seed_is_survived(watched) -> None:
    seeds, index, proc = watched
    for name in (".a.md.swp", "a.md~", "#a.md#", ".hidden.md", "notes.pdf", "4913", "x.md.tmp"):
        write_file(seeds / name, BROKEN)
    (seeds / "4913").unlink()
    write_file(seeds / "broken.md", BROKEN)
    report = proc.next_report()  # the first report after the temp files: the broken seed's
    assert [(e["path"], e["new"]) for e in report["errors"]] == [("broken.md", True)]
    assert (report["added"], report["unchanged"], report["seed_files"]) == (0, 2, 3)
    write_file(seeds / "fine.md", _seed("fine"))
    report = proc.next_report()
    assert report["added"] == 1 and [e["new"] for e in report["errors"]] == [False]
    assert _titles(index, "fine") == ["Watched fine"]
    assert proc.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_watch_cleanly(watched, signum: int) -> None:
    seeds, index, proc = watched
    write_file(seeds / "late.md", _seed("late"))
    assert proc.next_report()["added"] == 1
    assert proc.stop(signum) == 0
    # The lock is free, and the index is whole and up to date.
    with st.write_lock(index, wait=None):
        pass
    again = searchkit.build_index(seeds, index)
    assert again.up_to_date and not again.changed
    assert _titles(index, "late") == ["Watched late"]


def test_text_output_is_one_line_per_batch(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Text", "text.example")
    proc = subprocess.Popen(
        [*WATCH, "--seeds", str(seeds), "--index", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith("Built ")
        assert "watching" in proc.stderr.readline()
        write_file(seeds / "c.md", _seed("c"))
        line = proc.stdout.readline()
        assert "1 added, 0 updated, 0 renamed, 0 removed, 2 unchanged in " in line, line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=WAIT) == 0
        assert proc.stdout.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()


def test_watch_and_dry_run_together_are_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("index", "--watch", "--dry-run", "--index", tmp_path / "index")
    assert result.code == 2 and "--dry-run" in result.stderr


# --- the library ------------------------------------------------------------------------------


class LibraryWatch:
    """searchkit.watch() in a thread, its reports and notices in queues."""

    def __init__(self, seeds: Path, index: Path) -> None:
        self.stop = threading.Event()
        self.reports: queue.Queue[searchkit.IndexReport] = queue.Queue()
        self.notices: queue.Queue[WatchNotice] = queue.Queue()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(seeds, index), daemon=True)
        self.thread.start()

    def _run(self, seeds: Path, index: Path) -> None:
        try:
            searchkit.watch(
                seeds,
                index,
                on_report=self.reports.put,
                on_notice=self.notices.put,
                stop=self.stop,
            )
        except BaseException as exc:
            self.errors.append(exc)

    def report(self) -> searchkit.IndexReport:
        try:
            return self.reports.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no report (errors: {self.errors})") from None

    def notice(self) -> WatchNotice:
        try:
            return self.notices.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no notice (errors: {self.errors})") from None

    def close(self) -> None:
        self.stop.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        assert not self.errors, self.errors


def test_library_watch_reports_batches_until_stopped(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Lib", "lib.example")
    w = LibraryWatch(seeds, index)
    try:
        assert w.report().added == 2
        for i in range(5):
            write_file(seeds / f"burst-{i}.md", _seed(f"burst{i}"))
        added = 0
        while added < 5:
            added += w.report().added
        assert added == 5
    finally:
        w.close()
    assert_matches_full_build(seeds, index, tmp_path)


def test_the_folder_vanishing_and_coming_back_is_waited_for(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Gone", "gone.example")
    w = LibraryWatch(seeds, index)
    try:
        w.report()
        os.rename(seeds, tmp_path / "away")
        assert w.notice().kind == "vanished"
        write_file(tmp_path / "away" / "c.md", _seed("c"))
        os.rename(tmp_path / "away", seeds)
        assert w.notice().kind == "back"
        assert w.report().added == 1
        write_file(seeds / "d.md", _seed("d"))  # followed again
        assert w.report().added == 1
    finally:
        w.close()
    assert_matches_full_build(seeds, index, tmp_path)


def test_another_writer_is_waited_for(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Lock", "lock.example")
    w = LibraryWatch(seeds, index)
    try:
        w.report()
        with st.write_lock(index, wait=None):
            write_file(seeds / "c.md", _seed("c"))
            notice = w.notice()
            assert notice.kind == "locked" and notice.error is not None
            assert w.reports.empty()
        assert w.report().added == 1
    finally:
        w.close()


def test_lost_events_are_caught_when_the_burst_settles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when the kernel's event queue overflows: of each burst, only the first batch of
    events arrives, the rest are lost. The scan once the burst has settled still brings the
    index in step with the folder."""
    real = watcher_module.Watcher.changes

    def lossy(self: watcher_module.Watcher) -> Iterator[set[Any]]:
        delivered = False  # a batch of this burst was delivered
        for changes in real(self):
            if not changes:
                delivered = False  # quiet: the burst is over
            elif delivered:
                continue  # lost, as an overflowed queue loses them
            else:
                delivered = True
            yield changes

    monkeypatch.setattr(watcher_module.Watcher, "changes", lossy)
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Lossy", "lossy.example")
    w = LibraryWatch(seeds, index)
    try:
        w.report()
        for i in range(60):
            write_file(seeds / f"sub{i % 3}" / f"n{i}.md", _seed(f"n{i}"))
        (seeds / "b.md").unlink()
        os.rename(seeds / "a.md", seeds / "sub0" / "a.md")
        write_file(seeds / "last.md", _seed("last"))  # a scan that sees it sees the rest
        while w.report().seed_files != 62:
            pass
    finally:
        w.close()
    assert_matches_full_build(seeds, index, tmp_path)


def test_a_first_build_error_is_raised(tmp_path: Path) -> None:
    with pytest.raises(searchkit.SeedsFolderError):
        searchkit.watch(tmp_path / "nowhere", tmp_path / "index", stop=threading.Event())


@pytest.mark.parametrize(
    ("name", "seed"),
    [
        ("a.md", True),
        ("sub/b.markdown", True),
        ("C.TXT", True),
        ("sub", True),  # a folder, or a name that was one
        (".a.md.swp", False),
        ("a.md~", False),
        ("#a.md#", False),
        (".#a.md", False),
        (".hidden/a.md", False),
        ("a.md.tmp", False),
        ("notes.pdf", False),
        ("a.md.bak", False),
    ],
)
def test_which_paths_are_seeds(tmp_path: Path, name: str, seed: bool) -> None:
    assert is_seed_path(tmp_path / name, tmp_path) is seed


def test_a_file_without_a_suffix_is_not_a_seed(tmp_path: Path) -> None:
    write_file(tmp_path / "4913", "x")
    assert not is_seed_path(tmp_path / "4913", tmp_path)
    (tmp_path / "folder").mkdir()
    assert is_seed_path(tmp_path / "folder", tmp_path)


def test_a_folder_that_cannot_be_watched_is_said_and_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = watcher_module.Watcher.changes
    failures = iter([OSError(28, "inotify watch limit reached")])

    def failing_once(self: watcher_module.Watcher) -> Iterator[set[Any]]:
        for exc in failures:
            raise exc
        yield from real(self)

    monkeypatch.setattr(watcher_module.Watcher, "changes", failing_once)
    monkeypatch.setattr(watcher_module, "RETRY_SECONDS", 0.1)
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_small_folder(seeds, "Limit", "limit.example")
    w = LibraryWatch(seeds, index)
    try:
        w.report()
        notice = w.notice()
        assert notice.kind == "unwatched" and "watch limit" in notice.detail
        write_file(seeds / "c.md", _seed("c"))  # followed once it can be
        assert w.report().added == 1
    finally:
        w.close()
