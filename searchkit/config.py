"""Where things are: flag > SEARCHKIT_* environment variable > default."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_INDEX_DIR = "index"
DEFAULT_SEEDS_DIR = "seeds"
INDEX_ENV = "SEARCHKIT_INDEX"
SEEDS_ENV = "SEARCHKIT_SEEDS"


def resolve_index_dir(flag: str | os.PathLike[str] | None = None) -> Path:
    """The index folder: the flag, else $SEARCHKIT_INDEX, else ./index."""
    return Path(flag or os.environ.get(INDEX_ENV) or DEFAULT_INDEX_DIR)


def resolve_seeds_dir(flag: str | os.PathLike[str] | None = None) -> Path | None:
    """The seeds folder asked for: the flag, else $SEARCHKIT_SEEDS, else None (meaning the
    folder the index was built from, or ./seeds for a new index)."""
    value = flag or os.environ.get(SEEDS_ENV)
    return Path(value) if value else None
