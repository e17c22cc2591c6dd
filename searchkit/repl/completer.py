"""Completion as you type: commands, field names and aliases, topic and provider values with
their counts, kinds, sorts and date keywords.

`complete` is a pure function of the text before the cursor and a `Vocabulary` (plain data),
tested with strings; `ReplCompleter` adapts it to prompt-toolkit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from ..query import FIELD_ALIASES
from ..results import SORTS, ValueCount

DATE_KEYWORDS = (
    "today",
    "yesterday",
    "this week",
    "last week",
    "this month",
    "last month",
    "this year",
    "last year",
    "last 30 days",
    "30d",
    "2w",
    "6m",
    "1y",
)
KINDS = ("article", "related", "all")
OPERATORS = ("AND", "OR", "NOT")
MAX_VALUES = 50  # the menu redraws every value on each key: more would cost ~0.2 ms each

_FIELD_VALUES = {"topic": "topics", "provider": "providers", "kind": "kinds", "published": "dates"}


@dataclass(frozen=True, slots=True)
class Candidate:
    """Replace the last `replace` characters before the cursor by `text`."""

    text: str
    replace: int
    display: str = ""
    meta: str = ""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What can be completed. `commands` maps each name to its one-line help; `arguments`
    says what a command's argument is ("topics", "providers", "kinds", "sorts", "dates",
    "commands", "numbers"); `numbers` are the numbered items on screen and their titles."""

    commands: dict[str, str] = field(default_factory=dict)
    arguments: dict[str, str] = field(default_factory=dict)
    topics: Sequence[ValueCount] = ()
    providers: Sequence[ValueCount] = ()
    numbers: Sequence[tuple[int, str]] = ()
    dates: Sequence[ValueCount] = ()  # the years and months that hold documents


def complete(text: str, vocab: Vocabulary) -> list[Candidate]:
    """The completions for the text before the cursor, best first."""
    stripped = text.lstrip()
    if stripped.startswith(":"):
        return _complete_command(stripped[1:], vocab)
    word = _last_word(text)
    name, colon, value = word.partition(":")
    if colon and not name.startswith(('"', "(")):
        target = FIELD_ALIASES.get(name.lstrip("+-").lower())
        kind = _FIELD_VALUES.get(target or "")
        return _values(kind, value, vocab, quote=True) if kind else []
    return _fields(word, vocab)


def _last_word(text: str) -> str:
    """The word being typed: from the last space outside quotes (a value may hold spaces)."""
    start, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif (ch.isspace() and not quoted) or (ch == "(" and not quoted):
            start = i + 1
    return text[start:]


def _complete_command(line: str, vocab: Vocabulary) -> list[Candidate]:
    name, space, arg = line.partition(" ")
    if not space:
        prefix = name.lower()
        return [
            Candidate(f":{c}", len(name) + 1, meta=help_)
            for c, help_ in vocab.commands.items()
            if c.startswith(prefix)
        ]
    kind = vocab.arguments.get(name.lower())
    if kind is None:
        return []
    return _values(kind, arg.lstrip(), vocab, quote=False)


def _fields(word: str, vocab: Vocabulary) -> list[Candidate]:
    """Field names (and aliases) for a word being typed; operators when it is upper case."""
    bare = word.lstrip("+-")
    if not bare or not re.fullmatch(r"[A-Za-z_][\w-]*", bare):
        return []
    out = [
        Candidate(
            f"{alias}:", len(bare), meta="" if alias == target else f"= {_field_name(target)}:"
        )
        for alias, target in FIELD_ALIASES.items()
        if alias.startswith(bare.lower())
    ]
    if bare.isupper():
        out += [
            Candidate(op, len(bare), meta="operator")
            for op in OPERATORS
            if op.startswith(bare) and op != bare
        ]
    return out


def _field_name(target: str) -> str:
    return "date" if target == "published" else target


def _values(kind: str, typed: str, vocab: Vocabulary, *, quote: bool) -> list[Candidate]:
    if kind in ("topics", "providers"):
        counts = vocab.topics if kind == "topics" else vocab.providers
        return _counted(counts, typed, quote=quote)
    if kind == "dates" and typed[:1].isdigit():
        return [
            Candidate(d.value, len(typed), display=f"{d.value} ({d.count:,})")
            for d in vocab.dates
            if d.value.startswith(typed)
        ][:MAX_VALUES]
    if kind == "numbers":
        return [
            Candidate(str(n), len(typed), meta=title)
            for n, title in vocab.numbers
            if str(n).startswith(typed)
        ]
    plain: Iterable[str] = {
        "kinds": KINDS if not quote else KINDS[:2],
        "sorts": SORTS,
        "dates": DATE_KEYWORDS,
        "commands": tuple(vocab.commands),
    }.get(kind, ())
    needle = typed.strip('"').lower()
    return [
        Candidate(_quoted(v) if quote else v, len(typed))
        for v in plain
        if v.lower().startswith(needle)
    ]


def _counted(counts: Sequence[ValueCount], typed: str, *, quote: bool) -> list[Candidate]:
    """Values that start with what was typed, then values that contain it; each list in
    the index's order (most documents first)."""
    needle = typed.strip('"').lower()
    first: list[ValueCount] = []
    then: list[ValueCount] = []
    for vc in counts:
        low = vc.value.lower()
        if low.startswith(needle):
            first.append(vc)
        elif needle and needle in low:
            then.append(vc)
    return [
        Candidate(
            _quoted(vc.value) if quote else vc.value,
            len(typed),
            display=f"{vc.value} ({vc.count:,})",
        )
        for vc in (first + then)[:MAX_VALUES]
    ]


def _quoted(value: str) -> str:
    return f'"{value}"' if re.search(r"[\s():\"]", value) else value


class ReplCompleter(Completer):
    """prompt-toolkit adapter; `vocabulary` gives the current Vocabulary."""

    def __init__(self, vocabulary: Callable[[], Vocabulary]) -> None:
        self._vocabulary = vocabulary

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        for s in complete(document.text_before_cursor, self._vocabulary()):
            yield Completion(
                s.text,
                start_position=-s.replace,
                display=s.display or None,
                display_meta=s.meta or None,
            )
