"""Before a session: build the index if it is missing, or bring it up to date with the seeds
folder it was built from, with a progress bar, saying what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import api
from ..errors import IndexLockedError, SearchkitError, SeedsFolderError
from ..messages import error_line
from ..progress import BuildProgressBar
from ..render import index_report_lines, problem_lines, sanitize
from ..reports import IndexReport
from .commands import CommandError, on_cluster
from .live import LiveUpdates

Echo = Callable[[str], None]


def build(
    index_dir: Path, seeds: Path | None, *, progress: bool, wait: float = 30.0
) -> IndexReport:
    """One build or update, with a progress bar on a terminal's stderr when `progress`."""
    from ..build import build_index  # only a session that builds needs it

    with BuildProgressBar(enabled=None if progress else False) as bar:
        return build_index(seeds, index_dir, progress=bar, wait=wait)


def open_session_index(
    index_dir: Path, seeds: Path | None, *, echo: Echo, progress: bool
) -> api.SearchIndex:
    """Build or update the index, report changes and problems through `echo`, and open it.
    A missing index without seeds to build it from raises IndexNotFoundError."""

    def announce(index: Path, source: Path) -> None:
        echo(f"No index at {sanitize(str(index))} yet: building it from {sanitize(str(source))}.")

    with BuildProgressBar(enabled=None if progress else False) as bar:
        opened = api.open_or_build(
            index_dir, seeds, update=True, progress=bar, on_first_build=announce, wait=30.0
        )
    error = opened.update_error
    if isinstance(error, SeedsFolderError):
        echo(f"Not updating the index: {sanitize(str(error))}; searching it as it is.")
    elif isinstance(error, IndexLockedError):
        echo("Another process is updating the index; searching it as it is.")
    elif error is not None:
        echo(f"Not updating the index: {sanitize(error_line(error))}.")
    report = opened.report
    if report is not None:
        lines = index_report_lines(report) if report.changed else []
        for line in lines + problem_lines(report, stats_command=":stats"):
            echo(line)
    return opened.index


def refuse_on_cluster(command: str, cluster: str) -> Callable[[], IndexReport]:
    """What `command` does in a session on a cluster: say, in one line, what to do instead."""

    def refuse() -> IndexReport:
        raise CommandError(on_cluster(command, cluster))

    return refuse


@contextmanager
def follow_seeds(index: api.SearchIndex, *, apply: bool) -> Iterator[LiveUpdates | None]:
    """Follow the seeds folder of the index while the session is open (repl/live.py): None
    when there is no folder to follow (it is gone, or the index cannot say which)."""
    from ..freshness import indexed_seeds_dir

    try:
        seeds = indexed_seeds_dir(index.index_dir)
    except SearchkitError:
        seeds = None
    if seeds is None or not seeds.is_dir():
        yield None
        return
    with LiveUpdates(index.index_dir, seeds, apply=apply) as live:
        yield live
