"""Which generation a store's Whoosh index is at, read from its tables of contents.

A build with nothing to do needs only this, so the fast path lists the store's files and reads
the generation from the names Whoosh gives its tables of contents (`_MAIN_<generation>.toc`),
without loading Whoosh's index modules.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import IndexDamagedError
from . import FAST
from .errors import opening

_TOC = re.compile(r"_MAIN_(\d+)\.toc\Z")  # Whoosh's file name for a table of contents


def latest_generation(store: Path) -> int:
    """The generation of the store's Whoosh index (what Whoosh's latest_generation() says)."""
    if not FAST:
        from .storage import open_index

        with opening(store.parent, store):
            generation: int = open_index(store).latest_generation()
        return generation
    try:
        names = os.listdir(store)
    except OSError as exc:
        what = f"cannot be read: {exc.strerror}"
        raise IndexDamagedError(str(store.parent), what, str(store)) from None
    found = [int(m.group(1)) for name in names if (m := _TOC.match(name))]
    if not found:
        raise IndexDamagedError(str(store.parent), "holds no table of contents", str(store))
    return max(found)
