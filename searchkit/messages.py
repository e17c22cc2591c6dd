"""A searchkit error -> the one line the command line and the REPL show for it.

The library's errors carry facts and, where one fix applies, a Remedy; this is where a remedy
becomes the command to run. Pure functions: the callers sanitize and print.
"""

from __future__ import annotations

from pathlib import Path

from .config import DEFAULT_SEEDS_DIR, SEEDS_ENV
from .errors import (
    DiskFullError,
    IndexDamagedError,
    IndexNotFoundError,
    IndexWriteError,
    Remedy,
    SearchkitError,
    SeedsFolderError,
    SeedsMismatchError,
    SeedsUnreadableError,
)


def error_line(
    exc: SearchkitError, *, index_arg: str | None = None, seeds_arg: str | None = None
) -> str:
    """What to tell the user about `exc`, in one line. `index_arg` is the --index the user
    gave (repeated in the command suggested), None when they gave none; `seeds_arg` the
    --seeds. A command is named only when it works as printed: for a missing index, only
    when there is a seeds folder to build it from (this looks for one)."""
    flag = f" --index {index_arg}" if index_arg else ""
    full = f"searchkit index --full{flag}"
    if isinstance(exc, IndexNotFoundError):
        import os

        seeds = seeds_arg or os.environ.get(SEEDS_ENV) or DEFAULT_SEEDS_DIR
        seeds_flag = f" --seeds {seeds_arg}" if seeds_arg else ""
        if Path(seeds).is_dir():
            return f"{exc}: build it with `searchkit index{seeds_flag}{flag}`"
        return (
            f"{exc}, and no seeds folder at {seeds} to build it from: pass --seeds with the "
            "folder of your seed files"
        )
    if isinstance(exc, SeedsMismatchError):
        return (
            f"{exc}: run `searchkit index --seeds {exc.requested} --full{flag}` to rebuild "
            "it from the new folder"
        )
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
        if not exc.missing:
            return f"{exc}; make it readable for this user"
        if seeds_arg:
            return f"{exc}; check the path"
        return (
            f"{exc}; if it moved, pass --seeds with its new place (the index follows it "
            "when its files are the same), else --seeds with the folder of your seed files"
        )
    return str(exc)
