"""The `searchkit` command: argument parsing and wiring only.

Each command parses its options, makes one library call, renders the result, and turns a
SearchkitError into one line on stderr and an exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from . import api
from .config import resolve_index_dir, resolve_seeds_dir
from .errors import QueryError, SearchkitError
from .render import index_report_lines, problem_lines, sanitize, stats_lines

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SKIPPED = 3
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """exit status:
  0  success: every seed file is indexed
  1  fatal error (no index, index locked, unreadable seeds folder, ...)
  2  usage error (unknown option, bad query)
  3  some seed files were skipped or are stale; the index was still updated
"""


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def _echo(line: str = "", *, err: bool = False) -> None:
    (sys.stderr if err else sys.stdout).write(line + "\n")


# --- commands ------------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace) -> int:
    from .progress import BuildProgressBar

    show_bar = not (args.json or args.quiet)
    with BuildProgressBar(enabled=None if show_bar else False) as bar:
        report = api.build_index(
            resolve_seeds_dir(args.seeds),
            resolve_index_dir(args.index),
            full=args.full,
            dry_run=args.dry_run,
            wait=args.wait,
            progress=bar,
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


def cmd_stats(args: argparse.Namespace) -> int:
    stats = api.index_stats(resolve_index_dir(args.index))
    if args.json:
        _emit_json(stats.to_dict())
    else:
        for line in stats_lines(stats):
            _echo(line)
    return EXIT_OK


# --- parser --------------------------------------------------------------------------------


def _add_index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--index", metavar="DIR", help="index folder (default: $SEARCHKIT_INDEX or ./index)"
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
        "--wait",
        nargs="?",
        type=float,
        const=float("inf"),
        metavar="SECONDS",
        help="wait for another running build instead of failing (forever if no value)",
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser(
        "stats",
        help="what the index holds",
        description="Documents, topics, providers, date span, size, last build "
        "and the seed files that need attention.",
    )
    _add_index_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        code: int = args.func(args)
        return code
    except QueryError as exc:
        _echo(f"searchkit: {sanitize(str(exc))}", err=True)
        return EXIT_USAGE
    except SearchkitError as exc:
        _echo(f"searchkit: {sanitize(str(exc))}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        _echo("searchkit: interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
