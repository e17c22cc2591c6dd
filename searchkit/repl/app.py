"""`searchkit repl`: prepare the index, then run the session on the terminal, or line by
line when stdin (or stdout) is not a terminal."""

from __future__ import annotations

import shutil
import sys
import webbrowser
from pathlib import Path
from typing import TextIO

from ..render import Palette, plural, sanitize
from ..terminal import use_color
from .config import config_path, history_path, load_config
from .history import open_history
from .session import Repl, make_prompt_session, run_interactive, run_lines, terminal_printer
from .startup import build, follow_seeds, open_session_index


def is_terminal(stdin: TextIO | None, stdout: TextIO) -> bool:
    return stdin is not None and stdin.isatty() and stdout.isatty()


def run_repl(
    index_dir: Path,
    seeds: Path | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run a session over the index at `index_dir` (built or updated first); exit status."""
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
    with (
        open_session_index(index_dir, seeds, echo=echo, progress=stderr.isatty()) as ix,
        follow_seeds(ix, apply=config.auto_update) as live,
    ):
        if not interactive:
            repl = Repl(
                ix,
                config=config,
                reindex=lambda: build(index_dir, None, progress=False),
                live=live,
            )
            return run_lines(repl, stdin or (), out=stdout, err=stderr)
        color = use_color(stdout, enabled=config.colors)
        history, note = open_history(history_path(), config.history_size)
        repl = Repl(
            ix,
            config=config,
            palette=Palette(color),
            history=history,
            open_url=webbrowser.open,
            reindex=lambda: build(index_dir, None, progress=True),
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
