"""Exactly one writer: a second `searchkit index` fails at once naming the holder, or waits
with --wait; a lock left by a killed process does not block the next build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from index_helpers import cli_env, related, run_cli, seed_text, stored_docs, write_file

import searchkit

HOLDER = """
import sys, time
from pathlib import Path
from searchkit import store
with store.write_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
print("released", flush=True)
"""


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, Path]:
    seeds = tmp_path / "seeds"
    write_file(
        seeds / "a.md",
        seed_text(
            "Lock test A",
            "https://lock.example/a",
            related=[related("S", "https://lock.example/s")],
        ),
    )
    write_file(seeds / "b.md", seed_text("Lock test B", "https://lock.example/b"))
    return seeds, tmp_path / "index"


class Holder:
    """A separate process holding the index's write lock for `seconds`."""

    def __init__(self, index: Path, seconds: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(index), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
            env=cli_env(),
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "locked"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def wait(self) -> None:
        self.proc.wait(timeout=30)


@pytest.fixture
def holders():
    started: list[Holder] = []

    def start(index: Path, seconds: float) -> Holder:
        holder = Holder(index, seconds)
        started.append(holder)
        return holder

    yield start
    for holder in started:
        holder.kill()
        if holder.proc.stdout:
            holder.proc.stdout.close()


def test_second_writer_fails_at_once_naming_the_holder(folder, holders):
    seeds, index = folder
    holder = holders(index, 60)
    started = time.monotonic()
    result = run_cli("index", "--seeds", seeds, "--index", index)
    assert time.monotonic() - started < 10
    assert result.code == 1
    assert f"process {holder.pid}" in result.stderr
    assert "locked" in result.stderr and "--wait" in result.stderr
    assert result.stdout == ""
    assert not (index / "CURRENT").exists()  # nothing was built


def test_second_writer_via_the_api_raises_index_locked_error_with_the_pid(folder, holders):
    seeds, index = folder
    searchkit.build_index(seeds, index)
    holder = holders(index, 60)
    with pytest.raises(searchkit.IndexLockedError) as info:
        searchkit.build_index(seeds, index)
    assert info.value.pid == holder.pid
    with pytest.raises(searchkit.IndexLockedError):
        searchkit.build_index(seeds, index, wait=0.3)
    # Readers are not blocked by a writer.
    assert searchkit.index_stats(index).documents == 3
    assert searchkit.build_index(seeds, index, dry_run=True).documents == 3


def test_wait_succeeds_once_the_holder_exits(folder, holders):
    seeds, index = folder
    holder = holders(index, 1.5)
    started = time.monotonic()
    result = run_cli("index", "--seeds", seeds, "--index", index, "--wait", "10", "--json")
    waited = time.monotonic() - started
    assert result.code == 0, result.stderr
    assert result.json()["documents"] == 3
    assert holder.proc.poll() is not None  # it finished before we could write
    # It said whom it waited for, at once (on stderr: stdout is the JSON report).
    assert result.stderr.startswith(f"searchkit: waiting for process {holder.pid}, ")
    assert "(at most 10 s)" in result.stderr
    assert 0.5 < waited < 10


def test_wait_gives_up_after_its_timeout(folder, holders):
    seeds, index = folder
    holder = holders(index, 60)
    started = time.monotonic()
    result = run_cli("index", "--seeds", seeds, "--index", index, "--wait", "1")
    assert 0.9 < time.monotonic() - started < 10
    assert result.code == 1
    assert str(holder.pid) in result.stderr


def test_lock_left_by_a_killed_holder_does_not_block(folder, holders):
    seeds, index = folder
    holder = holders(index, 60)
    holder.kill()
    lock_file = index / "write.lock"
    assert lock_file.read_text().strip() == str(holder.pid)  # the stale lock file is still there
    result = run_cli("index", "--seeds", seeds, "--index", index, "--json")
    assert result.code == 0, result.stderr
    assert result.json()["documents"] == 3
    assert set(stored_docs(index)) == {
        "https://lock.example/a",
        "https://lock.example/b",
        "https://lock.example/s",
    }


def test_lock_is_released_after_a_build_and_after_a_failed_one(folder, tmp_path: Path):
    seeds, index = folder
    assert run_cli("index", "--seeds", seeds, "--index", index).code == 0
    assert run_cli("index", "--seeds", tmp_path / "missing", "--index", index, "--full").code == 1
    # Neither run left the lock held: a third process takes it at once.
    probe = subprocess.run(
        [sys.executable, "-c", HOLDER, str(index), "0"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=30,
    )
    assert probe.stdout.split() == ["locked", "released"]
    assert os.path.exists(index / "CURRENT")
