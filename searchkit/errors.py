"""The exceptions searchkit raises; nothing else escapes the library.

    SearchkitError                 base class: catch this to handle any searchkit failure
    ├── SeedError                  a seed file cannot be read or parsed (path, reason, line, column)
    ├── IndexNotFoundError         no index at the given folder: run `searchkit index`
    ├── IndexCorruptError          the index folder exists but cannot be read
    ├── IndexWriteError            a build cannot write the index folder (permissions, disk)
    ├── IndexLockedError           another process is writing the index (names its pid)
    ├── SeedsMismatchError         the index was built from another seeds folder
    ├── SeedsFolderError           the seeds folder is missing or unreadable
    ├── QueryError                 a query or filter cannot be parsed (position and hint)
    │   └── QueryLimitError        a query goes past a cap of searchkit.limits (which one)
    └── DocumentNotFoundError      no document with the given id

Warnings (not errors) are SearchkitWarning: a Whoosh version searchkit was not verified with.

Whoosh's errors are translated at one boundary, searchkit/whoosh_seam/errors.py; YAML's where
seeds are parsed (documents.py). Both chain the original (``raise ... from exc``).
"""

from __future__ import annotations


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
        super().__init__(
            f"no index at {index_dir}: build it with `searchkit index --index {index_dir}`"
        )


class IndexCorruptError(SearchkitError):
    """The index folder exists but its contents cannot be read."""


class IndexWriteError(SearchkitError):
    """A build cannot write the index folder: permissions, a full disk, an I/O error."""

    def __init__(self, index_dir: str, exc: OSError) -> None:
        self.index_dir = index_dir
        self.errno = exc.errno
        self.filename = exc.filename
        where = f" ({exc.filename})" if exc.filename else ""
        super().__init__(f"cannot write the index at {index_dir}: {exc.strerror or exc}{where}")


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
    """An existing index would be pointed at another seeds folder."""

    def __init__(self, index_dir: str, indexed: str, requested: str) -> None:
        self.indexed = indexed
        self.requested = requested
        super().__init__(
            f"the index at {index_dir} was built from {indexed}, not {requested}; "
            "pass --full to rebuild it from the new folder"
        )


class SeedsFolderError(SearchkitError):
    """The seeds folder does not exist or is not a folder."""


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
