"""Commands that show documents and the index: :show, :open, :similar, :related, :cited,
:back, :facets, :explain, :stats, :reindex. Each numbered list they print becomes the
listing that the next :show N, :open N... refer to."""

from __future__ import annotations

from ..render import (
    compact_hit_lines,
    index_report_lines,
    problem_lines,
    sanitize,
    stats_lines,
)
from ..render_documents import (
    all_facets_lines,
    document_lines,
    explanation_lines,
    linked_lines,
)
from ..results import LinkedDocument
from ..wrap import wrap
from .commands import Command, CommandError, Shell, number
from .state import Entry, Listing, Reply

FACETS_IN_FULL = 1000  # values per facet for :facets and :topic alone


def entry(repl: Shell, arg: str, what: str) -> Entry:
    """The numbered item `arg` names in the current listing; without a number, the
    document on screen."""
    if not arg:
        if repl.state.current is not None:
            return repl.state.current
        raise CommandError(f"{what} needs the number of an item on screen, e.g. {what} 1")
    n = number(arg, what)
    listing = repl.state.listing
    if listing is None or not listing.entries:
        raise CommandError("nothing is numbered on screen yet: type a query first")
    found = listing.get(n)
    if found is None:
        raise CommandError(f"no item {n} in the {listing.label} (numbers {listing.span()})")
    return found


def _indexed(found: Entry, what: str) -> Entry:
    if not found.indexed:
        raise CommandError(
            f"#{found.number} is not in the index; :open {found.number} opens its URL"
        )
    return found


def _hint(repl: Shell) -> str:
    back = "; :back returns to the results" if repl.state.results is not None else ""
    return repl.palette.dim(f"(:show N opens one of these{back})")


def _links_reply(repl: Shell, label: str, header: str, links: list[LinkedDocument]) -> Reply:
    repl.state.listing = Listing(
        label, tuple(Entry.from_link(n, link) for n, link in enumerate(links, 1))
    )
    lines = linked_lines(links, repl.palette, width=repl.width())
    return Reply((*wrap(header, repl.width()), *lines, _hint(repl)))


def cmd_show(repl: Shell, arg: str) -> Reply:
    found = _indexed(entry(repl, arg, ":show"), ":show")
    doc = repl.index.get(found.id)
    links = repl.index.related(found.id)
    citers = repl.index.cited_by(found.id)
    lines = document_lines(doc, repl.palette, links=links, cited_by=citers, width=repl.width())
    numbered = [*links, *citers]
    repl.state.current = found
    repl.state.listing = Listing(
        f"links of “{sanitize(doc.title)}”",
        tuple(Entry.from_link(n, link) for n, link in enumerate(numbered, 1)),
    )
    if numbered:
        lines.append(_hint(repl))
    return Reply(tuple(lines), long=True)


def cmd_open(repl: Shell, arg: str) -> Reply:
    found = entry(repl, arg, ":open")
    if not found.url:
        raise CommandError(f"#{found.number} has no URL")
    url = sanitize(found.url)
    if repl.open_url is None:
        return Reply((url,))
    if not repl.open_url(found.url):
        raise CommandError(f"no web browser could be started; the URL is {url}")
    return Reply((f"Opened {url}",))


def cmd_similar(repl: Shell, arg: str) -> Reply:
    found = _indexed(entry(repl, arg, ":similar"), ":similar")
    hits = repl.index.similar(found.id, limit=repl.state.per_page)
    title = sanitize(found.title)
    if not hits:
        return Reply((f"Nothing in the index is like “{title}”.",))
    repl.state.current = found
    repl.state.listing = Listing(
        f"documents like “{title}”", tuple(Entry.from_hit(h) for h in hits)
    )
    lines = wrap(repl.palette.bold(f"Like {len(hits)}: “{title}”"), repl.width())
    for hit in hits:
        lines.extend(compact_hit_lines(hit, repl.palette, width=repl.width()))
    lines.append(_hint(repl))
    return Reply(tuple(lines))


def cmd_related(repl: Shell, arg: str) -> Reply:
    found = _indexed(entry(repl, arg, ":related"), ":related")
    links = repl.index.related(found.id)
    title = sanitize(found.title)
    if not links:
        return Reply((f"“{title}” cites no documents.",))
    header = repl.palette.bold(f"Cites {len(links)}: “{title}”")
    repl.state.current = found
    return _links_reply(repl, f"documents “{title}” cites", header, links)


def cmd_cited(repl: Shell, arg: str) -> Reply:
    found = _indexed(entry(repl, arg, ":cited"), ":cited")
    links = repl.index.cited_by(found.id)
    title = sanitize(found.title)
    if not links:
        return Reply((f"No article in the index cites “{title}”.",))
    header = repl.palette.bold(f"Cited by {len(links)}: “{title}”")
    repl.state.current = found
    return _links_reply(repl, f"articles citing “{title}”", header, links)


def cmd_back(repl: Shell, arg: str) -> Reply:
    if repl.state.results is None:
        raise CommandError("no results yet: type a query first")
    return repl.show_results(repl.state.results)


def cmd_facets(repl: Shell, arg: str) -> Reply:
    results = repl.search(per_page=1, facet_limit=FACETS_IN_FULL)
    lines = all_facets_lines(results, repl.palette, width=repl.width())
    return Reply(tuple(lines or ["No facets: nothing matches."]), long=True)


def cmd_explain(repl: Shell, arg: str) -> Reply:
    query = arg or repl.state.query or ""
    state = repl.state
    explanation = repl.index.explain(query, filters=state.filters, sort=state.sort)
    return Reply(tuple(explanation_lines(explanation, repl.palette)))


def cmd_stats(repl: Shell, arg: str) -> Reply:
    return Reply(tuple(stats_lines(repl.index.stats())))


def cmd_reindex(repl: Shell, arg: str) -> Reply:
    report = repl.reindex()
    repl.catalog.refresh()
    lines = [*index_report_lines(report), *problem_lines(report, stats_command=":stats")]
    if report.changed and repl.state.results is not None:
        repl.refresh_results()
        lines.append("The results are refreshed: :back shows them.")
    return Reply(tuple(lines))


def view_commands() -> list[Command]:
    return [
        Command("show", cmd_show, "the whole document N, with what it cites, numbered",
                ":show 1", "N", ("s",), "numbers"),
        Command("open", cmd_open, "open the URL of N (or of the document on screen)",
                ":open 1", "[N]", (), "numbers"),
        Command("similar", cmd_similar, "documents like N (or the document on screen)",
                ":similar 1", "[N]", (), "numbers"),
        Command("related", cmd_related, "the documents N (or the one on screen) cites",
                ":related 1", "[N]", (), "numbers"),
        Command("cited", cmd_cited, "the articles that cite N (or the one on screen)",
                ":cited 2", "[N]", (), "numbers"),
        Command("back", cmd_back, "the results page again, numbered as results", ":back"),
        Command("facets", cmd_facets, "every topic, provider, kind and date count in full",
                ":facets"),
        Command("explain", cmd_explain,
                "the parsed query, dates, filters and why the top hit scored so",
                ":explain climate date:2021", "[QUERY]"),
        Command("stats", cmd_stats, "what the index holds", ":stats"),
        Command("reindex", cmd_reindex, "bring the index up to date with its seeds folder",
                ":reindex"),
    ]  # fmt: skip
