"""The bottom toolbar: active filters, sort, hits, page and time taken. `toolbar_parts` is a
pure function of the state and the width; `make_toolbar` adapts it to prompt-toolkit.

The toolbar is a list of groups, each with a priority; when they do not fit the width, the
groups of lowest priority are shortened first (to their short form), then left out, so that
the hits and the page are the last to go. Another part (say, the index's freshness) is one
more group with its priority."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prompt_toolkit.application import get_app_or_none
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.utils import get_cwidth

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
SHORT_VALUE = 14  # characters a filter's values keep when shortened


@dataclass(frozen=True, slots=True)
class Group:
    """One part of the toolbar: its pieces, a shorter form (None: it has none), and its
    priority (the higher, the longer it stays)."""

    parts: tuple[Part, ...]
    priority: int
    short: tuple[Part, ...] | None = None


# Priorities: the last to be shortened and left out come last.
TIME, WELCOME_TEXT, SORT, FILTER, LIVE, PAGE, HITS = 10, 20, 30, 40, 50, 80, 90


def state_groups(state: ReplState, live: str | None = None) -> list[Group]:
    """The toolbar's groups for the session's state, in the order they are shown; `live` is
    what the session's following of its seeds folder has to say (repl/live.py), if anything."""
    groups: list[Group] = []
    filters = state.filters.clauses()
    if filters:
        for name, values in filters:
            text = sanitize(", ".join(values))
            cut = text if len(text) <= SHORT_VALUE else text[: SHORT_VALUE - 1] + "…"
            groups.append(
                Group(
                    (("key", f"{name}: "), ("filter", text)),
                    FILTER,
                    (("key", f"{name[:1]}:"), ("filter", cut)),
                )
            )
    else:
        groups.append(Group((("key", "no filters"),), FILTER - 1))
    groups.append(Group((("key", "sort: "), ("value", state.sort)), SORT, (("value", state.sort),)))
    results = state.results
    if results is None:
        groups.append(Group((("key", WELCOME),), WELCOME_TEXT, (("key", ":help"),)))
    else:
        groups.append(
            Group(
                (("value", f"{results.total:,}"), ("key", " hits")),
                HITS,
                (("value", f"{results.total:,}"),),
            )
        )
        groups.append(
            Group(
                (("key", "page "), ("value", f"{results.page}/{results.pages}")),
                PAGE,
                (("value", f"{results.page}/{results.pages}"),),
            )
        )
        groups.append(Group((("value", f"{results.took_ms:.0f}"), ("key", " ms")), TIME))
    if live:
        groups.append(Group((("key", sanitize(live)),), LIVE))
    return groups


def fit_groups(groups: Sequence[Group], width: int | None) -> list[Part]:
    """The groups as toolbar pieces within `width` columns (None: no limit). Until they fit:
    the groups below the page and hits take their short form, lowest priority first; the
    time and the sort are left out; the page and hits take their short form; then groups are
    left out, lowest priority first (the hits last)."""
    shown: list[tuple[Part, ...] | None] = [g.parts for g in groups]
    if width is None:
        return _join(shown)
    order = sorted(range(len(groups)), key=lambda i: groups[i].priority)
    steps = [(i, "short") for i in order if groups[i].priority < PAGE]
    steps += [(i, "drop") for i in order if groups[i].priority <= SORT]
    steps += [(i, "short") for i in order if groups[i].priority >= PAGE]
    steps += [(i, "drop") for i in order]
    for i, step in steps:
        if get_cwidth("".join(t for _, t in _join(shown))) <= width:
            break
        if step == "short" and groups[i].short is not None and shown[i] is not None:
            shown[i] = groups[i].short
        elif step == "drop" and sum(1 for g in shown if g is not None) > 1:
            shown[i] = None
    return _join(shown)


def _join(shown: Sequence[tuple[Part, ...] | None]) -> list[Part]:
    parts: list[Part] = [("", " ")]
    for group in (g for g in shown if g is not None):
        if len(parts) > 1:
            parts.append(("sep", SEPARATOR))
        parts.extend(group)
    return parts


def toolbar_parts(
    state: ReplState, width: int | None = None, *, live: str | None = None
) -> list[Part]:
    """What the toolbar shows, as (class, text) pieces, fitted to `width` columns."""
    return fit_groups(state_groups(state, live), width)


def toolbar_text(state: ReplState, width: int | None = None, *, live: str | None = None) -> str:
    return "".join(text for _, text in toolbar_parts(state, width, live=live))


def make_toolbar(
    state: Callable[[], ReplState], live: Callable[[], str | None] = lambda: None
) -> Callable[[], StyleAndTextTuples]:
    def render() -> StyleAndTextTuples:
        app = get_app_or_none()
        width = app.output.get_size().columns - 1 if app is not None else None
        return [
            (f"class:sk.toolbar.{cls}" if cls else "", text)
            for cls, text in toolbar_parts(state(), width, live=live())
        ]

    return render
