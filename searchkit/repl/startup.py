"""Before a session: build the index if it is missing, or bring it up to date with the seeds
folder it was built from, with a progress bar, saying what changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import api, store
from ..api import IndexReport
from ..config import DEFAULT_SEEDS_DIR
from ..errors import IndexCorruptError, IndexLockedError, SeedsFolderError
from ..progress import BuildProgressBar
from ..render import index_report_lines, problem_lines, sanitize

Echo = Callable[[str], None]


def build(
    index_dir: Path, seeds: Path | None, *, progress: bool, wait: float = 30.0
) -> IndexReport:
    """One build or update, with a progress bar on a terminal's stderr when `progress`."""
    with BuildProgressBar(enabled=None if progress else False) as bar:
        return api.build_index(seeds, index_dir, progress=bar, wait=wait)


def prepare_index(index_dir: Path, seeds: Path | None, *, echo: Echo, progress: bool) -> None:
    """Build or update the index; report changes and problems through `echo`. A missing
    index without seeds to build it from is left for open_index to report."""
    if store.current_store(index_dir) is None:
        source = seeds or Path(DEFAULT_SEEDS_DIR)
        if not source.is_dir():
            return
        echo(
            f"No index at {sanitize(str(index_dir))} yet: building it from {sanitize(str(source))}."
        )
        report = build(index_dir, source, progress=progress)
    else:
        try:
            # Name the folder the index remembers: left to itself, a build that cannot reuse
            # the index (another schema) would start again from ./seeds.
            source = seeds or Path(api.index_stats(index_dir).seeds)
            report = build(index_dir, source, progress=progress, wait=0.0)
        except SeedsFolderError as exc:
            echo(f"Not updating the index: {sanitize(str(exc))}; searching it as it is.")
            return
        except IndexLockedError:
            echo("Another process is updating the index; searching it as it is.")
            return
        except (IndexCorruptError, OSError) as exc:
            echo(f"Not updating the index: {sanitize(str(exc))}.")
            return
        if not report.changed:
            for line in problem_lines(report):
                echo(line)
            return
    for line in index_report_lines(report) + problem_lines(report):
        echo(line)
