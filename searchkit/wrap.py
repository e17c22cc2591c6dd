"""Word wrapping with a hanging indent, for text that may hold colour codes (SGR escapes,
which take no columns). Pure functions, used by the renderers wherever text is printed at a
known width."""

from __future__ import annotations

import re
import unicodedata

_SGR = re.compile(r"\x1b\[[0-9;]*m")
_PIECES = re.compile(r"(\x1b\[[0-9;]*m)|( +)|([^ \x1b]+)")


def columns(text: str) -> int:
    """The columns `text` takes on a terminal: colour codes none, wide characters two."""
    plain = _SGR.sub("", text)
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        for c in plain
    )


def wrap(text: str, width: int, indent: int = 0) -> list[str]:
    """`text` in lines of at most `width` columns, broken between words; lines after the
    first start with `indent` spaces. A word longer than a line is cut. Colour codes are
    kept with the words they colour."""
    room = max(1, width)
    lines: list[str] = []
    line, used, pending = "", 0, ""  # pending: spaces not yet written
    codes = ""  # colour codes met since the last word: they go with what follows
    for code, spaces, word in (m.groups() for m in _PIECES.finditer(text)):
        if code:
            codes += code
        elif spaces:
            line, codes = line + codes, ""  # codes right after a word end its colour
            pending = spaces
        else:
            size = columns(word)
            if line and used + len(pending) + size > room and used > indent:
                lines.append(line)
                line, used, pending = " " * indent, indent, ""
            line += pending + codes
            used += len(pending)
            pending, codes = "", ""
            while used + size > room and size > 1 and room - used > 0:
                cut = _fit(word, room - used)
                lines.append(line + cut)
                word = word[len(cut) :]
                size = columns(word)
                line, used = " " * indent, indent
            line += word
            used += size
    lines.append(line + codes)
    return lines


def _fit(word: str, room: int) -> str:
    """The longest start of `word` that takes at most `room` columns (at least one
    character)."""
    end = 1
    while end < len(word) and columns(word[: end + 1]) <= room:
        end += 1
    return word[:end]
