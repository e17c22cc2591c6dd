"""Syntax highlighting of what is typed at the prompt: commands, fields, operators, phrases,
dates. `lex` is a pure function over plain strings; `QueryLexer` adapts it to prompt-toolkit.
A line runs through it at every key, so only its first MAX_QUERY_LENGTH characters (all a
query may have) are highlighted: a huge paste stays quick to edit."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer

from ..limits import MAX_QUERY_LENGTH
from ..query import FIELD_ALIASES

Token = tuple[str, str]  # (class, text); "" is plain text

COMMAND, UNKNOWN_COMMAND = "command", "command.unknown"
FIELD, UNKNOWN_FIELD = "field", "field.unknown"
OPERATOR, PHRASE, DATE, VALUE, MODIFIER, NUMBER = (
    "operator",
    "phrase",
    "date",
    "value",
    "modifier",
    "number",
)

# The colours of each class; the session turns them off when colours are off.
STYLE = {
    "sk.command": "ansicyan bold",
    "sk.command.unknown": "ansired",
    "sk.field": "ansiblue bold",
    "sk.field.unknown": "ansired underline",
    "sk.operator": "ansimagenta bold",
    "sk.phrase": "ansigreen",
    "sk.date": "ansiyellow",
    "sk.value": "ansicyan",
    "sk.modifier": "ansimagenta",
    "sk.number": "ansiyellow",
}

_DATE_FIELDS = {"published"}
_VALUE_FIELDS = {"topic", "provider", "kind", "domain"}
_DATE_COMMANDS = {"since", "until", "date"}
_NUMBER_COMMANDS = {"page", "show", "open", "similar", "related", "cited", "history"}

_QUERY_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<field>[A-Za-z_][\w-]*:(?=[^\s/]|$))
    |(?P<phrase>"[^"]*"?)
    |(?P<range>[\[{][^\]}]*[\]}]?)
    |(?P<operator>(?:AND|OR|NOT|ANDNOT|ANDMAYBE)(?![^\s()])|[()])
    |(?P<sign>[+-](?=[^\s+-]))
    |(?P<word>[^\s"()]+)""",
    re.VERBOSE,
)
_WORD_PARTS = re.compile(r"([*?]+|~\d*$|\^[\d.]*$)")


def _word(text: str, cls: str) -> list[Token]:
    """A word with its wildcards, fuzziness and boost marked."""
    if cls:
        return [(cls, text)]
    return [(MODIFIER if _WORD_PARTS.fullmatch(p) else "", p) for p in _WORD_PARTS.split(text) if p]


def lex_query(text: str) -> list[Token]:
    tokens: list[Token] = []
    value_class = None  # the class of the value that follows a field prefix
    group_class, depth = "", 0  # field:(a OR b): the class of the values in the group
    for m in _QUERY_TOKEN.finditer(text):
        kind, part = m.lastgroup, m.group()
        if kind == "field":
            target = FIELD_ALIASES.get(part[:-1].lower())
            tokens.append((FIELD if target else UNKNOWN_FIELD, part))
            value_class = (
                DATE if target in _DATE_FIELDS else VALUE if target in _VALUE_FIELDS else ""
            )
            continue
        if part == "(" and (depth or value_class is not None):
            group_class, depth = (group_class if depth else value_class or ""), depth + 1
        elif part == ")" and depth:
            depth -= 1
        current = value_class if value_class is not None else (group_class if depth else "")
        if kind == "space":
            tokens.append(("", part))
        elif kind == "phrase":
            tokens.append((current or PHRASE, part))
        elif kind in ("operator", "sign"):
            tokens.append((OPERATOR, part))
        else:
            tokens.extend(_word(part, current))
        value_class = None
    return tokens


def lex(text: str, commands: Collection[str] = ()) -> list[Token]:
    """Tokens that cover `text` exactly. A line starting with ':' is a command; its name is
    checked against `commands` when given."""
    if len(text) > MAX_QUERY_LENGTH:
        return _merge([*lex(text[:MAX_QUERY_LENGTH], commands), ("", text[MAX_QUERY_LENGTH:])])
    stripped = text.lstrip()
    if not stripped.startswith(":"):
        return _merge(lex_query(text))
    lead = text[: len(text) - len(stripped)]
    m = re.match(r":(\S*)", stripped)
    assert m is not None
    name = m.group(1)
    known = not commands or name.lower() in commands or not name
    tokens: list[Token] = [("", lead)] if lead else []
    tokens.append((COMMAND if known else UNKNOWN_COMMAND, m.group()))
    rest = stripped[m.end() :]
    if rest:
        tokens.extend(_argument(name.lower(), rest))
    return _merge(tokens)


def _argument(command: str, rest: str) -> list[Token]:
    body = rest.lstrip()
    space = rest[: len(rest) - len(body)]
    tokens: list[Token] = [("", space)] if space else []
    if not body:
        return tokens
    if command in _DATE_COMMANDS:
        tokens.append((DATE, body))
    elif command in _NUMBER_COMMANDS and body.strip().isdigit():
        tokens.append((NUMBER, body))
    elif command in ("explain",):
        tokens.extend(lex_query(body))
    else:
        tokens.append((VALUE, body))
    return tokens


def _merge(tokens: list[Token]) -> list[Token]:
    merged: list[Token] = []
    for cls, text in tokens:
        if not text:
            continue
        if merged and merged[-1][0] == cls:
            merged[-1] = (cls, merged[-1][1] + text)
        else:
            merged.append((cls, text))
    return merged


class QueryLexer(Lexer):
    """prompt-toolkit adapter: `commands` gives the known command names (and aliases)."""

    def __init__(self, commands: Callable[[], Collection[str]]) -> None:
        self._commands = commands

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        lines = document.lines
        names = self._commands()

        def get_line(lineno: int) -> StyleAndTextTuples:
            if lineno >= len(lines):
                return []
            return [
                (f"class:sk.{cls}" if cls else "", text) for cls, text in lex(lines[lineno], names)
            ]

        return get_line
