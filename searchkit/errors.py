"""The exceptions searchkit raises; nothing else escapes the library.

    SearchkitError                 base class: catch this to handle any searchkit failure
    ├── SeedError                  a seed file cannot be read or parsed (path, reason, line, column)
    ├── IndexNotFoundError         no index at the given folder: run `searchkit index`
    ├── IndexDamagedError          the index folder exists but a file of it cannot be used
    ├── IndexWriteError            a build cannot write the index folder (permissions, disk)
    │   └── DiskFullError          ... because the disk is full (names the device)
    ├── IndexLockedError           another process is writing the index (names its pid)
    ├── SeedsMismatchError         the index was built from another seeds folder
    ├── SeedsFolderError           the seeds folder is missing or unreadable as a whole
    ├── SeedsUnreadableError       a full build could not read some seeds and kept the index
    ├── QueryError                 a query or filter cannot be parsed (position and hint)
    │   └── QueryLimitError        a query goes past a cap of searchkit.limits (which one)
    ├── ParameterError             a search parameter is out of range (which one, what is allowed)
    ├── IndexClosedError           a SearchIndex was used after close()
    └── DocumentNotFoundError      no document with the given id

Warnings (not errors) are SearchkitWarning: a Whoosh version searchkit was not verified with.

Whoosh's errors are translated at one boundary, searchkit/whoosh_seam/errors.py; YAML's where
seeds are parsed (documents.py). Both chain the original (``raise ... from exc``).

Errors carry facts (paths, counts, errno) and, where one fix applies, the fix as data
(`remedy`, a Remedy); the command line and the REPL phrase it as the command to run.
"""

from __future__ import annotations

import enum
import errno
from collections.abc import Sequence


class Remedy(enum.Enum):
    """What fixes an error, as data; the command line and the REPL say it as a command."""

    REBUILD_FULL = "rebuild_full"  # rebuild the index from scratch: build_index(..., full=True)
    FREE_SPACE = "free_space"  # free space on the device, then build again
    MAKE_WRITABLE = "make_writable"  # let this user write the index folder, or use another one
    MAKE_READABLE = "make_readable"  # let this user read the seed files named, then build again
    BUILD = "build"  # build the index from its seeds folder: build_index(seeds, index)


class SearchkitError(Exception):
    """Base class of every error searchkit raises on purpose."""


class SearchkitWarning(UserWarning):
    """Base class of the warnings searchkit gives."""


class SeedError(SearchkitError):
    """A seed file cannot be turned into a document."""

    def __init__(
        self, path: str, reason: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column
        where = f"line {line}, column {column}: " if line is not None and column is not None else ""
        super().__init__(f"{path}: {where}{reason}")

    @property
    def detail(self) -> str:
        """The reason with its position, without the path."""
        if self.line is not None and self.column is not None:
            return f"line {self.line}, column {self.column}: {self.reason}"
        return self.reason


class IndexNotFoundError(SearchkitError):
    """There is no searchkit index at the folder."""

    def __init__(self, index_dir: str) -> None:
        self.index_dir = index_dir
        self.remedy = Remedy.BUILD
        super().__init__(f"no index at {index_dir}")


class IndexDamagedError(SearchkitError):
    """A file of the index folder cannot be used. `where` is the file (or the store folder),
    `what` says what is wrong with it ("is not UTF-8 text", "cannot be read: ..."); `remedy`
    is Remedy.REBUILD_FULL: a full build replaces every damaged file."""

    def __init__(
        self, index_dir: str, what: str, where: str, *, remedy: Remedy = Remedy.REBUILD_FULL
    ) -> None:
        self.index_dir = index_dir
        self.what = what
        self.where = where
        self.remedy = remedy
        super().__init__(
            f"the index at {index_dir} is damaged ({where} {what}): "
            "rebuild it from scratch with a full build"
        )


# errno values that mean "this user may not write there"
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}


class IndexWriteError(SearchkitError):
    """A build cannot write the index folder: permissions, a full disk, an I/O error.
    `remedy` is Remedy.MAKE_WRITABLE when the folder is not writable, else None."""

    def __init__(self, index_dir: str, exc: OSError) -> None:
        self.index_dir = index_dir
        self.errno = exc.errno
        self.filename = exc.filename
        self.reason = exc.strerror or str(exc)
        self.remedy: Remedy | None = Remedy.MAKE_WRITABLE if exc.errno in _NOT_ALLOWED else None
        super().__init__(self._message())

    def _message(self) -> str:
        where = f" ({self.filename})" if self.filename else ""
        return f"cannot write the index at {self.index_dir}: {self.reason}{where}"


class DiskFullError(IndexWriteError):
    """A build ran out of space on `device` (a mount point, or the folder where none is
    known); it needed about `needed_bytes` (None: unknown). Nothing it wrote is left behind
    and the index is as it was before."""

    def __init__(
        self, index_dir: str, exc: OSError, *, device: str, needed_bytes: int | None
    ) -> None:
        self.device = device
        self.needed_bytes = needed_bytes
        super().__init__(index_dir, exc)
        self.remedy = Remedy.FREE_SPACE

    @property
    def needed_mb(self) -> int | None:
        """needed_bytes in whole megabytes, rounded up (at least 1)."""
        if self.needed_bytes is None:
            return None
        return max(1, -(-self.needed_bytes // 1_000_000))

    def _message(self) -> str:
        needed = f" (needed about {self.needed_mb} MB)" if self.needed_bytes is not None else ""
        return (
            f"no space left on {self.device}{needed}: the index at {self.index_dir} "
            "was left as it was"
        )


class IndexLockedError(SearchkitError):
    """Another process holds the index's write lock."""

    def __init__(self, index_dir: str, pid: int | None) -> None:
        self.index_dir = index_dir
        self.pid = pid
        holder = f"process {pid}" if pid else "another process"
        super().__init__(
            f"the index at {index_dir} is locked: {holder} is updating it; "
            "try again when it finishes, or pass --wait"
        )


class SeedsMismatchError(SearchkitError):
    """An existing index would be pointed at another seeds folder. When the folder it was
    built from is gone (`moved`) and the other holds the same files (by content hash), a
    build relinks the index instead; this error means it did not. `remedy` is
    Remedy.REBUILD_FULL: build_index(requested, index, full=True)."""

    def __init__(
        self, index_dir: str, indexed: str, requested: str, *, differing: int | None = None
    ) -> None:
        self.index_dir = index_dir
        self.indexed = indexed
        self.requested = requested
        self.differing = differing  # files not the same, when the indexed folder is gone
        self.remedy = Remedy.REBUILD_FULL
        why = ""
        if differing is not None:
            files = "file" if differing == 1 else "files"
            why = f" ({indexed} is gone, and {differing:,} {files} of {requested} differ from it)"
        super().__init__(f"the index at {index_dir} was built from {indexed}, not {requested}{why}")


class SeedsFolderError(SearchkitError):
    """The seeds folder as a whole cannot be read: it does not exist, is not a folder, or
    cannot be listed or entered. A build that meets this changes nothing."""

    def __init__(self, seeds_dir: str, reason: str, *, missing: bool = False) -> None:
        self.seeds_dir = seeds_dir
        self.reason = reason
        self.missing = missing  # it does not exist (another folder may have been meant)
        super().__init__(f"the seeds folder {seeds_dir} {reason}")


class SeedsUnreadableError(SearchkitError):
    """A full build could not read some seed files or folders (`unreadable`: (path, reason)
    pairs, paths relative to the seeds folder), so it kept the index it would have replaced.
    `remedy` is Remedy.MAKE_READABLE."""

    SHOWN = 3  # paths named in the message; `unreadable` has them all

    def __init__(
        self, index_dir: str, seeds_dir: str, unreadable: Sequence[tuple[str, str]]
    ) -> None:
        self.index_dir = index_dir
        self.seeds_dir = seeds_dir
        self.unreadable = tuple(unreadable)
        self.remedy = Remedy.MAKE_READABLE
        super().__init__(
            f"the full build of the index at {index_dir} could not read {self.summary()} "
            f"in {seeds_dir}, so the index was left as it was"
        )

    def summary(self) -> str:
        """How many paths could not be read, naming the first few with their reason."""
        count = len(self.unreadable)
        named = "; ".join(f"{p} ({why})" for p, why in self.unreadable[: self.SHOWN])
        more = f"; and {count - self.SHOWN} more" if count > self.SHOWN else ""
        return f"{count} seed path{'' if count == 1 else 's'}: {named}{more}"


_QUOTED_QUERY = 80  # characters of a query quoted in its error's message (`query` has all)


class QueryError(SearchkitError):
    """A query or a filter value cannot be understood."""

    def __init__(
        self, query: str, message: str, *, position: int | None = None, hint: str | None = None
    ) -> None:
        self.query = query
        self.message = message
        self.position = position
        self.hint = hint
        shown = query if len(query) <= _QUOTED_QUERY else query[: _QUOTED_QUERY - 1] + "…"
        text = f"bad query {shown!r}: {message}"
        if position is not None:
            text += f" (at character {position + 1})"
        if hint:
            text += f"; {hint}"
        super().__init__(text)


class QueryLimitError(QueryError):
    """A query asks for more than a cap of searchkit.limits allows: `limit` names the cap
    (MAX_CLAUSES, ...), `value` is its value; the hint says how to narrow the query."""

    def __init__(
        self,
        query: str,
        message: str,
        *,
        limit: str,
        value: float,
        position: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.limit = limit
        self.value = value
        super().__init__(query, message, position=position, hint=hint)


class DocumentNotFoundError(SearchkitError):
    """No document has the requested id."""

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(f"no document with id {doc_id!r} in the index")


class ParameterError(SearchkitError, ValueError):
    """A search parameter (`parameter`: "per_page", "since", "sort", ...) has a value
    (`value`) it cannot take; `message` says so, quoting the value, and `hint` says what it
    can take. The command line names its flag instead of the parameter."""

    def __init__(
        self, parameter: str, value: object, message: str, *, hint: str | None = None
    ) -> None:
        self.parameter = parameter
        self.value = value
        self.message = message
        self.hint = hint
        super().__init__(f"{parameter}: {message}" + (f"; {hint}" if hint else ""))


class IndexClosedError(SearchkitError):
    """A SearchIndex was used after close(): open the index again."""

    def __init__(self, index_dir: str) -> None:
        self.index_dir = index_dir
        super().__init__(f"the index at {index_dir} was closed: open it again to search it")
