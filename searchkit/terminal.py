"""What the terminal can take: whether to colour output. Used by the CLI and the REPL."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO


def use_color(stream: TextIO, *, enabled: bool = True, env: Mapping[str, str] = os.environ) -> bool:
    """Colour `stream` when it is a terminal, colour is `enabled` (a setting), and neither
    NO_COLOR nor TERM=dumb says otherwise."""
    return enabled and stream.isatty() and not env.get("NO_COLOR") and env.get("TERM") != "dumb"
