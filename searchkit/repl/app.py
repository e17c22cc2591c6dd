"""`searchkit repl`: prepare the index, then run the session on the terminal, or line by
line when stdin (or stdout) is not a terminal."""

from __future__ import annotations

import shutil
import sys
import webbrowser
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from ..api import open_index
from ..render import Palette, plural, sanitize
from ..reports import IndexReport
from ..terminal import use_color
from .config import config_path, history_path, load_config
from .history import open_history
from .live import LiveUpdates
from .session import Repl, make_prompt_session, run_interactive, run_lines, terminal_printer
from .startup import (
    build,
    follow_seeds,
    open_session_index,
    refuse_on_cluster,
)
from .state import SessionIndex


def is_terminal(stdin: TextIO | None, stdout: TextIO) -> bool:
    return stdin is not None and stdin.isatty() and stdout.isatty()


def run_repl(
    index_dir: Path,
    seeds: Path | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    cluster: str | None = None,
) -> int:
    """Run a session over the index at `index_dir` (built or updated first); exit status.
    `cluster`: the Ray cluster that serves the sharded index at `index_dir` (README,
    "Cluster"), searched as it is: it is neither built nor followed, and :reindex and :edit
    say so."""
    stdin = sys.stdin if stdin is None else stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    interactive = is_terminal(stdin, stdout)

    def echo(line: str) -> None:
        stderr.write(line + "\n")
        stderr.flush()

    config, warnings = load_config()
    for warning in warnings:
        echo(f"searchkit: {sanitize(warning)}")
    with ExitStack() as stack:
        ix: SessionIndex
        live: LiveUpdates | None = None
        if cluster is None:
            ix = stack.enter_context(
                open_session_index(index_dir, seeds, echo=echo, progress=stderr.isatty())
            )
            live = stack.enter_context(follow_seeds(ix, apply=config.auto_update))

            def reindex() -> IndexReport:
                return build(index_dir, None, progress=interactive)

        else:
            # Searched as it is: a sharded index is built by `searchkit index --cluster`.
            ix = stack.enter_context(open_index(index_dir, cluster=cluster))
            reindex = refuse_on_cluster(":reindex", cluster)
        if not interactive:
            repl = Repl(ix, config=config, reindex=reindex, live=live)
            return run_lines(repl, stdin or (), out=stdout, err=stderr)
        color = use_color(stdout, enabled=config.colors)
        history, note = open_history(history_path(), config.history_size)
        repl = Repl(
            ix,
            config=config,
            palette=Palette(color),
            history=history,
            open_url=webbrowser.open,
            reindex=reindex,
            width=lambda: shutil.get_terminal_size().columns,
            height=lambda: shutil.get_terminal_size().lines,
            config_file=config_path(),
            live=live,
        )
        # Warm: completion must be instant.
        repl.catalog.topics(), repl.catalog.providers()
        repl.catalog.warm_dates()
        session = make_prompt_session(repl, color=color)
        if live is not None:
            live.on_change = session.app.invalidate  # redraw the toolbar from the thread
        documents = ix.search("", per_page=1, facets=False).total
        echo(
            f"searchkit · {plural(documents, 'document')} in {sanitize(str(index_dir))} · "
            "type words to search, :help for commands, Ctrl-D to quit"
        )
        if note:
            echo(f"searchkit: {sanitize(note)}")
        show = terminal_printer(session.output, pager=config.pager, color=color)
        return run_interactive(repl, session, show)
