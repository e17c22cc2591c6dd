"""Live validation of the line being typed: a query that cannot be parsed (an unknown field,
with the closest known one suggested; an unclosed quote; a bad date) or an unknown command
is flagged before Enter. `find_problem` is pure; `QueryValidator` adapts it."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError, Validator

from ..errors import QueryError, SearchkitError
from ..render import sanitize


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    position: int  # where the cursor goes


def closest(name: str, known: Collection[str]) -> str | None:
    matches = difflib.get_close_matches(name.lower(), sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def find_problem(
    text: str, *, parse: Callable[[str], Any], commands: Collection[str]
) -> Problem | None:
    """What is wrong with `text`, or None. `parse` raises QueryError for a bad query (it is
    SearchIndex.parse); `commands` are the known command names and aliases."""
    stripped = text.lstrip()
    if not stripped:
        return None
    if stripped.startswith(":"):
        name = stripped[1:].split(maxsplit=1)[0].lower() if stripped[1:].strip() else ""
        if not name or name in commands:
            return None
        near = closest(name, commands)
        hint = f"; did you mean :{near}?" if near else "; :help lists the commands"
        return Problem(f"unknown command :{name}{hint}", len(text) - len(stripped))
    try:
        parse(text)
    except QueryError as exc:
        message = exc.message + (f"; {exc.hint}" if exc.hint else "")
        position = exc.position if exc.position is not None else len(text)
        return Problem(message, max(0, min(position, len(text))))
    except SearchkitError:
        return None  # the index itself is the problem: Enter will say so
    return None


class QueryValidator(Validator):
    def __init__(
        self, parse: Callable[[str], Any], commands: Callable[[], Collection[str]]
    ) -> None:
        self._parse = parse
        self._commands = commands

    def validate(self, document: Document) -> None:
        problem = find_problem(document.text, parse=self._parse, commands=self._commands())
        if problem is not None:
            # The message may repeat what was typed: shown escaped, as everything typed is.
            message = sanitize(problem.message)
            raise ValidationError(cursor_position=problem.position, message=message)
