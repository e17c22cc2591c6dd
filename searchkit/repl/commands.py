"""The REPL's commands: a per-instance table that dispatches `:name argument` lines and
generates :help from the same entries (each has a one-line help and an example).

The filter, sort and paging commands are here; the commands about documents and the index
(:show, :open, :similar, :facets, :stats...) are in `views.py`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .. import dates
from ..query import KIND_ALIASES
from ..render import sanitize
from ..results import SORTS, ValueCount
from .state import Reply

if TYPE_CHECKING:
    from .session import Repl

Handler = Callable[["Repl", str], Reply]


class CommandError(Exception):
    """A command cannot run as typed; the message is one line that says what to do."""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: Handler
    help: str
    example: str
    usage: str = ""  # the argument, as `:name USAGE`
    aliases: tuple[str, ...] = ()
    argument: str | None = None  # what completes after the name (see completer.Vocabulary)

    @property
    def synopsis(self) -> str:
        return f":{self.name} {self.usage}".rstrip()


class CommandTable:
    """Commands by name and alias. `dispatch` runs one line; `help_lines` documents them."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._names: dict[str, Command] = {}

    def add(self, command: Command) -> None:
        for name in (command.name, *command.aliases):
            if name in self._names:
                raise ValueError(f"command :{name} is defined twice")
            self._names[name] = command
        self._commands[command.name] = command

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    def __len__(self) -> int:
        return len(self._commands)

    def lookup(self, name: str) -> Command | None:
        return self._names.get(name.lower())

    def names(self) -> frozenset[str]:
        """Every name and alias."""
        return frozenset(self._names)

    def helps(self) -> dict[str, str]:
        return {c.name: c.help for c in self._commands.values()}

    def arguments(self) -> dict[str, str]:
        return {n: c.argument for n, c in self._names.items() if c.argument}

    def dispatch(self, repl: Repl, line: str) -> Reply:
        name, _, arg = line.strip()[1:].partition(" ")
        command = self.lookup(name)
        if command is None:
            near = difflib.get_close_matches(name.lower(), sorted(self._names), n=1)
            hint = f"did you mean :{near[0]}?" if near else ":help lists the commands"
            raise CommandError(f"unknown command :{name}; {hint}")
        return command.handler(repl, arg.strip())

    def help_lines(self, name: str | None = None) -> list[str]:
        if name:
            command = self.lookup(name.lstrip(":"))
            if command is None:
                raise CommandError(f"no command :{name.lstrip(':')}; :help lists them")
            aliases = ", ".join(f":{a}" for a in command.aliases)
            return [
                f"{command.synopsis}  {command.help}",
                f"  example: {command.example}" + (f"  (also {aliases})" if aliases else ""),
            ]
        width = max(len(c.synopsis) for c in self)
        return [f"  {c.synopsis.ljust(width)}  {c.help}  e.g. {c.example}" for c in self]


# --- helpers -------------------------------------------------------------------------------


def number(arg: str, what: str) -> int:
    try:
        value = int(arg)
    except ValueError:
        raise CommandError(f"{what} needs a number, not {arg!r}") from None
    if value < 1:
        raise CommandError(f"{what} needs a positive number")
    return value


def resolve_value(
    name: str, known: Sequence[ValueCount], selected: Sequence[str], what: str
) -> str:
    """The canonical value a typed name means: exact (any case), else a unique prefix, else
    a unique substring; a clear error otherwise."""
    typed = name.strip().strip("\"'")
    low = typed.casefold()
    for value in (*selected, *(vc.value for vc in known)):
        if value.casefold() == low:
            return value
    for test in (str.startswith, str.__contains__):
        found = [vc.value for vc in known if test(vc.value.casefold(), low)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
            raise CommandError(f"{typed!r} matches several {what}s ({shown}): type more of it")
    near = difflib.get_close_matches(low, [vc.value.casefold() for vc in known], n=1)
    if near:
        match = next(vc.value for vc in known if vc.value.casefold() == near[0])
        raise CommandError(f"no {what} {typed!r}; did you mean {match}?")
    raise CommandError(f"no {what} {typed!r}; :{what} alone lists them")


def toggle(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    return tuple(v for v in values if v != value) if value in values else (*values, value)


# --- filters and sort ------------------------------------------------------------------------


def cmd_topic(repl: Repl, arg: str) -> Reply:
    if not arg:
        return repl.facet_listing("topics", "topic")
    state = repl.state
    value = resolve_value(arg, repl.catalog.topics(), state.topics, "topic")
    state.topics = toggle(state.topics, value)
    return repl.run_search(note=_filter_note("topic", state.topics))


def cmd_provider(repl: Repl, arg: str) -> Reply:
    if not arg:
        return repl.facet_listing("provider", "provider")
    state = repl.state
    typed = arg.strip("\"'")
    if "." in typed and " " not in typed and typed not in state.providers:
        value = typed  # a domain: the search matches providers by name or domain
    else:
        value = resolve_value(arg, repl.catalog.providers(), state.providers, "provider")
    state.providers = toggle(state.providers, value)
    return repl.run_search(note=_filter_note("provider", state.providers))


def _filter_note(name: str, values: tuple[str, ...]) -> str:
    return f"{name} filter: {sanitize(', '.join(values)) if values else 'off'}"


def cmd_kind(repl: Repl, arg: str) -> Reply:
    if not arg:
        return repl.facet_listing("kind", "kind")
    low = arg.lower()
    if low == "all":
        repl.state.kind = None
    elif low in KIND_ALIASES:
        repl.state.kind = KIND_ALIASES[low]
    else:
        raise CommandError(f"unknown kind {arg!r}: use article, related or all")
    return repl.run_search(note=f"kind: {repl.state.kind or 'all'}")


def _bound(repl: Repl, spec: str, *, end: bool) -> datetime | None:
    try:
        return dates.as_bound(spec, repl.now(), end=end)
    except dates.DateSpecError as exc:
        raise CommandError(str(exc)) from None


def cmd_since(repl: Repl, arg: str) -> Reply:
    repl.state.since = _bound(repl, arg, end=False) if arg else None
    return repl.run_search(note=_date_note(repl))


def cmd_until(repl: Repl, arg: str) -> Reply:
    repl.state.until = _bound(repl, arg, end=True) if arg else None
    return repl.run_search(note=_date_note(repl))


def cmd_date(repl: Repl, arg: str) -> Reply:
    if not arg:
        repl.state.since = repl.state.until = None
    else:
        try:
            span = dates.parse_range(arg, repl.now())
        except dates.DateSpecError as exc:
            raise CommandError(str(exc)) from None
        repl.state.since, repl.state.until = span.start, span.end
    return repl.run_search(note=_date_note(repl))


def _date_note(repl: Repl) -> str:
    span = repl.state.date_range
    if span and span.start and span.end and span.start >= span.end:
        raise CommandError("the dates leave no time between them: :date alone removes them")
    return f"date filter: {span.describe() if span else 'off'}"


def cmd_clear(repl: Repl, arg: str) -> Reply:
    if not repl.state.has_filters():
        return Reply(("No filters to clear.",))
    repl.state.clear_filters()
    return repl.run_search(note="filters cleared")


def cmd_sort(repl: Repl, arg: str) -> Reply:
    if not arg:
        return Reply((f"Sorted by {repl.state.sort}; choose {', '.join(SORTS)}.",))
    found = [s for s in SORTS if s.startswith(arg.lower())]
    if arg.lower() in SORTS:
        found = [arg.lower()]
    if len(found) != 1:
        raise CommandError(f"unknown sort {arg!r}: use {', '.join(SORTS)}")
    repl.state.sort = found[0]
    return repl.run_search(note=f"sorted by {found[0]}")


# --- paging ----------------------------------------------------------------------------------


def _pages(repl: Repl) -> int:
    if repl.state.results is None:
        raise CommandError("no results yet: type a query first")
    return repl.state.results.pages


def cmd_next(repl: Repl, arg: str) -> Reply:
    pages = _pages(repl)
    if repl.state.page >= pages:
        raise CommandError(f"already on the last page ({pages} of {pages})")
    return repl.run_search(page=repl.state.page + 1)


def cmd_prev(repl: Repl, arg: str) -> Reply:
    _pages(repl)
    if repl.state.page <= 1:
        raise CommandError("already on the first page")
    return repl.run_search(page=repl.state.page - 1)


def cmd_page(repl: Repl, arg: str) -> Reply:
    pages = _pages(repl)
    if not arg:
        return Reply((f"Page {repl.state.page} of {pages}.",))
    page = number(arg, ":page")
    if page > pages:
        raise CommandError(f"there {'is' if pages == 1 else 'are'} only {pages} page(s)")
    return repl.run_search(page=page)


# --- session ---------------------------------------------------------------------------------


def cmd_help(repl: Repl, arg: str) -> Reply:
    if arg:
        return Reply(tuple(repl.commands.help_lines(arg)))
    lines = [
        'Type words to search; the query language has "phrases", AND/OR/NOT, (groups),',
        "field:value (title: topic: provider: kind: date:2021-05 ...), climat* and word~.",
        "Filters and the sort stay until :clear; a new query starts at page 1.",
        "",
        *repl.commands.help_lines(),
        "",
        "Tab completes; → accepts the grey suggestion from history; Ctrl-R searches the",
        "history; Ctrl-C clears the line; Ctrl-D or :quit leaves. :help NAME shows one command.",
        f"Settings (page_size, colors, editing_mode, history_size, pager): {repl.config_file}",
    ]
    return Reply(tuple(lines))


def cmd_history(repl: Repl, arg: str) -> Reply:
    count = number(arg, ":history") if arg else 20
    entries = list(repl.history.get_strings())[-count:]
    if not entries:
        return Reply(("The history is empty.",))
    start = max(1, len(list(repl.history.get_strings())) - len(entries) + 1)
    return Reply(tuple(f"{n:>5}  {e}" for n, e in enumerate(entries, start)))


def cmd_quit(repl: Repl, arg: str) -> Reply:
    return Reply(quit=True)


def build_commands() -> CommandTable:
    """A fresh command table holding every command, in the order :help lists them."""
    from .views import view_commands

    table = CommandTable()
    for command in (
        Command("help", cmd_help, "list the commands, or explain one", ":help topic",
                "[NAME]", ("h", "?"), "commands"),
        Command("topic", cmd_topic, "toggle a topic filter; alone: the topics, with counts",
                ":topic Politics", "[NAME]", ("t",), "topics"),
        Command("provider", cmd_provider, "toggle a provider filter (a name or a domain)",
                ":provider The Guardian", "[NAME]", ("source",), "providers"),
        Command("kind", cmd_kind, "only articles, only related stubs, or all",
                ":kind article", "[article|related|all]", (), "kinds"),
        Command("since", cmd_since, "only documents published on or after DATE",
                ":since 2021-05", "[DATE]", (), "dates"),
        Command("until", cmd_until, "only documents published on or before DATE",
                ":until 2021-06-30", "[DATE]", (), "dates"),
        Command("date", cmd_date, "only documents published in SPEC (alone: any date)",
                ":date last week", "[SPEC]", (), "dates"),
        Command("clear", cmd_clear, "remove every filter (topic, provider, kind, dates)",
                ":clear"),
        Command("sort", cmd_sort, "sort by relevance, newest, oldest or recent-relevance",
                ":sort newest", "[ORDER]", (), "sorts"),
        Command("next", cmd_next, "the next page of results", ":next", "", ("n",)),
        Command("prev", cmd_prev, "the previous page of results", ":prev", "", ("p",)),
        Command("page", cmd_page, "go to page N of the results", ":page 3", "N"),
        *view_commands(),
        Command("history", cmd_history, "the last N queries and commands (default 20)",
                ":history 50", "[N]"),
        Command("quit", cmd_quit, "leave the session (Ctrl-D does too)", ":quit", "",
                ("q", "exit")),
    ):  # fmt: skip
        table.add(command)
    return table
