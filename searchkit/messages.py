"""A searchkit error -> the one line the command line and the REPL show for it.

The library's errors carry facts and, where one fix applies, a Remedy; this is where a remedy
becomes the command to run. Pure functions: the callers sanitize and print.
"""

from __future__ import annotations

from .errors import (
    DiskFullError,
    IndexDamagedError,
    IndexWriteError,
    Remedy,
    SearchkitError,
    SeedsFolderError,
    SeedsUnreadableError,
)


def error_line(exc: SearchkitError, *, index_arg: str | None = None) -> str:
    """What to tell the user about `exc`, in one line. `index_arg` is the --index the user
    gave (repeated in the command suggested), None when they gave none."""
    full = f"searchkit index --full{f' --index {index_arg}' if index_arg else ''}"
    if isinstance(exc, IndexDamagedError):
        return f"the index at {exc.index_dir} is damaged ({exc.where} {exc.what}): run `{full}`"
    if isinstance(exc, DiskFullError):
        needed = f" (needed about {exc.needed_mb} MB)" if exc.needed_mb is not None else ""
        return (
            f"no space left on {exc.device}{needed}: free some space and run the command "
            f"again; the index at {exc.index_dir} was left as it was"
        )
    if isinstance(exc, IndexWriteError) and exc.remedy is Remedy.MAKE_WRITABLE:
        return f"{exc}: make the folder writable for this user, or pass --index DIR"
    if isinstance(exc, SeedsUnreadableError):
        return (
            f"the full build could not read {exc.summary()} in {exc.seeds_dir}, so the index "
            f"at {exc.index_dir} was left as it was: make them readable for this user, then "
            f"run `{full}` again"
        )
    if isinstance(exc, SeedsFolderError):
        fix = "pass --seeds DIR" if exc.missing else "make it readable for this user"
        return f"{exc}; {fix}"
    return str(exc)
