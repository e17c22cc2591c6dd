"""Whoosh's errors -> searchkit's, at one boundary.

searchkit calls into Whoosh in four ways, and each runs inside one of these context managers:

    parsing(text)          query text -> Whoosh query  -> QueryError
    opening(index, store)  opening a Whoosh index       -> IndexDamagedError
    reading(index, store)  searches, lookups, stats    -> IndexDamagedError
    writing(index)         builds                      -> IndexWriteError (DiskFullError),
                                                          IndexDamagedError

Whoosh's exceptions share no base class (one of them is even called IndexError), and reading
a damaged or half-replaced file raises whatever the damage provokes: struct.error, EOFError,
OSError, UnicodeDecodeError, pickle and zlib errors, but also ValueError, IndexError or
KeyError from deep inside Whoosh. So the file errors and Whoosh's own types are translated
whatever raised them, and any other exception by where it comes from: raised inside Whoosh
(or inside this package, while it reads Whoosh's structures), it is translated; raised by
searchkit's own code, it is a bug and goes up unchanged.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import pickle
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import whoosh

from ..errors import (
    DiskFullError,
    IndexDamagedError,
    IndexWriteError,
    QueryError,
    SearchkitError,
)
from ..store import device_of

_WHOOSH_DIR = os.path.dirname(os.path.abspath(whoosh.__file__)) + os.sep
_SEAM_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SEARCHKIT_DIR = os.path.dirname(_SEAM_DIR.rstrip(os.sep)) + os.sep
_THIS_FILE = os.path.abspath(__file__)

# What reading a damaged, truncated or replaced file raises.
FILE_ERRORS = (
    struct.error,
    EOFError,
    OSError,
    UnicodeDecodeError,
    pickle.UnpicklingError,
    zlib.error,
    MemoryError,
)


def from_whoosh(exc: BaseException) -> bool:
    """Whether `exc` came out of Whoosh's reading of its files rather than out of searchkit's
    own code: a file error, a type Whoosh defines, or an exception raised inside Whoosh or
    this package below the innermost frame of searchkit's own code."""
    if isinstance(exc, FILE_ERRORS) or type(exc).__module__.split(".")[0] == "whoosh":
        return True
    frames = [name for name in _frames(exc.__traceback__) if name != _THIS_FILE]
    own = [i for i, name in enumerate(frames) if _is_own(name)]
    below = frames[own[-1] + 1 :] if own else frames
    return any(name.startswith((_WHOOSH_DIR, _SEAM_DIR)) for name in below)


def _frames(tb: TracebackType | None) -> list[str]:
    names = []
    while tb is not None:
        names.append(os.path.abspath(tb.tb_frame.f_code.co_filename))
        tb = tb.tb_next
    return names


def _is_own(filename: str) -> bool:
    return filename.startswith(_SEARCHKIT_DIR) and not filename.startswith(_SEAM_DIR)


def describe(exc: BaseException) -> str:
    """What went wrong, in a few words: the exception's type and message (struct.error and
    zlib.error named with their module)."""
    text = str(exc).strip()
    kind = type(exc).__name__
    if kind == "error":
        kind = f"{type(exc).__module__}.error"
    return f"{kind}: {text}" if text else kind


@contextlib.contextmanager
def parsing(text: str) -> Iterator[None]:
    """Run Whoosh's query parser on `text`: whatever it raises is a QueryError."""
    try:
        yield
    except SearchkitError:
        raise
    except Exception as exc:  # Whoosh's parser raises assorted types on odd input
        raise QueryError(text, f"cannot parse it ({exc})") from exc


def close_left_open(exc: BaseException, *, deep: bool = False) -> None:
    """Close the files Whoosh had open where `exc` was raised: failing to read a damaged file,
    or to write one, it leaves them open, to be closed (with a ResourceWarning) only when the
    error is collected. `deep`: also those held by the objects of those frames (a writer
    that failed while it was being made); for writers only, whose objects are all dropped."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if os.path.abspath(frame.f_code.co_filename).startswith(_WHOOSH_DIR):
            for value in list(frame.f_locals.values()):
                if deep:
                    close_files_in(value)
                    continue
                for stream in (value, getattr(value, "file", None)):
                    if isinstance(stream, io.IOBase) and not stream.closed:
                        with contextlib.suppress(Exception):
                            stream.close()
        tb = tb.tb_next


def close_files_in(root: Any, depth: int = 8) -> None:
    """Close the open files reachable from `root` through the attributes, lists and dicts of
    Whoosh's and searchkit's objects (a writer's segment, postings and column files)."""
    seen: set[int] = set()
    todo = [(root, 0)]
    while todo:
        obj, level = todo.pop()
        if id(obj) in seen or level > depth:
            continue
        seen.add(id(obj))
        if isinstance(obj, io.IOBase):
            with contextlib.suppress(Exception):
                obj.close()
            continue
        if isinstance(obj, dict):
            children = list(obj.values())
        elif isinstance(obj, list | tuple | set):
            children = list(obj)
        elif type(obj).__module__.startswith(("whoosh", "searchkit")):
            slots = getattr(type(obj), "__slots__", ())
            names = [slots] if isinstance(slots, str) else list(slots)
            children = list(getattr(obj, "__dict__", {}).values())
            children += [getattr(obj, name, None) for name in names]
        else:
            continue
        todo.extend((child, level + 1) for child in children)


def _damaged(index_dir: Path, store: Path | None, what: str, exc: BaseException) -> Exception:
    """The damage `exc` reveals, in the file it names, else in the store (or the index)."""
    close_left_open(exc)
    filename = getattr(exc, "filename", None)
    where = filename if isinstance(filename, str) else (store or index_dir)
    cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else describe(exc)
    return IndexDamagedError(str(index_dir), f"cannot be {what}: {cause}", str(where))


@contextlib.contextmanager
def opening(index_dir: Path, store: Path) -> Iterator[None]:
    """Open the Whoosh index of `store`: any failure means the store is damaged."""
    try:
        yield
    except SearchkitError:
        raise
    except Exception as exc:  # Whoosh raises assorted types for a damaged index
        raise _damaged(index_dir, store, "opened", exc) from exc


@contextlib.contextmanager
def reading(index_dir: Path, store: Path | None = None) -> Iterator[None]:
    """Read the index (search, look up, count): what Whoosh raises means damage."""
    try:
        yield
    except SearchkitError:
        raise
    except Exception as exc:
        if not from_whoosh(exc):
            raise
        raise _damaged(index_dir, store, "read", exc) from exc


# errno values of a full disk (or a used-up quota)
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


@contextlib.contextmanager
def writing(index_dir: Path, *, needed: Callable[[], int | None] | None = None) -> Iterator[None]:
    """Write the index (a build): a failure to write a file is an IndexWriteError, a
    DiskFullError when the disk is full (`needed()` estimates the bytes the build needed);
    anything else Whoosh raises means the index it started from is damaged."""
    try:
        yield
    except SearchkitError:
        raise
    except OSError as exc:
        close_left_open(exc, deep=True)  # what Whoosh failed to write, it leaves open
        if exc.errno in NO_SPACE:
            device = device_of(index_dir)
            estimate = needed() if needed is not None else None
            raise DiskFullError(str(index_dir), exc, device=device, needed_bytes=estimate) from exc
        raise IndexWriteError(str(index_dir), exc) from exc
    except Exception as exc:
        if not from_whoosh(exc):
            raise
        raise _damaged(index_dir, None, "updated", exc) from exc
