"""The interactive REPL (`searchkit repl`), built with prompt-toolkit on the library API.

One module per piece: session (the Repl and its PromptSession), commands and views (the
command table), completer, lexer, validator, toolbar, history, pager, config, startup.
"""

from __future__ import annotations

from .app import run_repl
from .session import Repl

__all__ = ["Repl", "run_repl"]
