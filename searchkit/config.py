"""Where things are. Each of the index and seeds folders is, in this order: the command-line
flag (or the API's argument), the SEARCHKIT_INDEX / SEARCHKIT_SEEDS variable, the [index]
section of the config file, then (seeds only) the folder the index was built from, then the
default (./index, ./seeds).

The config file is `$XDG_CONFIG_HOME/searchkit/config.toml` (default
`~/.config/searchkit/config.toml`):

    [index]
    index = "~/news/index"   # the index folder
    seeds = "~/news/seeds"   # the seeds folder

`~` is expanded; a relative path is relative to the working folder, as a flag's is. The REPL
reads the same file's [repl] section (repl/config.py), and warns about what it does not
know; here a file that cannot be read or parsed is as no file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

DEFAULT_INDEX_DIR = "index"
DEFAULT_SEEDS_DIR = "seeds"
INDEX_ENV = "SEARCHKIT_INDEX"
SEEDS_ENV = "SEARCHKIT_SEEDS"
LOCATION_KEYS = ("index", "seeds")  # the keys of [index]


def _xdg(variable: str, default: str, env: Mapping[str, str]) -> Path:
    value = env.get(variable, "")
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / default


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    """The config file (it may not exist)."""
    return _xdg("XDG_CONFIG_HOME", ".config", env) / "searchkit" / "config.toml"


def state_path(env: Mapping[str, str] = os.environ) -> Path:
    """The folder of the files searchkit keeps between sessions (the REPL's history)."""
    return _xdg("XDG_STATE_HOME", ".local/state", env) / "searchkit"


def configured_locations(env: Mapping[str, str] = os.environ) -> dict[str, Path]:
    """The folders the config file's [index] section names ("index", "seeds"), those that
    are strings; none when the file is missing, unreadable or not TOML."""
    try:
        data = tomllib.loads(config_path(env).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("index")
    if not isinstance(table, dict):
        return {}
    return {
        key: Path(os.path.expanduser(value))
        for key in LOCATION_KEYS
        if isinstance(value := table.get(key), str) and value
    }


def resolve_index_dir(
    flag: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] = os.environ
) -> Path:
    """The index folder: the flag, else $SEARCHKIT_INDEX, else the config file's, else
    ./index."""
    if flag:
        return Path(flag)
    if env.get(INDEX_ENV):
        return Path(env[INDEX_ENV])
    return configured_locations(env).get("index") or Path(DEFAULT_INDEX_DIR)


def resolve_seeds_dir(
    flag: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] = os.environ
) -> Path | None:
    """The seeds folder asked for: the flag, else $SEARCHKIT_SEEDS, else the config file's,
    else None (meaning the folder the index was built from, or ./seeds for a new index)."""
    if flag:
        return Path(flag)
    if env.get(SEEDS_ENV):
        return Path(env[SEEDS_ENV])
    return configured_locations(env).get("seeds")
