"""The `searchkit` command: argument parsing and wiring only.

Each command parses its options, makes one library call, renders the result, and turns a
SearchkitError into one line on stderr and an exit status.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .config import resolve_index_dir, resolve_seeds_dir
from .errors import IndexLockedError, ParameterError, QueryError, SearchkitError
from .formats import (
    FIELDS,
    FORMATS,
    JSON_FORMATS,
    TABLE_FIELDS,
    WHOLE_FORMATS,
    Format,
    error_json,
    hit_record,
    parse_fields,
    seed_paths,
    table_text,
)
from .messages import error_line
from .render import (
    Palette,
    index_report_lines,
    problem_lines,
    results_json,
    results_lines,
    sanitize,
    stats_lines,
)
from .results import SORTS, Hit
from .terminal import use_color

if TYPE_CHECKING:
    from .api import SearchIndex

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SKIPPED = 3
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """exit status:
  0  success: every seed file is indexed
  1  fatal error, nothing changed (no index, index locked, damaged index, seeds folder
     missing or unreadable, full disk, index folder not writable, a full build that
     could not read some seeds)
  2  usage error (unknown option, bad value)
  3  some seed files were skipped, unreadable or stale; the index was still updated
  `index --watch` ends with 0 when stopped by Ctrl-C or SIGTERM (130: stopped twice,
  interrupting a build, which then leaves the index as it was)
"""

SEARCH_EXIT_HELP = f"""output:
  text (the default) and json print a page: --limit hits, 10 by default.
  jsonl, paths, ids, csv and tsv print every match unless --limit is given.
  --count prints the total only.
  A search with no hits is a success: text says "No results for ...", json
  has "total": 0 and "hits": [], the other formats print nothing.

fields of csv, tsv and jsonl (--fields):
  {",".join(FIELDS[:6])},
  {",".join(FIELDS[6:])}
  csv and tsv show {",".join(TABLE_FIELDS)} by default;
  jsonl shows all.

exit status:
  0  success, with or without hits
  1  fatal error (no index, damaged index, seeds folder missing)
  2  usage error (unknown option, bad query, bad value of a flag)

With --json or --format json/jsonl, an error is one JSON object on stdout,
{{"error": {{"type", "message", "position", "hint"}}}}, with the same exit status.
"""

STATS_EXIT_HELP = """exit status:
  0  success
  1  fatal error (no index, damaged index)
  2  usage error (unknown option)
"""

# The flag of the command line that gives each search parameter, for the errors.
FLAGS = {
    "page": "--page",
    "per_page": "--limit",
    "facet_limit": "--facet-limit",
    "since": "--since",
    "until": "--until",
    "kind": "--kind",
    "sort": "--sort",
    "match": "--match",
    "fields": "--fields",
}


# JSON escapes C0 controls itself; these others could still drive a terminal it is shown on.
_UNSAFE_IN_JSON = re.compile("[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _emit_json(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False)
    sys.stdout.write(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def _echo(line: str = "", *, err: bool = False) -> None:
    (sys.stderr if err else sys.stdout).write(line + "\n")


class UsageError(Exception):
    """A command line argparse refused; raised instead of exiting, so that it can be
    reported as JSON when JSON was asked for."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        self.parser = parser
        self.message = message
        super().__init__(message)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)


class _Version(argparse.Action):
    """--version, read from the installed package only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kw: Any) -> None:
        import searchkit

        _echo(f"searchkit {searchkit.__version__}")
        parser.exit()


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions wrapped to the terminal, paragraph by paragraph; epilogs (tables of exit
    statuses, lists) kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n  " in text:  # an epilog laid out by hand
            return super()._fill_text(text, width, indent)
        return "\n\n".join(
            textwrap.fill(p, width, initial_indent=indent, subsequent_indent=indent)
            for p in text.split("\n\n")
        )


# --- commands ------------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace) -> int:
    from .build import BuildOptions, build_index
    from .progress import BuildProgressBar

    if args.cluster is not None:
        return _index_on_cluster(args)
    from .cluster.errors import NotShardedError
    from .cluster.shardmap import is_sharded

    if is_sharded(resolve_index_dir(args.index)):
        raise NotShardedError(
            str(resolve_index_dir(args.index)),
            "is a sharded index",
            "build it on its cluster (--cluster ADDRESS)",
        )

    options = BuildOptions(jobs=args.jobs)
    if args.watch and args.dry_run:
        _echo("searchkit: --watch and --dry-run cannot be used together", err=True)
        return EXIT_USAGE
    if args.watch:
        from .cli_watch import run_watch

        return run_watch(
            resolve_seeds_dir(args.seeds),
            resolve_index_dir(args.index),
            full=args.full,
            json_lines=args.json,
            quiet=args.quiet,
            options=options,
            index_arg=args.index,
            emit_json=_emit_json,
        )
    show_bar = not (args.json or args.quiet)
    if args.wait:
        _say_whom_we_wait_for(resolve_index_dir(args.index), args.wait)
    with BuildProgressBar(enabled=None if show_bar else False) as bar:
        report = build_index(
            resolve_seeds_dir(args.seeds),
            resolve_index_dir(args.index),
            full=args.full,
            dry_run=args.dry_run,
            wait=args.wait,
            progress=bar,
            options=options,
        )
    if args.json:
        _emit_json(report.to_dict())
    else:
        if not args.quiet:
            for line in index_report_lines(report):
                _echo(line)
        for line in problem_lines(report, stats_command=_stats_command(args)):
            _echo(line, err=True)
    return EXIT_OK if report.ok else EXIT_SKIPPED


def _index_on_cluster(args: argparse.Namespace) -> int:
    """`index --cluster`: a sharded full build on the Ray cluster (README, "Cluster")."""
    from .build import BuildOptions
    from .cluster.errors import require_ray

    require_ray(args.cluster)
    from .cluster.build import build_sharded

    if args.dry_run or args.watch:
        flag = "--dry-run" if args.dry_run else "--watch"
        raise SearchkitError(f'{flag} is not available with --cluster (README, "Cluster")')
    done = build_sharded(
        resolve_seeds_dir(args.seeds),
        resolve_index_dir(args.index),
        args.shards,
        address=args.cluster,
        full=args.full,
        options=BuildOptions(jobs=args.jobs),
    )
    report = done.report
    if args.json:
        _emit_json(
            {**report.to_dict(), "shards": done.shard_map.shards, "written": list(done.written)}
        )
    else:
        if not args.quiet:
            for line in index_report_lines(report):
                _echo(line)
            sizes = ", ".join(str(s.doc_count) for s in done.shard_map.per_shard)
            written = len(done.written)
            _echo(f"shards: {done.shard_map.shards} (rows: {sizes}); {written} written")
        for line in problem_lines(report, stats_command=_stats_command(args)):
            _echo(line, err=True)
    return EXIT_OK if report.ok else EXIT_SKIPPED


def _say_whom_we_wait_for(index: Path, wait: float) -> None:
    from .store import lock_holder

    locked, pid = lock_holder(index)
    if locked:
        holder = f"process {pid}" if pid else "another process"
        limit = "" if wait == float("inf") else f" (at most {wait:g} s)"
        _echo(
            f"searchkit: waiting for {holder}, which is updating the index at "
            f"{sanitize(str(index))}{limit}; Ctrl-C stops waiting",
            err=True,
        )


def _stats_command(args: argparse.Namespace) -> str:
    """The `searchkit stats` that lists the problems of the index the user named."""
    return f"searchkit stats --index {args.index}" if args.index else "searchkit stats"


def cmd_search(args: argparse.Namespace) -> int:
    from .api import open_index

    ix: Any
    if args.cluster is not None:  # a sharded index: never built on first use
        ix = open_index(resolve_index_dir(args.index), cluster=args.cluster)
    else:
        ix = _open_single(args)
    fmt = _format(args)
    color = {"always": True, "never": False}.get(args.color, use_color(sys.stdout))
    fields = parse_fields(args.fields) if args.fields else None
    options: dict[str, Any] = {
        "topics": args.topic or (),
        "providers": args.provider or (),
        "kind": args.kind,
        "since": args.since,
        "until": args.until,
        "sort": args.sort,
    }
    query = " ".join(args.query)
    options["match"] = args.match or ("all" if fmt in WHOLE_FORMATS else "most")
    with ix:
        if args.count:
            total = ix.search(query, per_page=1, facets=False, **options).total
            _echo(str(total))
            return EXIT_OK
        if fmt in WHOLE_FORMATS:
            hits = list(_matches(ix, query, options, page=args.page, limit=args.limit))
            if fmt == "paths":
                for path in seed_paths(hits, lambda doc_id: _citing_paths(ix, doc_id)):
                    _echo(path)
            elif fmt == "ids":
                for hit in hits:
                    _echo(hit.id)
            elif fmt == "jsonl":
                for hit in hits:
                    _emit_json(hit_record(hit, fields or FIELDS))
            else:
                text = table_text(
                    hits, fields or TABLE_FIELDS, tsv=fmt == "tsv", header=not args.no_header
                )
                sys.stdout.write(text)
            return EXIT_OK
        results = ix.search(
            query,
            page=args.page,
            per_page=args.limit or 10,
            facet_limit=args.facet_limit,
            **options,
        )
    if fmt == "json":
        _emit_json(results_json(results))
    else:
        for line in results_lines(results, Palette(color)):
            _echo(line)
    return EXIT_OK


def _open_single(args: argparse.Namespace) -> SearchIndex:
    """The single-machine index to search: built first when there is none, refreshed with
    --refresh; what happened said on stderr."""
    from .api import open_or_build
    from .progress import BuildProgressBar

    def announce(index: Path, seeds: Path) -> None:
        _echo(
            f"searchkit: no index at {sanitize(str(index))} yet; building it from "
            f"{sanitize(str(seeds))}...",
            err=True,
        )

    with BuildProgressBar() as bar:
        opened = open_or_build(
            resolve_index_dir(args.index),
            resolve_seeds_dir(args.seeds),
            update=args.refresh,
            progress=bar,
            on_first_build=announce,
        )
    error = opened.update_error
    if isinstance(error, IndexLockedError):
        _echo("searchkit: another process is updating the index; searching it as it is", err=True)
    elif error is not None:
        line = error_line(error, index_arg=args.index)
        _echo(f"searchkit: not refreshed: {sanitize(line)}; searching the index as it is", err=True)
    report = opened.report
    if report is None:
        _warn_if_stale(opened.index, args)
    elif not (args.refresh and report.up_to_date):  # a refresh with nothing to do is silent
        problems = problem_lines(report, stats_command=_stats_command(args))
        for line in index_report_lines(report) + problems:
            _echo(line, err=True)
    return opened.index


_FETCH = 1000  # hits asked for at once when every match is printed (the API's largest page)


def _matches(
    ix: SearchIndex, query: str, options: dict[str, Any], *, page: int, limit: int | None
) -> Iterator[Hit]:
    """Every match in rank order, or with `limit` the `page`-th run of `limit` of them."""
    offset = (page - 1) * limit if limit else 0
    left = limit
    fetch_page = offset // _FETCH + 1
    skip = offset % _FETCH
    while left is None or left > 0:
        results = ix.search(query, page=fetch_page, per_page=_FETCH, facets=False, **options)
        hits = results.hits[skip:]
        if left is not None:
            hits = hits[:left]
            left -= len(hits)
        yield from hits
        if fetch_page >= results.pages or not results.hits:
            return
        fetch_page, skip = fetch_page + 1, 0


def _citing_paths(ix: SearchIndex, doc_id: str) -> Iterator[str]:
    for linked in ix.cited_by(doc_id):
        path = ix.get(linked.id).path
        if path:
            yield path


def _format(args: argparse.Namespace) -> Format:
    if getattr(args, "format", None):
        return args.format  # type: ignore[no-any-return]
    if getattr(args, "json", False):
        return "json"
    if getattr(args, "jsonl", False):
        return "jsonl"
    return "text"


def _warn_if_stale(index: SearchIndex, args: argparse.Namespace) -> None:
    """One line on stderr when the seeds folder changed since the index was last built. A
    check that cannot be made (a damaged manifest) says nothing: the search says the rest."""
    try:
        state = index.freshness()
    except SearchkitError:
        return
    if state.fresh:
        return
    flag = f" --index {args.index}" if args.index else ""
    seeds = sanitize(state.seeds_dir)
    if state.missing:
        _echo(
            f"searchkit: the seeds folder {seeds} the index was built from is gone; "
            f"results are from the index as it was built",
            err=True,
        )
    else:
        _echo(
            f"searchkit: the seeds in {seeds} changed since the index was built; run "
            f"`searchkit index{flag}` to update it, or search with --refresh",
            err=True,
        )


def cmd_stats(args: argparse.Namespace) -> int:
    from .api import index_stats, open_index

    if args.cluster is not None:
        with open_index(resolve_index_dir(args.index), cluster=args.cluster) as ix:
            stats = ix.stats()
    else:
        stats = index_stats(resolve_index_dir(args.index))
    if args.json:
        _emit_json(stats.to_dict())
    else:
        for line in stats_lines(stats):
            _echo(line)
    return EXIT_OK


def cmd_repl(args: argparse.Namespace) -> int:
    from .repl import run_repl

    cluster = getattr(args, "cluster", None)  # open_index says when Ray is missing
    return run_repl(resolve_index_dir(args.index), resolve_seeds_dir(args.seeds), cluster=cluster)


# --- parser --------------------------------------------------------------------------------


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


def _add_index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--index", metavar="DIR", help="index folder (default: $SEARCHKIT_INDEX or ./index)"
    )


def _add_cluster_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="the Ray cluster of a sharded index (HOST:PORT, or auto); "
        'needs pip install "searchkit[cluster]"',
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="searchkit",
        description="Full-text search over a folder of news seed documents.",
        epilog=EXIT_CODES_HELP,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "index",
        help="build or update the index from the seeds folder",
        description="Bring the index in step with the seeds folder: only changed seed files "
        "are re-read, removed ones leave the index.",
        epilog=EXIT_CODES_HELP,
        formatter_class=_Formatter,
    )
    p.add_argument(
        "--seeds",
        metavar="DIR",
        help="seeds folder (default: $SEARCHKIT_SEEDS, else the folder the index "
        "was built from, else ./seeds)",
    )
    _add_index_option(p)
    p.add_argument(
        "--full",
        action="store_true",
        help="rebuild from scratch (also needed to switch seeds folders, unless the index's "
        "folder moved: then --seeds alone relinks it)",
    )
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    p.add_argument(
        "--jobs",
        "-j",
        type=_positive,
        metavar="N",
        help="processes a full build runs in, and that scan a large folder "
        "(default: the cores this process may use)",
    )
    p.add_argument(
        "--wait",
        nargs="?",
        type=float,
        const=float("inf"),
        metavar="SECONDS",
        help="wait for another running build instead of failing (forever if no value)",
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="then follow the seeds folder and update the index as it changes, one line per "
        "batch, until Ctrl-C or SIGTERM (exit status 0)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the report as one JSON object (with --watch: one per batch, JSON Lines)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    _add_cluster_option(p)
    p.add_argument(
        "--shards",
        type=_positive,
        metavar="S",
        help="with --cluster: shards of the index (default: as it has, or 1); "
        "changing it needs --full",
    )
    p.set_defaults(func=cmd_index)

    p = sub.add_parser(
        "search",
        help="run one query and print ranked results with facets",
        description="Ranked full-text search (BM25F) with topic, provider, kind and date "
        "facets. The query language: words (all must match; if no document has them all, "
        'any may), "phrases", AND/OR/NOT, (groups), field:value with title:, excerpt:, '
        "body:, topic:, provider: (or source:), domain:, kind:, date: (2021, 2021-05, "
        '2021-05-03, [2021-01 to 2021-06], >2021-05, "last week", yesterday, 30d), '
        "wildcards (climat*), fuzzy (word~), boosts (word^2). An empty query or * browses "
        "everything, newest first.",
        epilog=SEARCH_EXIT_HELP,
        formatter_class=_Formatter,
    )
    p.add_argument("query", nargs="*", help="the query (several words are joined)")
    _add_index_option(p)
    p.add_argument("--seeds", metavar="DIR", help="seeds folder to build from on first use")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="bring the index up to date with its seeds folder first (as `searchkit index`)",
    )
    p.add_argument(
        "--topic", action="append", metavar="T", help="only this topic (repeat: any of them)"
    )
    p.add_argument(
        "--provider",
        action="append",
        metavar="P",
        help="only this provider, by name or domain (repeat: any of them)",
    )
    p.add_argument(
        "--kind", choices=["article", "related", "all"], help="only articles or related stubs"
    )
    p.add_argument(
        "--since", metavar="D", help="published on or after D (2021, 2021-05, last week, 30d)"
    )
    p.add_argument("--until", metavar="D", help="published on or before D (inclusive)")
    p.add_argument(
        "--sort",
        choices=list(SORTS),
        default="relevance",
        help="order of the hits: relevance (the default), newest or oldest first, or "
        "recent-relevance (relevance, newer documents first among close scores)",
    )
    p.add_argument(
        "--limit",
        type=_positive,
        metavar="N",
        help="hits per page (default 10 for text and json, at most 1000; every match for "
        "the other formats)",
    )
    p.add_argument(
        "--page", type=_positive, default=1, metavar="N", help="which page of --limit hits"
    )
    p.add_argument(
        "--match",
        choices=("most", "all"),
        help="most (the default for text and json): a page that the documents with every "
        "word leave short is filled with those that have most of them, after a divider; "
        "all (the default for the other formats): only those with every word",
    )
    p.add_argument(
        "--facet-limit", type=_positive, default=10, metavar="N", help="values per facet"
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument(
        "--format",
        choices=FORMATS,
        metavar="FORMAT",
        help="text (the default), json (one object), jsonl (one object per hit), paths "
        "(the seed files of the matches, once each), ids, csv or tsv",
    )
    out.add_argument("--json", action="store_true", help="the same as --format json")
    out.add_argument("--jsonl", action="store_true", help="the same as --format jsonl")
    _add_cluster_option(p)
    p.add_argument(
        "--fields",
        metavar="F,F",
        help="the columns of csv, tsv and jsonl, comma-separated (listed below)",
    )
    p.add_argument("--no-header", action="store_true", help="csv and tsv without a header row")
    p.add_argument(
        "--count", action="store_true", help="print only the number of matches, in any format"
    )
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text output: auto (on a terminal, unless NO_COLOR is set), always "
        "or never",
    )
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "stats",
        help="what the index holds",
        description="Documents, topics, providers, date span, size, last build "
        "and the seed files that need attention.",
        epilog=STATS_EXIT_HELP,
        formatter_class=_Formatter,
    )
    _add_index_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_cluster_option(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "repl",
        help="an interactive search session (what `searchkit` alone opens on a terminal)",
        description="Search interactively: type a query, narrow it down with :topic, :date, "
        "... and open documents with :show N; :help lists the commands. The index is built "
        "or brought up to date first. When stdin is not a terminal, one query or command is "
        "read per line and plain results are printed.",
        formatter_class=_Formatter,
    )
    _add_index_option(p)
    p.add_argument(
        "--seeds",
        metavar="DIR",
        help="seeds folder (default: $SEARCHKIT_SEEDS, else the folder the index was built "
        "from, else ./seeds)",
    )
    _add_cluster_option(p)
    p.set_defaults(func=cmd_repl)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            # Name the subcommand's usage, not the top level's.
            command = getattr(args, "command", None)
            owner = _subparser(parser, command) if command else parser
            owner.error(f"unrecognized arguments: {' '.join(extra)}")
    except UsageError as exc:
        line = f"{exc.parser.prog}: error: {exc.message}"
        usage = exc.parser.format_usage()
        return _fail(exc, line, EXIT_USAGE, _json_in(argv), exc.message, usage=usage)
    if args.command is None:
        if not (sys.stdin and sys.stdin.isatty()):
            parser.print_help()
            return EXIT_OK
        args = parser.parse_args(["repl"])
    as_json = _format(args) in JSON_FORMATS and not getattr(args, "count", False)
    try:
        code: int = args.func(args)
        return code
    except ParameterError as exc:
        message = f"{FLAGS.get(exc.parameter, exc.parameter)}: {exc.message}"
        line = message + (f"; {exc.hint}" if exc.hint else "")
        return _fail(exc, f"searchkit: {sanitize(line)}", EXIT_USAGE, as_json, message)
    except QueryError as exc:
        return _fail(exc, f"searchkit: {sanitize(str(exc))}", EXIT_USAGE, as_json, exc.message)
    except SearchkitError as exc:
        line = error_line(
            exc, index_arg=getattr(args, "index", None), seeds_arg=getattr(args, "seeds", None)
        )
        return _fail(exc, f"searchkit: {sanitize(line)}", EXIT_ERROR, as_json, line)
    except KeyboardInterrupt:
        _echo("searchkit: interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


def _fail(
    exc: Exception, line: str, code: int, as_json: bool, message: str, *, usage: str = ""
) -> int:
    """Report an error: as one JSON object on stdout when JSON was asked for (`message`, the
    position and hint apart), else as `line` on stderr, after the usage for a usage error.
    Returns the exit status."""
    if as_json:
        _emit_json(error_json(exc, message))
    else:
        if usage:
            sys.stderr.write(usage)
        _echo(line, err=True)
    return code


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its subparsers only here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            found: argparse.ArgumentParser = action.choices[command]
            return found
    return parser


def _json_in(argv: Sequence[str]) -> bool:
    """Whether a command line argparse refused asked for JSON output."""
    for i, arg in enumerate(argv):
        if arg in ("--json", "--jsonl", "--format=json", "--format=jsonl"):
            return True
        if arg == "--format" and i + 1 < len(argv) and argv[i + 1] in ("json", "jsonl"):
            return True
    return False
