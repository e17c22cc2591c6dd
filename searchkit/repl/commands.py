"""The REPL's command machinery: a per-instance table that dispatches `:name argument` lines
and generates :help from the same entries (each has a one-line help and an example), the
helpers commands share, and `Shell`: what a command may use of the session.

The commands themselves: filters, sort and paging in filter_commands.py; documents and the
index in views.py; help, history and quit, and the table of them all, in table.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from prompt_toolkit.history import History

from ..render import Palette
from ..reports import IndexReport
from ..results import SearchResults, ValueCount
from ..wrap import wrap
from .catalog import Catalog
from .state import ReplState, Reply, SessionIndex


def on_cluster(command: str, cluster: str) -> str:
    """The one line that says a command is not offered in a session on a cluster."""
    return (
        f"{command} is not available on a cluster: the seeds of a sharded index are updated "
        f'with `searchkit index --cluster {cluster}`, outside the session (README, "Cluster")'
    )


class Shell(Protocol):
    """What a command handler may use of the session (session.Repl is one)."""

    state: ReplState
    index: SessionIndex
    catalog: Catalog
    commands: CommandTable
    palette: Palette
    history: History
    config_file: Path
    open_url: Callable[[str], bool] | None
    edit_file: Callable[[Path], bool]
    width: Callable[[], int]

    def now(self) -> datetime: ...

    def handle(self, line: str) -> Reply: ...

    def reindex(self) -> IndexReport: ...

    def search(
        self, *, page: int = 1, per_page: int | None = None, facet_limit: int | None = None
    ) -> SearchResults: ...

    def run_search(
        self, *, query: str | None = None, page: int = 1, note: str | None = None
    ) -> Reply: ...

    def show_results(self, results: SearchResults) -> Reply: ...

    def refresh_results(self) -> None: ...

    def facet_listing(self, name: str, what: str) -> Reply: ...


Handler = Callable[[Shell, str], Reply]


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

    def dispatch(self, repl: Shell, line: str) -> Reply:
        name, _, arg = line.strip()[1:].partition(" ")
        command = self.lookup(name)
        if command is None:
            near = difflib.get_close_matches(name.lower(), sorted(self._names), n=1)
            hint = f"did you mean :{near[0]}?" if near else ":help lists the commands"
            raise CommandError(f"unknown command :{name}; {hint}")
        return command.handler(repl, arg.strip())

    def help_lines(self, name: str | None = None, *, width: int | None = None) -> list[str]:
        """Every command's synopsis, help and example (or one command's); with `width`,
        wrapped between words under the help's column."""
        lines = self._help_lines(name)
        if width is None:
            return lines
        column = 2 + max(len(c.synopsis) for c in self) + 2 if not name else 2
        return [part for line in lines for part in wrap(line, width, column)]

    def _help_lines(self, name: str | None = None) -> list[str]:
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
