"""Seed files -> parsed seeds, or the reason each one failed.

Incremental runs with many changed seeds (and full dry runs) parse in a worker process while
the caller works, so both cores are used; full builds share parsing and indexing between
processes in build/.
"""

from __future__ import annotations

import errno
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .documents import MAX_SEED_BYTES, Seed, parse_seed_bytes
from .errors import SeedError
from .scan import FileStat
from .workers import dump, start_child, stop_child

# Below this many files a worker process costs more than it saves.
PARSE_WORKER_MIN_FILES = 400
CHUNK_SIZE = 128


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A seed file found in the folder; `path` is relative, with `/` separators."""

    path: str
    mtime_ns: int
    size: int


@dataclass(frozen=True, slots=True)
class Loaded:
    """The outcome of reading one seed file: a Seed, or the error that stopped it. `failed`:
    the file could not be read at all (it is unreadable, not invalid: a build keeps what it
    had of it and reads it again next time)."""

    file: SeedFile
    digest: str
    seed: Seed | None = None
    error: str | None = None
    failed: bool = False


def seed_files(stats: dict[str, FileStat], paths: Iterable[str]) -> list[SeedFile]:
    """SeedFile values for `paths`, from a scan."""
    return [SeedFile(p, *stats[p]) for p in paths]


def digest_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def read_seed(root: str, file: SeedFile) -> Loaded:
    """Read, hash and parse one seed file; never raises for a bad file."""
    try:
        with open(os.path.join(root, file.path), "rb") as fh:
            data = fh.read(MAX_SEED_BYTES + 1)
            if len(data) > MAX_SEED_BYTES:
                size = max(file.size, os.fstat(fh.fileno()).st_size)
                return Loaded(
                    file,
                    digest_bytes(data),
                    error=(f"the file is {size:,} bytes; seeds may be at most 1 MiB"),
                )
    except OSError as exc:
        return Loaded(file, "", error=read_failure(exc), failed=True)
    digest = digest_bytes(data)
    try:
        return Loaded(file, digest, seed=parse_seed_bytes(file.path, data))
    except SeedError as exc:
        return Loaded(file, digest, error=exc.detail)
    except Exception as exc:  # a parser bug must cost one seed, not the whole build
        return Loaded(file, digest, error=f"cannot be parsed ({type(exc).__name__}: {exc})")


def read_failure(exc: OSError) -> str:
    """Why a seed file the scan found could not be read, and what to do."""
    if exc.errno == errno.ENOENT:
        return "the file vanished while the build ran; the next run reads it again"
    return f"cannot read the file ({exc.strerror}); make it readable for this user"


def load_seeds(
    root: Path,
    files: Sequence[SeedFile],
    *,
    on_progress: Callable[[int], None] | None = None,
    worker_min: int = PARSE_WORKER_MIN_FILES,
) -> Iterator[Loaded]:
    """Yield the outcome of every file, in the order given; `worker_min` files or more are
    parsed in a worker process."""
    root_s = str(root)
    outcomes = _in_process(root_s, files) if len(files) < worker_min else _in_worker(root_s, files)
    for done, loaded in enumerate(outcomes, 1):
        yield loaded
        if on_progress and (done % 64 == 0 or done == len(files)):
            on_progress(done)


def _in_process(root: str, files: Sequence[SeedFile]) -> Iterator[Loaded]:
    return (read_seed(root, f) for f in files)


def _in_worker(root: str, files: Sequence[SeedFile]) -> Iterator[Loaded]:
    """Parse in a child interpreter (`python -m searchkit._parse_worker`), streaming results back.

    The child reads the whole file list before it writes anything, so the pipes cannot
    deadlock; its writes block while the caller is busy, which bounds memory. If the child
    dies, the files it did not report are parsed here.
    """
    proc = start_child([sys.executable, "-m", "searchkit._parse_worker", root])
    assert proc.stdin is not None and proc.stdout is not None
    done = 0
    try:
        try:
            pickle.dump(list(files), proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.close()
            while True:
                chunk: list[Loaded] = pickle.load(proc.stdout)
                yield from chunk
                done += len(chunk)
        except (EOFError, BrokenPipeError, pickle.UnpicklingError):
            pass
    finally:
        stop_child(proc)
    yield from _in_process(root, files[done:])


def worker_main(root: str) -> None:
    """The child's side of _in_worker: file list in on stdin, pickled chunks out on stdout."""
    files: list[SeedFile] = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for i in range(0, len(files), CHUNK_SIZE):
        dump([read_seed(root, f) for f in files[i : i + CHUNK_SIZE]], out)
        out.flush()
