"""The REPL's commands that narrow, order and page the results: :topic, :provider, :kind,
:since, :until, :date, :clear, :sort, :next, :prev, :page."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from .. import dates
from ..filters import FilterValueError, resolve_kind
from ..render import sanitize
from ..results import SORTS
from .commands import Command, CommandError, Shell, number, resolve_value, toggle
from .state import Reply


def _set(repl: Shell, **changes: object) -> None:
    """Change the session's filters, or nothing when the change leaves no time between the
    dates."""
    filters = dataclasses.replace(repl.state.filters, **changes)  # type: ignore[arg-type]
    if filters.since and filters.until and filters.since >= filters.until:
        raise CommandError("the dates leave no time between them: :date alone removes them")
    repl.state.filters = filters


def cmd_topic(repl: Shell, arg: str) -> Reply:
    if not arg:
        return repl.facet_listing("topics", "topic")
    topics = repl.state.filters.topics
    value = resolve_value(arg, repl.catalog.topics(), topics, "topic")
    _set(repl, topics=toggle(topics, value))
    return repl.run_search(note=_filter_note("topic", repl.state.filters.topics))


def cmd_provider(repl: Shell, arg: str) -> Reply:
    if not arg:
        return repl.facet_listing("providers", "provider")
    providers = repl.state.filters.providers
    typed = arg.strip("\"'")
    if "." in typed and " " not in typed and typed not in providers:
        value = typed  # a domain: the search matches providers by name or domain
    else:
        value = resolve_value(arg, repl.catalog.providers(), providers, "provider")
    _set(repl, providers=toggle(providers, value))
    return repl.run_search(note=_filter_note("provider", repl.state.filters.providers))


def _filter_note(name: str, values: tuple[str, ...]) -> str:
    return f"{name} filter: {sanitize(', '.join(values)) if values else 'off'}"


def cmd_kind(repl: Shell, arg: str) -> Reply:
    if not arg:
        return repl.facet_listing("kind", "kind")
    try:
        kind = resolve_kind(arg)
    except FilterValueError as exc:
        raise CommandError(str(exc)) from None
    _set(repl, kind=kind)
    return repl.run_search(note=f"kind: {kind or 'all'}")


def _bound(repl: Shell, spec: str, *, end: bool) -> datetime | None:
    try:
        return dates.as_bound(spec, repl.now(), end=end)
    except dates.DateSpecError as exc:
        raise _date_error(exc) from None


def cmd_since(repl: Shell, arg: str) -> Reply:
    _set(repl, since=_bound(repl, arg, end=False) if arg else None)
    return repl.run_search(note=_date_note(repl))


def cmd_until(repl: Shell, arg: str) -> Reply:
    _set(repl, until=_bound(repl, arg, end=True) if arg else None)
    return repl.run_search(note=_date_note(repl))


def cmd_date(repl: Shell, arg: str) -> Reply:
    if not arg:
        _set(repl, since=None, until=None)
    else:
        try:
            span = dates.parse_range(arg, repl.now())
        except dates.DateSpecError as exc:
            raise _date_error(exc) from None
        _set(repl, since=span.start, until=span.end)
    return repl.run_search(note=_date_note(repl))


def _date_error(exc: dates.DateSpecError) -> CommandError:
    return CommandError(f"{exc}; {exc.hint}" if exc.hint else str(exc))


def _date_note(repl: Shell) -> str:
    span = repl.state.filters.date_range
    return f"date filter: {span.describe() if span else 'off'}"


def cmd_clear(repl: Shell, arg: str) -> Reply:
    if not repl.state.has_filters():
        return Reply(("No filters to clear.",))
    repl.state.clear_filters()
    return repl.run_search(note="filters cleared")


def cmd_sort(repl: Shell, arg: str) -> Reply:
    if not arg:
        return Reply((f"Sorted by {repl.state.sort}; choose {', '.join(SORTS)}.",))
    found = [s for s in SORTS if s.startswith(arg.lower())]
    exact = [s for s in SORTS if s == arg.lower()]
    if exact:
        found = exact
    if len(found) != 1:
        raise CommandError(f"unknown sort {arg!r}: use {', '.join(SORTS)}")
    repl.state.sort = found[0]
    return repl.run_search(note=f"sorted by {found[0]}")


# --- paging ----------------------------------------------------------------------------------


def _pages(repl: Shell) -> int:
    if repl.state.results is None:
        raise CommandError("no results yet: type a query first")
    return repl.state.results.pages


def cmd_next(repl: Shell, arg: str) -> Reply:
    pages = _pages(repl)
    if repl.state.page >= pages:
        raise CommandError(f"already on the last page ({pages} of {pages})")
    return repl.run_search(page=repl.state.page + 1)


def cmd_prev(repl: Shell, arg: str) -> Reply:
    _pages(repl)
    if repl.state.page <= 1:
        raise CommandError("already on the first page")
    return repl.run_search(page=repl.state.page - 1)


def cmd_page(repl: Shell, arg: str) -> Reply:
    pages = _pages(repl)
    if not arg:
        return Reply((f"Page {repl.state.page} of {pages}.",))
    page = number(arg, ":page")
    if page > pages:
        raise CommandError(f"there {'is' if pages == 1 else 'are'} only {pages} page(s)")
    return repl.run_search(page=page)


def filter_commands() -> list[Command]:
    return [
        Command("topic", cmd_topic, "toggle a topic filter; alone: the topics, with counts",
                ":topic Politics", "[NAME]", ("t",), "topics"),
        Command("provider", cmd_provider, "toggle a provider filter (a name or a domain)",
                ":provider The Guardian", "[NAME]", ("source",), "providers"),
        Command("kind", cmd_kind, "only articles, only related stubs, or all",
                ":kind article", "[article|related|all]", (), "kinds"),
        Command("since", cmd_since, "only documents published on or after DATE",
                ":since 2021-05", "[DATE]", (), "dates"),
        Command("until", cmd_until, "only documents published on or before DATE",
                ":until 2021-06-30", "[DATE]", (), "dates"),
        Command("date", cmd_date, "only documents published in SPEC (alone: any date)",
                ":date last week", "[SPEC]", (), "dates"),
        Command("clear", cmd_clear, "remove every filter (topic, provider, kind, dates)",
                ":clear"),
        Command("sort", cmd_sort, "sort by relevance, newest, oldest or recent-relevance",
                ":sort newest", "[ORDER]", (), "sorts"),
        Command("next", cmd_next, "the next page of results", ":next", "", ("n",)),
        Command("prev", cmd_prev, "the previous page of results", ":prev", "", ("p",)),
        Command("page", cmd_page, "go to page N of the results", ":page 3", "N"),
    ]  # fmt: skip
