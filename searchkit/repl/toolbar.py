"""The bottom toolbar: active filters, sort, hits, page and time taken. `toolbar_parts` is a
pure function of the state; `make_toolbar` adapts it to prompt-toolkit."""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.formatted_text import StyleAndTextTuples

from ..render import sanitize
from .state import ReplState

Part = tuple[str, str]  # (class, text)

STYLE = {
    "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
    "bottom-toolbar sk.toolbar.key": "#8a8a8a",
    "bottom-toolbar sk.toolbar.value": "bold #ffffff",
    "bottom-toolbar sk.toolbar.filter": "bold ansiyellow",
    "bottom-toolbar sk.toolbar.sep": "#606060",
}
SEPARATOR = " │ "
WELCOME = "type a query · :help lists commands · Ctrl-D quits"


def toolbar_parts(state: ReplState, live: str | None = None) -> list[Part]:
    """What the toolbar shows, as (class, text) pieces; `live` is what the session's
    following of its seeds folder has to say (repl/live.py), if anything."""
    groups: list[list[Part]] = []
    filters = state.filters.clauses()
    if filters:
        for name, values in filters:
            groups.append([("key", f"{name}: "), ("filter", sanitize(", ".join(values)))])
    else:
        groups.append([("key", "no filters")])
    groups.append([("key", "sort: "), ("value", state.sort)])
    results = state.results
    if results is None:
        groups.append([("key", WELCOME)])
    else:
        groups.append([("value", f"{results.total:,}"), ("key", " hits")])
        groups.append([("key", "page "), ("value", f"{results.page}/{results.pages}")])
        groups.append([("value", f"{results.took_ms:.0f}"), ("key", " ms")])
    if live:
        groups.append([("key", sanitize(live))])
    parts: list[Part] = [("", " ")]
    for i, group in enumerate(groups):
        if i:
            parts.append(("sep", SEPARATOR))
        parts.extend(group)
    return parts


def toolbar_text(state: ReplState, live: str | None = None) -> str:
    return "".join(text for _, text in toolbar_parts(state, live))


def make_toolbar(
    state: Callable[[], ReplState], live: Callable[[], str | None] = lambda: None
) -> Callable[[], StyleAndTextTuples]:
    def render() -> StyleAndTextTuples:
        return [
            (f"class:sk.toolbar.{cls}" if cls else "", text)
            for cls, text in toolbar_parts(state(), live())
        ]

    return render
