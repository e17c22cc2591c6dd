"""The table of every REPL command, in the order :help lists them, with the few that are about
the session itself: :help, :history, :quit."""

from __future__ import annotations

from ..render import sanitize
from ..wrap import wrap
from .commands import Command, CommandTable, Shell, number
from .file_commands import file_commands
from .filter_commands import filter_commands
from .state import Reply
from .views import view_commands


def cmd_help(repl: Shell, arg: str) -> Reply:
    if arg:
        return Reply(tuple(repl.commands.help_lines(arg, width=repl.width())), long=True)
    lines = [
        'Type words to search; the query language has "phrases", AND/OR/NOT, (groups),',
        "field:value (title: topic: provider: kind: date:2021-05 ...), climat* and word~.",
        "Filters and the sort stay until :clear; a new query starts at page 1.",
        "",
        *repl.commands.help_lines(width=repl.width()),
        "",
        "Tab completes; → accepts the grey suggestion from history; Ctrl-R searches the",
        "history; Ctrl-C clears the line; Ctrl-D or :quit leaves. :help NAME shows one command.",
        f"Settings (page_size, colors, editing_mode, history_size, pager): {repl.config_file}",
    ]
    width = repl.width()
    wrapped = [part for line in lines for part in (wrap(line, width) if line else [line])]
    return Reply(tuple(wrapped), long=True)


def cmd_history(repl: Shell, arg: str) -> Reply:
    count = number(arg, ":history") if arg else 20
    entries = list(repl.history.get_strings())[-count:]
    if not entries:
        return Reply(("The history is empty.",))
    start = max(1, len(list(repl.history.get_strings())) - len(entries) + 1)
    return Reply(tuple(f"{n:>5}  {sanitize(e)}" for n, e in enumerate(entries, start)), long=True)


def cmd_quit(repl: Shell, arg: str) -> Reply:
    return Reply(quit=True)


def build_commands() -> CommandTable:
    """A fresh command table holding every command, in the order :help lists them."""
    table = CommandTable()
    for command in (
        Command("help", cmd_help, "list the commands, or explain one", ":help topic",
                "[NAME]", ("h", "?"), "commands"),
        *filter_commands(),
        *view_commands(),
        *file_commands(),
        Command("history", cmd_history, "the last N queries and commands (default 20)",
                ":history 50", "[N]"),
        Command("quit", cmd_quit, "leave the session (Ctrl-D does too)", ":quit", "",
                ("q", "exit")),
    ):  # fmt: skip
        table.add(command)
    return table
