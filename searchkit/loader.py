"""Seeds folder -> seed files with their stat, and -> parsed seeds (or the reason they failed).

Incremental runs with many changed seeds (and full dry runs) parse in a worker process while
the caller works, so both cores are used; full builds share parsing and indexing between two
processes in parallel.py, which starts its worker with the helpers at the end of this module.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import functools
import hashlib
import os
import pickle
import subprocess
import sys
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any

from .documents import MAX_SEED_BYTES, SEED_SUFFIXES, RelatedEntry, Seed, parse_seed_bytes
from .errors import SeedError, SeedsFolderError
from .records import Image, Provider

# Below this many files a worker process costs more than it saves.
WORKER_THRESHOLD = 400
CHUNK_SIZE = 128


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A seed file found in the folder; `path` is relative, with `/` separators."""

    path: str
    mtime_ns: int
    size: int


@dataclass(frozen=True, slots=True)
class Loaded:
    """The outcome of reading one seed file: a Seed, or the error that stopped it."""

    file: SeedFile
    digest: str
    seed: Seed | None = None
    error: str | None = None


FileStat = tuple[int, int]  # (mtime_ns, size)


def scan_seeds(root: Path) -> dict[str, FileStat]:
    """Every seed file under `root`, recursively, by relative path (`/` separators), with its
    (mtime_ns, size); hidden entries are skipped and symlinks are followed only while they stay
    inside `root`.

    A no-op build over a large folder is mostly this scan, so the loop keeps per-file work to
    one stat call and a tuple."""
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise SeedsFolderError(f"the seeds folder {root} {what}; pass --seeds DIR")
    real_root = os.path.realpath(root)
    found: dict[str, FileStat] = {}
    visited: set[str] = {real_root}
    stack = [(str(root), "")]
    suffixes = SEED_SUFFIXES
    while stack:
        folder, prefix = stack.pop()
        try:
            # Entries of a folder opened by descriptor are stat-ed relative to it, which
            # saves resolving the whole path 100,000 times.
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                with os.scandir(fd) as it:
                    entries = list(it)
            except BaseException:
                os.close(fd)
                raise
        except OSError as exc:
            raise SeedsFolderError(f"cannot read {folder}: {exc.strerror}") from None
        try:
            files: list[str] = []
            for entry in entries:
                name = entry.name
                if name[0] == ".":
                    continue
                try:
                    if (
                        name.endswith(suffixes) or name.lower().endswith(suffixes)
                    ) and entry.is_file(follow_symlinks=False):
                        files.append(name)
                    elif entry.is_dir(follow_symlinks=False):
                        path = os.path.join(folder, name)
                        visited.add(os.path.realpath(path))
                        stack.append((path, prefix + name + "/"))
                    elif entry.is_symlink():
                        path = os.path.join(folder, name)
                        _follow(path, prefix + name, real_root, visited, stack, found)
                except OSError:
                    continue  # vanished while scanning: the next run sees the folder as it is
            for name, stat in _stat_files(folder, fd, files):
                found[prefix + name] = stat
        finally:
            os.close(fd)
    return found


# A folder with at least this many seed files is stat-ed by two processes: stat() is most of a
# no-op build, and in CPython most of its cost is building the result, which holds the GIL.
PARALLEL_STAT = 20_000

_STAT_SCRIPT = """
import os, stat, sys
from array import array
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
out = array("q")
for name in sys.stdin.buffer.read().split(b"\\0"):
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError:
        out.extend((0, 0, 0))
        continue
    out.extend((st.st_mtime_ns, st.st_size, stat.S_ISREG(st.st_mode)))
sys.stdout.buffer.write(out.tobytes())
"""


def _stat_files(folder: str, fd: int, names: list[str]) -> list[tuple[str, FileStat]]:
    """(name, (mtime_ns, size)) of the regular files among `names` (in the folder open as
    `fd`); in two processes for a large folder on a machine with more than one core."""
    half = len(names) // 2
    if len(names) < PARALLEL_STAT or _cores() < 2:
        return _stat_here(fd, names)
    theirs = names[half:]
    try:
        helper = subprocess.Popen(
            [sys.executable, "-S", "-c", _STAT_SCRIPT, folder],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return _stat_here(fd, names)
    assert helper.stdin is not None and helper.stdout is not None
    feed = threading.Thread(target=_feed, args=(helper.stdin, theirs), daemon=True)
    feed.start()
    found = _stat_here(fd, names[:half])
    data = helper.stdout.read()
    feed.join()
    helper.stdout.close()
    if helper.wait() != 0 or len(data) != 24 * len(theirs):
        return found + _stat_here(fd, theirs)  # the helper failed: do its share here
    rows = array("q")
    rows.frombytes(data)
    found += [
        (name, (rows[3 * i], rows[3 * i + 1])) for i, name in enumerate(theirs) if rows[3 * i + 2]
    ]
    return found


def _cores() -> int:
    """The cores this process may run on (os.sched_getaffinity is Linux-only)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _feed(pipe: Any, names: list[str]) -> None:
    with contextlib.suppress(OSError), pipe:
        pipe.write(b"\0".join(map(os.fsencode, names)))


def _stat_here(fd: int, names: list[str]) -> list[tuple[str, FileStat]]:
    found = []
    stat = os.stat
    for name in names:
        try:
            st = stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            continue  # vanished while scanning: the next run sees the folder as it is
        if S_ISREG(st.st_mode):
            found.append((name, (st.st_mtime_ns, st.st_size)))
    return found


def _follow(
    path: str,
    rel: str,
    real_root: str,
    visited: set[str],
    stack: list[tuple[str, str]],
    found: dict[str, FileStat],
) -> None:
    """A symlink found by scan_seeds: its folder is scanned, or its file taken, if it stays
    inside the seeds folder."""
    target = os.path.realpath(path)
    if os.path.commonpath([real_root, target]) != real_root:
        return
    if os.path.isdir(target):
        if target not in visited:
            visited.add(target)
            stack.append((path, rel + "/"))
    elif path.lower().endswith(SEED_SUFFIXES) and os.path.isfile(target):
        st = os.stat(target)
        found[rel] = (st.st_mtime_ns, st.st_size)


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
        return Loaded(file, "", error=f"cannot read the file: {exc.strerror}")
    digest = digest_bytes(data)
    try:
        return Loaded(file, digest, seed=parse_seed_bytes(file.path, data))
    except SeedError as exc:
        return Loaded(file, digest, error=exc.detail)
    except Exception as exc:  # a parser bug must cost one seed, not the whole build
        return Loaded(file, digest, error=f"cannot be parsed ({type(exc).__name__}: {exc})")


def load_seeds(
    root: Path, files: Sequence[SeedFile], *, on_progress: Callable[[int], None] | None = None
) -> Iterator[Loaded]:
    """Yield the outcome of every file, in the order given."""
    root_s = str(root)
    outcomes = (
        _in_process(root_s, files) if len(files) < WORKER_THRESHOLD else _in_worker(root_s, files)
    )
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


# Rebuilding the seed dataclasses through their constructors unpickles about twice as fast as
# their generated __setstate__, and equal providers come back as one shared object.


@functools.lru_cache(maxsize=4096)
def _provider(name: str | None, domain: str | None) -> Provider:
    return Provider(name, domain)


def _by_constructor(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    names = [f.name for f in dataclasses.fields(cls)]
    return lambda obj: (cls, tuple(getattr(obj, n) for n in names))


_DISPATCH: dict[type, Callable[[Any], Any]] = {
    **copyreg.dispatch_table,
    Seed: _by_constructor(Seed),
    RelatedEntry: _by_constructor(RelatedEntry),
    Image: _by_constructor(Image),
    Provider: lambda p: (_provider, (p.name, p.domain)),
}


def dump(obj: Any, out: Any) -> None:
    """Pickle `obj` (seeds, outcomes) to a worker's pipe, the fast way (see above)."""
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(obj)


# --- worker processes ------------------------------------------------------------------------


def start_child(argv: list[str], *, pass_fds: Sequence[int] = ()) -> subprocess.Popen[bytes]:
    """A `python -m searchkit...` worker with pipes on stdin and stdout, able to import this
    package (also when it is not installed)."""
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        pass_fds=tuple(pass_fds),
    )


def stop_child(proc: subprocess.Popen[bytes]) -> None:
    """Kill a worker if it still runs, reap it and close its pipes."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
