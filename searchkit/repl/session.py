"""The REPL session: the `Repl` (state, index and commands, one line in, one `Reply` out),
the PromptSession built around it, and the two loops: interactive, and line by line for
pipes. Input and output are injectable, so tests drive it with prompt-toolkit's pipe input
and dummy output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.formatted_text import ANSI
from prompt_toolkit.history import History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import ColorDepth, Output
from prompt_toolkit.styles import Style

from ..api import DEFAULT_FACET_LIMIT
from ..errors import ParameterError, QueryError, SearchkitError
from ..messages import error_line
from ..render import Palette, results_lines, sanitize
from ..render_documents import facet_value_lines
from ..reports import IndexReport
from ..results import SearchResults
from . import lexer, toolbar
from .catalog import Catalog
from .commands import CommandError
from .completer import ReplCompleter, Vocabulary
from .config import FIXED_PAGE_SIZE, ReplConfig, config_path
from .file_commands import run_editor
from .fit import fitting_page, most_hits
from .history import take_problem
from .lexer import QueryLexer
from .live import LiveUpdates
from .pager import page, rows_needed
from .state import Entry, Listing, ReplState, Reply, SessionIndex
from .table import build_commands
from .validator import QueryValidator
from .views import FACETS_IN_FULL

PROMPT = "searchkit> "
FACET_LABELS = {"topics": "Topics", "providers": "Providers", "kind": "Kinds"}


class Repl:
    """One session over one index: `handle` takes a line, changes the state, returns a Reply."""

    def __init__(
        self,
        index: SessionIndex,
        *,
        config: ReplConfig | None = None,
        palette: Palette | None = None,
        history: History | None = None,
        clock: Callable[[], datetime] | None = None,
        open_url: Callable[[str], bool] | None = None,
        edit_file: Callable[[Path], bool] | None = None,
        reindex: Callable[[], IndexReport] | None = None,
        width: Callable[[], int] | None = None,
        height: Callable[[], int] | None = None,
        config_file: Path | None = None,
        live: LiveUpdates | None = None,
    ) -> None:
        self.index = index
        self.live = live  # following the seeds folder (auto_update), if it is
        self.config = config or ReplConfig()
        self.palette = palette or Palette(False)
        self.history = history or InMemoryHistory()
        self.open_url = open_url  # None: :open prints the URL instead
        self.edit_file = edit_file or run_editor  # :edit; False when there is no editor
        self._reindex = reindex or self._build
        self.width = width or (lambda: 100)
        self.height = height  # None: no screen to fit a page to (line mode)
        self.config_file = config_file or config_path()
        self._clock = clock or (lambda: datetime.now(UTC))
        size = self.config.page_size
        self.state = ReplState(per_page=size if isinstance(size, int) else FIXED_PAGE_SIZE)
        self.commands = build_commands()
        self.catalog = Catalog(index)
        self.completer = ReplCompleter(self.vocabulary)
        self._names = self.commands.names()
        self._helps = self.commands.helps()
        self._arguments = self.commands.arguments()

    def reindex(self) -> IndexReport:
        """Bring the index up to date now (:reindex)."""
        report = self._reindex()
        if self.live is not None:
            self.live.applied()
        return report

    def _build(self) -> IndexReport:
        from ..build import build_index  # only a session that reindexes needs it

        return build_index(None, self.index.index_dir, wait=30.0)

    def now(self) -> datetime:
        return self._clock()

    # --- one line ----------------------------------------------------------------------

    def handle(self, line: str) -> Reply:
        """Run one query or `:command`; errors become a one-line failed Reply."""
        text = line.strip()
        if not text:
            return Reply()
        if self.live is not None and self.live.take_news():
            self.catalog.refresh()  # the index changed in the background
        try:
            if text.startswith(":"):
                return self.commands.dispatch(self, text)
            return self.run_search(query=text)
        except CommandError as exc:
            return Reply.fail(f"error: {sanitize(str(exc))}")
        except (QueryError, ParameterError) as exc:
            return Reply.fail(f"error: {sanitize(error_line(exc))}")
        except SearchkitError as exc:  # the index, not the line: as fatal as for a command
            return Reply.fail(f"error: {sanitize(error_line(exc))}", status=1)

    def search(
        self,
        *,
        query: str | None = None,
        page: int = 1,
        per_page: int | None = None,
        facet_limit: int | None = None,
    ) -> SearchResults:
        """The session's query (or `query`) with its filters and sort."""
        state = self.state
        return self.index.search(
            state.query or "" if query is None else query,
            filters=state.filters,
            sort=state.sort,
            page=page,
            per_page=per_page or state.per_page,
            facet_limit=facet_limit or DEFAULT_FACET_LIMIT,
        )

    def run_search(
        self, *, query: str | None = None, page: int = 1, note: str | None = None
    ) -> Reply:
        """Search with the current filters; a new query (or a filter change) is page 1."""
        text = query if query is not None else (self.state.query or "")
        if page == 1 and self.config.page_size == "auto" and self.height is not None:
            rows = self.height()
            results = fitting_page(
                self.search(query=text, per_page=most_hits(rows)),
                lambda r: self.result_lines(r),
                rows=rows - (1 if note else 0),
                columns=self.width(),
            )
            self.state.per_page = results.per_page  # the next pages are as long
        else:
            results = self.search(query=text, page=page)
        self.state.query, self.state.page, self.state.results = text, page, results
        reply = self.show_results(results)
        if note:
            return Reply((self.palette.dim(note), *reply.lines))
        return reply

    def show_results(self, results: SearchResults) -> Reply:
        """The results page; its hits become the numbered items."""
        self.state.listing = Listing("results", tuple(Entry.from_hit(h) for h in results.hits))
        self.state.current = None
        return Reply(tuple(self.result_lines(results)))

    def result_lines(self, results: SearchResults) -> list[str]:
        lines = results_lines(results, self.palette, width=self.width())
        if results.total == 0 and self.state.has_filters():
            lines.append(self.palette.dim("Filters are on: :clear removes them."))
        return lines

    def refresh_results(self) -> None:
        """Run the current search again (after a reindex), on the same page if it is left."""
        results = self.search()
        if 1 < self.state.page <= results.pages:
            results = self.search(page=self.state.page)
        else:
            self.state.page = 1
        self.state.results = results

    def facet_listing(self, name: str, what: str) -> Reply:
        """Every value of one facet for the current query and filters, with counts."""
        results = self.search(per_page=1, facet_limit=FACETS_IN_FULL)
        facet = results.facets.get(name)
        if facet is None or not facet.values:
            return Reply((f"No {what}s: nothing matches.",))
        scope = f"“{sanitize(self.state.query)}”" if self.state.query else "all documents"
        lines = [
            self.palette.bold(f"{FACET_LABELS[name]} in {scope} ({facet.total_values:,}):"),
            *facet_value_lines(facet, width=self.width()),
            self.palette.dim(f"(:{what} NAME toggles a filter; ✓ marks those on)"),
        ]
        return Reply(tuple(lines))

    # --- for the prompt ----------------------------------------------------------------

    def command_names(self) -> frozenset[str]:
        return self._names

    def vocabulary(self) -> Vocabulary:
        listing = self.state.listing
        return Vocabulary(
            commands=self._helps,
            arguments=self._arguments,
            topics=self.catalog.topics(),
            providers=self.catalog.providers(),
            dates=self.catalog.ready_dates(),
            numbers=[(e.number, sanitize(e.title)) for e in listing.entries] if listing else (),
        )


def safe_handle(repl: Repl, line: str) -> Reply:
    """`repl.handle`, with anything unexpected turned into one line: the session goes on."""
    try:
        return repl.handle(line)
    except KeyboardInterrupt:
        return Reply.fail("interrupted")
    except Exception as exc:  # a bug must not end the session, nor print a traceback
        return Reply.fail(f"error: unexpected {type(exc).__name__}: {sanitize(str(exc))}", status=1)


# --- the prompt-toolkit session ----------------------------------------------------------


def make_prompt_session(
    repl: Repl,
    *,
    input: Input | None = None,
    output: Output | None = None,
    color: bool = True,
) -> PromptSession[str]:
    """The prompt: history with suggestions, completion, highlighting, live validation and
    the toolbar. `input`/`output` default to the terminal."""
    if color:
        style = Style.from_dict({**lexer.STYLE, **toolbar.STYLE})
    else:
        style = Style.from_dict({"bottom-toolbar": "reverse"})
    return PromptSession(
        PROMPT,
        history=repl.history,
        auto_suggest=AutoSuggestFromHistory(),
        completer=repl.completer,
        complete_while_typing=True,
        lexer=QueryLexer(repl.command_names),
        validator=QueryValidator(repl.index.parse, repl.command_names),
        validate_while_typing=True,
        bottom_toolbar=toolbar.make_toolbar(
            lambda: repl.state, lambda: repl.live.status() if repl.live else None
        ),
        style=style,
        include_default_pygments_style=False,
        color_depth=None if color else ColorDepth.DEPTH_1_BIT,
        editing_mode=EditingMode.VI if repl.config.editing_mode == "vi" else EditingMode.EMACS,
        search_ignore_case=True,
        # No rows kept free below the prompt for the completion menu (it opens above the
        # prompt when there is no room below): the results page fits the screen (fit.py).
        reserve_space_for_menu=0,
        input=input,
        output=output,
    )


def terminal_printer(output: Output, *, pager: bool, color: bool) -> Callable[[Reply], None]:
    """Show a Reply on the terminal; long output (a document, the help, the history, every
    facet) through the pager when it is taller than the screen. Results are never paged:
    their page is made to fit the screen, with its summary and facets below."""

    def show(reply: Reply) -> None:
        if not reply.lines:
            return
        lines = list(reply.lines)
        if reply.error and color:
            lines = [f"\x1b[31m{line}\x1b[0m" for line in lines]
        text = "\n".join(lines)
        size = output.get_size()
        tall = rows_needed(lines, size.columns) >= size.rows
        if pager and reply.long and tall and page(text + "\n"):
            return
        print_formatted_text(ANSI(text), output=output)

    return show


def run_interactive(repl: Repl, session: PromptSession[str], show: Callable[[Reply], None]) -> int:
    """Prompt until :quit or Ctrl-D; Ctrl-C clears the line. A history file that fails is
    said once, and the session goes on."""
    while True:
        try:
            line = session.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        problem = take_problem(repl.history)
        if problem:
            show(Reply((f"searchkit: {sanitize(problem)}",)))
        reply = safe_handle(repl, line)
        show(reply)
        if reply.quit:
            return 0


def run_lines(repl: Repl, lines: Iterable[str], *, out: TextIO, err: TextIO) -> int:
    """Line mode (stdin is not a terminal): one query or command per line, each echoed
    (escaped) after the prompt as a header of its output, plain output, errors on `err`;
    ends at the end of input or :quit. The exit status is the most severe of the lines': 1
    if one met a fatal error (a damaged index), else 2 if one was a bad query or command."""
    printed = False
    status = 0
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        repl.history.append_string(line)
        reply = safe_handle(repl, line)
        status = _worse(status, reply.status)
        out.write(("\n" if printed else "") + f"{PROMPT}{sanitize(line)}\n")
        out.flush()
        printed = True
        if reply.lines:
            if reply.error:
                err.write("\n".join(reply.lines) + "\n")
                err.flush()
            else:
                out.write("\n".join(reply.lines) + "\n")
                out.flush()
        if reply.quit:
            break
    return status


def _worse(status: int, other: int) -> int:
    """The more severe of two exit statuses: 1 (fatal) over 2 (bad input) over 0."""
    return min((s for s in (status, other) if s), default=0)
