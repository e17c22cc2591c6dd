"""Hostile queries benchmark (issue 10): every query of a hostile set, timed on news-full.

    python bench/bench_hostile.py [--corpus DIR | --seeds DIR] [--generated N] [--quick]

The set: the strings issue 10 found crashing searchkit or running for half a minute, plus N
generated ones (seeded, so every run times the same strings) that push each cap of
searchkit.limits from both sides: wildcards and prefixes of one to three letters, fuzzy words
up to the most edits, words and length, ranges of dates within a query, a field's `*`, deep
parentheses, boosts, hundreds of words, queries of the longest length allowed, and strings of
up to 100,000 characters. Each is searched three times in one process with searchkit's default
time budget: the first time (nothing of it remembered yet: what a query seen once costs) and
the median of the three are kept. The caps, not the budget, should keep each under a second.
The REPL's live validation, highlighting and completion of each string are timed too.

Builds (once) an index of news-full under bench/data/index-full-hostile. Results replace the
"## Hostile queries" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tarfile
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "RESULTS.md"
sys.path.insert(0, str(REPO))

from bench_common import compile_package, machine_description, replace_section  # noqa: E402

import searchkit  # noqa: E402
from searchkit import limits  # noqa: E402
from searchkit.repl.completer import Vocabulary, complete  # noqa: E402
from searchkit.repl.lexer import lex  # noqa: E402
from searchkit.repl.validator import find_problem  # noqa: E402

ISSUE = [
    "date:0000",
    "date:9999-12-31",
    'date:"last 9999999999 days"',
    "date:>-999999999999d",
    "trump^0",
    "trump~9",
    "trump~99",
    "recognitoin~5",
    " OR ".join(f"t{i}~2" for i in range(2_000))[:10_000],
    "trump~999999999",
    "x~50",
    "***",  # what `:explain ***` searched
    "*a*",
    "~" * 10_000,
    " ".join(f"w{i}*" for i in range(2_500)),
    "body: body: body: **",
]
WORDS = [
    "trump",
    "biden",
    "election",
    "climate",
    "vaccine",
    "police",
    "court",
    "economy",
    "china",
    "russia",
    "football",
    "music",
    "health",
    "women",
    "school",
    "market",
    "video",
    "twitter",
    "covid",
    "senate",
    "house",
    "white",
    "north",
    "korea",
    "space",
]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generated(n: int, seed: int = 10) -> list[str]:
    """`n` hostile strings, the same for a given seed."""
    rng = random.Random(seed)

    def word(size: int | None = None) -> str:
        return "".join(rng.choice(LETTERS) for _ in range(size or rng.randint(3, 9)))

    def fuzzy(size: int | None = None) -> str:
        return f"{word(size)}~{rng.choice(['', '1', '2'])}"

    makers = [
        lambda: rng.choice(LETTERS) + "*",
        lambda: "".join(rng.choices(LETTERS, k=2)) + "*",
        lambda: "".join(rng.choices(LETTERS, k=rng.randint(1, 3))) + "?" + rng.choice(["*", ""]),
        lambda: f"{rng.choice(WORDS)}~2 " + " ".join(fuzzy() for _ in range(7)),
        lambda: " OR ".join(f"{word(limits.MAX_FUZZY_LENGTH)}~2" for _ in range(8)),
        lambda: " ".join(f"{rng.choice(LETTERS)}{rng.choice(LETTERS)}~2" for _ in range(8)),
        lambda: f"{rng.choice(LETTERS)}~2",
        lambda: " OR ".join(f"date:{rng.randint(1990, 2030)}" for _ in range(rng.randint(2, 30))),
        lambda: (
            f"{rng.choice(WORDS)} OR date:[{rng.randint(1, 2000)} to {rng.randint(2001, 9999)}]"
        ),
        lambda: f"{rng.choice(['title', 'excerpt', 'topic', 'kind'])}:* {rng.choice(WORDS)}",
        lambda: f"* NOT date:{rng.randint(2015, 2023)}",
        lambda: f"{rng.choice(WORDS)} *",
        lambda: "(" * 20 + rng.choice(WORDS) + ")" * 20,
        lambda: (
            f"({rng.choice(WORDS)} OR {rng.choice(WORDS)})^{rng.choice(['0.001', '1000', '7'])}"
        ),
        lambda: " ".join(rng.choice(WORDS) for _ in range(200)),
        lambda: " OR ".join(rng.choice(WORDS) + rng.choice(["", "*", "~"]) for _ in range(150))[
            : limits.MAX_QUERY_LENGTH
        ],
        lambda: (
            ('"' + " ".join(rng.choice(WORDS) for _ in range(150)) + '"')[
                : limits.MAX_QUERY_LENGTH - 1
            ]
            + '"'
        ),
        lambda: f"title:[{rng.choice(LETTERS)} to {rng.choice(LETTERS)}]",
        lambda: "".join(rng.choice(' ab()"*~^:-+[]{}<>=') for _ in range(limits.MAX_QUERY_LENGTH)),
        lambda: (rng.choice(["a-", "~", "(", "w* ", "t0~2 OR ", "body: ", '"'])) * 50_000,
        lambda: "".join(rng.choice(LETTERS + "*? ") for _ in range(rng.randint(10, 100_000))),
    ]
    return [rng.choice(makers)() for _ in range(n)]


def time_search(ix: searchkit.SearchIndex, query: str) -> tuple[list[float], str, bool]:
    """(the seconds of three searches, what came out, whether the budget ran out)."""
    times, outcome, partial = [], "", False
    for _ in range(3):
        started = time.perf_counter()
        try:
            results = ix.search(query)
            outcome = f"{results.total:,} results"
            partial = partial or results.partial is not None
        except searchkit.QueryLimitError as exc:
            outcome = f"refused: {exc.limit}"
        except searchkit.QueryError as exc:
            outcome = f"error: {exc.message[:40]}"
        times.append(time.perf_counter() - started)
    return times, outcome, partial


def time_repl(ix: searchkit.SearchIndex, vocabulary: Vocabulary, query: str) -> float:
    """Seconds for what the REPL does at each key: validate, highlight, complete."""
    commands = {"topic", "explain", "date"}
    started = time.perf_counter()
    find_problem(query, parse=ix.parse, commands=commands)
    lex(query, commands)
    complete(query, vocabulary)
    return time.perf_counter() - started


def shown(query: str) -> str:
    text = query if len(query) <= 60 else f"{query[:50]}… ({len(query):,} chars)"
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def find_seeds(args: argparse.Namespace) -> Path | None:
    if args.seeds:
        return Path(args.seeds)
    corpus = Path(args.corpus) if args.corpus else REPO.parent / "shared" / "corpus"
    if not (corpus / "news-full.tar.gz").exists():
        return None
    target = DATA / "news-full"
    if not target.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        with tarfile.open(corpus / "news-full.tar.gz") as tar:
            tar.extractall(DATA, filter="data")
    return target


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", help="the shared corpus folder (default ../shared/corpus)")
    ap.add_argument("--seeds", help="news-full, extracted already")
    ap.add_argument("--generated", type=int, default=300, help="generated strings (300)")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    seeds = find_seeds(args)
    if seeds is None:
        print(
            "bench_hostile: needs the shared corpus (../shared/corpus/news-full.tar.gz next to "
            "the repo, or --corpus DIR, or --seeds DIR); nothing measured."
        )
        return 0
    compile_package()
    index = DATA / "index-full-hostile"
    report = searchkit.build_index(seeds, index, full=not (index / "CURRENT").exists())
    print(f"index: {report.documents} documents")
    queries = ISSUE + generated(40 if args.quick else args.generated)
    rows = []
    with searchkit.open_index(index) as ix:
        ix.search("warm up")
        vocabulary = Vocabulary(topics=ix.topics(), providers=ix.providers())
        for i, query in enumerate(queries):
            times, outcome, partial = time_search(ix, query)
            repl = time_repl(ix, vocabulary, query)
            row = Row(times[0], statistics.median(times), query, outcome, partial, repl)
            rows.append(row._replace(issue=i < len(ISSUE)))
            print(f"{times[0]:7.3f} s {row.median:7.3f} s  {outcome:28} {shown(query)}", flush=True)
    write_results(rows, len(ISSUE), len(queries) - len(ISSUE))
    return 0


class Row(NamedTuple):
    first: float  # seconds, the first time the string is searched
    median: float  # of three
    query: str
    outcome: str
    partial: bool  # the time budget ran out
    repl: float  # seconds to validate, highlight and complete it
    issue: bool = False  # one of issue 10's strings


def write_results(rows: list[Row], issue: int, gen: int) -> None:
    firsts = [r.first for r in rows]
    over = sum(1 for t in firsts if t >= 1.0)
    partial = sum(1 for r in rows if r.partial)
    refused: dict[str, int] = {}
    for r in rows:
        if r.outcome.startswith("refused: "):
            name = r.outcome.removeprefix("refused: ")
            refused[name] = refused.get(name, 0) + 1
    lines = [
        machine_description()
        + f" The load average was {os.getloadavg()[0]:.1f} at the end of the run (other work).",
        "",
        f"{len(rows)} queries on news-full: the {issue} strings of issue 10 and {gen} generated "
        "ones (bench/bench_hostile.py), each searched three times in one process with the "
        f'default time budget ({limits.DEFAULT_TIME_BUDGET:g} s). "first" is the first '
        "search of a string (what a query seen once costs), the median is of the three.",
        "",
        f"- **{partial} hit the time budget** (goal 0); {over} took a second or more the first "
        "time (goal 0).",
        f"- First searches: median {statistics.median(firsts) * 1000:.0f} ms, slowest "
        f"{max(firsts) * 1000:.0f} ms.",
        "- Refused by a cap: "
        + ", ".join(f"{name} {count}" for name, count in sorted(refused.items()))
        + f"; the other {len(rows) - sum(refused.values())} returned results or another "
        "query error (a bad date, an unclosed quote, ...).",
        "- The REPL's live validation, highlighting and completion of any of these strings "
        f"took at most {max(r.repl for r in rows) * 1000:.0f} ms.",
        "",
        "The slowest 10, by their first search:",
        "",
        "| query | first | median of 3 | outcome |",
        "|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: r.first, reverse=True)[:10]:
        mark = " (issue 10)" if r.issue else ""
        lines.append(
            f"| {shown(r.query)}{mark} | {r.first * 1000:.0f} ms | {r.median * 1000:.0f} ms "
            f"| {r.outcome} |"
        )
    replace_section(RESULTS, "Hostile queries", "\n".join(lines))
    print(f"bench_hostile: {partial} hit the budget, {over} over 1 s -> {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
