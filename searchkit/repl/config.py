"""The REPL's optional settings file and where its files live (XDG base directories).

The settings file is `$XDG_CONFIG_HOME/searchkit/config.toml` (default
`~/.config/searchkit/config.toml`); every key is optional and the file itself may be missing:

    [repl]
    page_size = "auto"      # hits per result page: as many as fit the terminal, or 1 to 100
    colors = true           # false: no colours (NO_COLOR=1 or a non-terminal also turn them off)
    editing_mode = "emacs"  # or "vi"
    history_size = 1000     # queries and commands kept in the history file
    pager = true            # page output taller than the screen (less -R, or $PAGER)
    auto_update = true      # follow the seeds folder and update the index while open

The [index] section names the index and seeds folders for every command (searchkit.config).
The history is kept in `$XDG_STATE_HOME/searchkit/history` (default
`~/.local/state/searchkit/history`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..config import LOCATION_KEYS, config_path, state_path

__all__ = ["ReplConfig", "config_path", "history_path", "load_config", "parse_config"]

DEFAULT_PAGE_SIZE: int | str = "auto"
FIXED_PAGE_SIZE = 10  # "auto" where there is no screen to fit (line mode)
DEFAULT_COLORS = True
DEFAULT_EDITING_MODE = "emacs"
DEFAULT_HISTORY_SIZE = 1000
DEFAULT_PAGER = True
DEFAULT_AUTO_UPDATE = True
EDITING_MODES = ("emacs", "vi")
MAX_PAGE_SIZE = 100
SECTIONS = ("repl", "index")  # [index] is read by every command: searchkit.config


@dataclass(frozen=True, slots=True)
class ReplConfig:
    page_size: int | str = DEFAULT_PAGE_SIZE  # "auto" or 1 to MAX_PAGE_SIZE
    colors: bool = DEFAULT_COLORS
    editing_mode: str = DEFAULT_EDITING_MODE
    history_size: int = DEFAULT_HISTORY_SIZE
    pager: bool = DEFAULT_PAGER
    auto_update: bool = DEFAULT_AUTO_UPDATE


def history_path(env: Mapping[str, str] = os.environ) -> Path:
    return state_path(env) / "history"


def _check(name: str, value: Any) -> str | None:
    """Why `value` is not valid for setting `name`, or None."""
    if name in ("colors", "pager", "auto_update"):
        return None if isinstance(value, bool) else "must be true or false"
    if name == "page_size" and value == "auto":
        return None
    if name == "editing_mode":
        return None if value in EDITING_MODES else 'must be "emacs" or "vi"'
    if not isinstance(value, int) or isinstance(value, bool):
        return "must be a whole number"
    if name == "page_size" and not 1 <= value <= MAX_PAGE_SIZE:
        return f'must be "auto" or between 1 and {MAX_PAGE_SIZE}'
    if name == "history_size" and value < 1:
        return "must be positive"
    return None


def parse_config(text: str, *, source: str = "config") -> tuple[ReplConfig, list[str]]:
    """Settings from TOML text, and one warning per problem (bad values keep their default)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return ReplConfig(), [f"{source}: not valid TOML ({exc}); using the defaults"]
    warnings: list[str] = []
    for name, value in data.items():
        if name in SECTIONS:
            continue
        what = "section" if isinstance(value, dict) else "setting"
        shown = f"[{name}]" if what == "section" else repr(name)
        warnings.append(
            f"{source}: unknown {what} {shown} ignored (sections: "
            f"{', '.join(f'[{s}]' for s in SECTIONS)})"
        )
    locations = data.get("index", {})
    if not isinstance(locations, dict):
        warnings.append(f"{source}: [index] must be a table; ignored")
    else:
        for name, value in locations.items():
            if name not in LOCATION_KEYS:
                warnings.append(
                    f"{source}: unknown setting {name!r} in [index] ignored (known: "
                    f"{', '.join(LOCATION_KEYS)})"
                )
            elif not isinstance(value, str) or not value:
                warnings.append(f"{source}: [index] {name} must be a folder's path; ignored")
    table = data.get("repl", {})
    if not isinstance(table, dict):
        return ReplConfig(), [*warnings, f"{source}: [repl] must be a table; using the defaults"]
    known = {f.name for f in fields(ReplConfig)}
    config = ReplConfig()
    for name, value in table.items():
        if name not in known:
            warnings.append(
                f"{source}: unknown setting {name!r} ignored (known: {', '.join(sorted(known))})"
            )
            continue
        problem = _check(name, value)
        if problem:
            warnings.append(f"{source}: {name} {problem}; using the default")
            continue
        config = replace(config, **{name: value})
    return config, warnings


def load_config(path: Path | None = None) -> tuple[ReplConfig, list[str]]:
    """The settings from the config file; defaults when it does not exist."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ReplConfig(), []
    except (OSError, UnicodeDecodeError) as exc:
        return ReplConfig(), [f"{path}: cannot be read ({exc}); using the defaults"]
    return parse_config(text, source=str(path))
