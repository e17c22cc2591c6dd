"""Whoosh's errors -> searchkit's, at one boundary.

searchkit calls into Whoosh in four ways, and each runs inside one of these context managers:

    parsing(text)          query text -> Whoosh query  -> QueryError
    opening(index, store)  opening a Whoosh index       -> IndexCorruptError
    reading(index, store)  searches, lookups, stats    -> IndexCorruptError
    writing(index)         builds                      -> IndexWriteError, IndexCorruptError

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
import os
import pickle
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import whoosh

from ..errors import IndexCorruptError, IndexWriteError, QueryError, SearchkitError

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
    """What went wrong, in a few words: the exception's type and message."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextlib.contextmanager
def parsing(text: str) -> Iterator[None]:
    """Run Whoosh's query parser on `text`: whatever it raises is a QueryError."""
    try:
        yield
    except SearchkitError:
        raise
    except Exception as exc:  # Whoosh's parser raises assorted types on odd input
        raise QueryError(text, f"cannot parse it ({exc})") from exc


def _damaged(index_dir: Path, store: Path | None, what: str, exc: BaseException) -> Exception:
    where = store if store is not None else index_dir
    return IndexCorruptError(
        f"the index at {index_dir} cannot be {what} ({describe(exc)} in {where}): "
        "rebuild it with `searchkit index --full`"
    )


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


@contextlib.contextmanager
def writing(index_dir: Path) -> Iterator[None]:
    """Write the index (a build): a failure to write a file is an IndexWriteError; anything
    else Whoosh raises means the index it started from is damaged."""
    try:
        yield
    except SearchkitError:
        raise
    except OSError as exc:
        raise IndexWriteError(str(index_dir), exc) from exc
    except Exception as exc:
        if not from_whoosh(exc):
            raise
        raise _damaged(index_dir, None, "updated", exc) from exc
