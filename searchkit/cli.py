"""The `searchkit` command: argument parsing and wiring only.

Each command parses its options, makes one library call, renders the result, and turns a
SearchkitError into one line on stderr and an exit status.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import resolve_index_dir, resolve_seeds_dir
from .errors import QueryError, SearchkitError
from .messages import error_line
from .render import (
    Palette,
    hit_json,
    index_report_lines,
    problem_lines,
    results_json,
    results_lines,
    sanitize,
    stats_lines,
)
from .results import SORTS
from .terminal import use_color

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
  2  usage error (unknown option, bad query)
  3  some seed files were skipped, unreadable or stale; the index was still updated
"""


# JSON escapes C0 controls itself; these others could still drive a terminal it is shown on.
_UNSAFE_IN_JSON = re.compile("[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _emit_json(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False)
    sys.stdout.write(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def _echo(line: str = "", *, err: bool = False) -> None:
    (sys.stderr if err else sys.stdout).write(line + "\n")


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

    show_bar = not (args.json or args.quiet)
    with BuildProgressBar(enabled=None if show_bar else False) as bar:
        report = build_index(
            resolve_seeds_dir(args.seeds),
            resolve_index_dir(args.index),
            full=args.full,
            dry_run=args.dry_run,
            wait=args.wait,
            progress=bar,
            options=BuildOptions(jobs=args.jobs),
        )
    if args.json:
        _emit_json(report.to_dict())
    else:
        if not args.quiet:
            for line in index_report_lines(report):
                _echo(line)
        for line in problem_lines(report):
            _echo(line, err=True)
    return EXIT_OK if report.ok else EXIT_SKIPPED


def _index_on_cluster(args: argparse.Namespace) -> int:
    """`index --cluster`: a sharded full build on the Ray cluster (README, "Cluster")."""
    from .build import BuildOptions
    from .cluster.errors import require_ray

    require_ray(args.cluster)
    from .cluster.build import build_sharded

    if args.dry_run:
        raise SearchkitError("--dry-run is not available with --cluster: a sharded build is full")
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
        _emit_json({**report.to_dict(), "shards": done.shard_map.shards})
    else:
        if not args.quiet:
            for line in index_report_lines(report):
                _echo(line)
            sizes = ", ".join(str(s.doc_count) for s in done.shard_map.per_shard)
            _echo(f"shards: {done.shard_map.shards} (documents: {sizes})")
        for line in problem_lines(report):
            _echo(line, err=True)
    return EXIT_OK if report.ok else EXIT_SKIPPED


def cmd_search(args: argparse.Namespace) -> int:
    from .api import open_index, open_or_build
    from .progress import BuildProgressBar

    def announce(index: Path, seeds: Path) -> None:
        _echo(
            f"searchkit: no index at {sanitize(str(index))} yet; building it from "
            f"{sanitize(str(seeds))}...",
            err=True,
        )

    index: Any
    if args.cluster is not None:  # a sharded index: never built on first use
        index = open_index(resolve_index_dir(args.index), cluster=args.cluster)
    else:
        with BuildProgressBar() as bar:
            opened = open_or_build(
                resolve_index_dir(args.index),
                resolve_seeds_dir(args.seeds),
                progress=bar,
                on_first_build=announce,
            )
        if opened.report is not None:
            for line in index_report_lines(opened.report) + problem_lines(opened.report):
                _echo(line, err=True)
        index = opened.index
    with index as ix:
        results = ix.search(
            " ".join(args.query),
            topics=args.topic or (),
            providers=args.provider or (),
            kind=args.kind,
            since=args.since,
            until=args.until,
            sort=args.sort,
            page=args.page,
            per_page=args.limit,
            facet_limit=args.facet_limit,
        )
    if args.json:
        _emit_json(results_json(results))
    elif args.jsonl:
        for hit in results.hits:
            _emit_json(hit_json(hit))
    else:
        for line in results_lines(results, Palette(use_color(sys.stdout))):
            _echo(line)
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from .api import index_stats

    stats = index_stats(resolve_index_dir(args.index))
    if args.json:
        _emit_json(stats.to_dict())
    else:
        for line in stats_lines(stats):
            _echo(line)
    return EXIT_OK


def cmd_repl(args: argparse.Namespace) -> int:
    from .repl import run_repl

    return run_repl(resolve_index_dir(args.index), resolve_seeds_dir(args.seeds))


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
    parser = argparse.ArgumentParser(
        prog="searchkit",
        description="Full-text search over a folder of news seed documents.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "index",
        help="build or update the index from the seeds folder",
        description="Bring the index in step with the seeds folder: only changed seed files "
        "are re-read, removed ones leave the index.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        help="rebuild from scratch (also needed to switch seeds folders)",
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
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
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
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", nargs="*", help="the query (several words are joined)")
    _add_index_option(p)
    p.add_argument("--seeds", metavar="DIR", help="seeds folder to build from on first use")
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
    p.add_argument("--sort", choices=list(SORTS), default="relevance")
    p.add_argument("--limit", type=_positive, default=10, metavar="N", help="hits per page")
    p.add_argument("--page", type=_positive, default=1, metavar="N")
    p.add_argument(
        "--facet-limit", type=_positive, default=10, metavar="N", help="values per facet"
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--jsonl", action="store_true", help="print one JSON object per hit")
    _add_cluster_option(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "stats",
        help="what the index holds",
        description="Documents, topics, providers, date span, size, last build "
        "and the seed files that need attention.",
    )
    _add_index_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "repl",
        help="an interactive search session (what `searchkit` alone opens on a terminal)",
        description="Search interactively: type a query, narrow it down with :topic, :date, "
        "... and open documents with :show N; :help lists the commands. The index is built "
        "or brought up to date first. When stdin is not a terminal, one query or command is "
        "read per line and plain results are printed.",
    )
    _add_index_option(p)
    p.add_argument(
        "--seeds",
        metavar="DIR",
        help="seeds folder (default: $SEARCHKIT_SEEDS, else the folder the index was built "
        "from, else ./seeds)",
    )
    p.set_defaults(func=cmd_repl)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if not (sys.stdin and sys.stdin.isatty()):
            parser.print_help()
            return EXIT_OK
        args = parser.parse_args(["repl"])
    try:
        code: int = args.func(args)
        return code
    except QueryError as exc:
        _echo(f"searchkit: {sanitize(str(exc))}", err=True)
        return EXIT_USAGE
    except SearchkitError as exc:
        line = error_line(exc, index_arg=getattr(args, "index", None))
        _echo(f"searchkit: {sanitize(line)}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        _echo("searchkit: interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
