"""Dump the results of a fixed set of requests, to check that a change leaves results as they were.

    python bench/dump_results.py SEEDS INDEX OUT.jsonl [--requests N] [--requests-from FILE]

The requests are made from the seeds themselves (deterministically): free-text queries of one to
three title words, the same with a `topic:` clause, a topic filter, a one-year date filter or
newest-first order; the second page of each; the other sorts; a misspelled word; and the
query-language features (phrases, fields, date clauses, wildcards, fuzzy words, boosts, NOT),
plus the document lookups (`similar`, `related`, `cited_by`) of the top hits. Each line of the
output is one request with its result (ids, scores, totals, facets, suggestions; not timings).

Two dumps are compared with `cmp` (or `diff`); `tests/test_whoosh_seam.py` replays the
requests of the committed dump of the test fixtures (tests/fixtures/golden-results.jsonl) and
compares. A change that alters results on purpose re-takes that dump in the same commit:

    python bench/dump_results.py tests/fixtures/seeds INDEX tests/fixtures/golden-results.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import yaml  # noqa: E402
from bench_common import STOP  # noqa: E402

import searchkit  # noqa: E402

# "Now" for relative dates, fixed so that a dump does not depend on the day it is taken.
NOW = datetime(2022, 10, 1, 12, 0, tzinfo=UTC)
WORD = re.compile(r"[A-Za-z][A-Za-z']{2,}")
FEATURES = (
    '"{a} {b}"',
    "title:{a}",
    "{a} OR {b}",
    "{a} NOT {b}",
    "({a} OR {b}) {c}",
    "{a}*",
    "{a}~",
    "{a}^3 {b}",
    "{a} date:2020",
    "{a} date:[2019 to 2020-06]",
    "{a} date:>2021-05",
    '{a} date:"last 2 years"',
    "{a} kind:related",
    "kind:article {a}",
    "provider:huffpost {a}",
    "{a} {b} {c} {d}",
    "*",
    "",
)


def _articles(seeds: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(p for p in seeds.rglob("*") if p.suffix in (".md", ".txt")):
        text = path.read_text(encoding="utf-8")
        try:
            meta = yaml.load(text.split("---", 2)[1], Loader=yaml.CSafeLoader)
        except (IndexError, yaml.YAMLError):
            continue
        if isinstance(meta, dict) and isinstance(meta.get("title"), str):
            out.append({"title": meta["title"], "topics": meta.get("topics") or []})
    return out


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1 :]


def make_requests(seeds: Path, n: int, seed: int = 11) -> list[dict[str, Any]]:
    """About 2.3 requests per base query: n base queries, page 2 of each, other sorts, typos,
    query-language features, lookups."""
    articles = _articles(seeds)
    rng = random.Random(seed)
    topics = sorted({t for a in articles for t in a["topics"] if isinstance(t, str)})
    requests: list[dict[str, Any]] = []
    for i in range(n):
        art = rng.choice(articles)
        words = [w.lower() for w in WORD.findall(art["title"]) if w.lower() not in STOP] or ["news"]
        text = " ".join(rng.sample(words, min(len(words), rng.choice((1, 2, 2, 3)))))
        options: dict[str, Any] = {}
        kind = i % 5
        if kind == 1 and topics:
            text = f'{text} topic:"{rng.choice(topics)}"'
        elif kind == 2 and topics:
            options = {"topics": [rng.choice(topics)]}
        elif kind == 3:
            year = rng.choice((2018, 2019, 2020, 2021, 2022))
            options = {"since": f"{year}-01", "until": f"{year}-12"}
        elif kind == 4:
            options = {"sort": "newest"}
        requests.append({"op": "search", "query": text, **options})
        requests.append({"op": "search", "query": text, **options, "page": 2, "per_page": 5})
        if i % 4 == 0:
            sort = ("oldest", "recent-relevance", "newest")[i // 4 % 3]
            requests.append({"op": "search", "query": text, "sort": sort})
        if i % 3 == 0:
            long = [w for w in words if len(w) >= 5]
            if long:
                requests.append({"op": "search", "query": _typo(rng.choice(long), rng)})
        if i % 6 == 0:
            a, b, c, d = (rng.choice(words) for _ in range(4))
            feature = FEATURES[i // 6 % len(FEATURES)]
            requests.append({"op": "search", "query": feature.format(a=a, b=b, c=c, d=d)})
        if i % 10 == 0:
            requests.append({"op": "lookups", "query": text})
    return requests


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _hit(hit: Any) -> list[Any]:
    return [hit.id, hit.score, hit.kind, hit.cited_by, hit.snippet[:60]]


def run(ix: Any, request: dict[str, Any]) -> dict[str, Any]:
    """What a request returns, as plain JSON data (no timings)."""
    options = {k: v for k, v in request.items() if k not in ("op", "query")}
    try:
        if request["op"] == "lookups":
            top = ix.search(request["query"], per_page=3, facets=False).hits
            out: dict[str, Any] = {}
            for hit in top:
                out[hit.id] = {
                    "similar": [[h.id, h.score] for h in ix.similar(hit.id, limit=5)],
                    "related": [[d.id, d.kind] for d in ix.related(hit.id)],
                    "cited_by": [d.id for d in ix.cited_by(hit.id)],
                }
            return out
        r = ix.search(request["query"], **options)
    except searchkit.SearchkitError as exc:
        return {"error": type(exc).__name__}
    return {
        "total": r.total,
        "resolved": r.resolved_query,
        "hits": [_hit(h) for h in r.hits],
        "facets": {
            name: [[v.value, v.count, v.selected] for v in facet.values]
            for name, facet in sorted(r.facets.items())
        },
        "suggestion": [r.suggestion.query, r.suggestion.total] if r.suggestion else None,
        "corrected": r.corrected,
        "fallback": r.fallback,
    }


def dump(index: Path, requests: list[dict[str, Any]], out: Any) -> None:
    with searchkit.open_index(index, clock=lambda: NOW) as ix:
        for request in requests:
            line = {"request": request, "result": run(ix, request)}
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("seeds", type=Path, help="the seeds folder the requests are made from")
    ap.add_argument("index", type=Path, help="an index of those seeds (built if missing)")
    ap.add_argument("out", type=Path)
    ap.add_argument("--requests", type=int, default=300, help="base queries (default 300)")
    ap.add_argument(
        "--requests-from", type=Path, help="replay the requests of an earlier dump instead"
    )
    args = ap.parse_args()
    if not args.seeds.is_dir():
        print(f"dump_results: no seeds folder at {args.seeds}; nothing dumped.")
        return 0
    if not (args.index / "CURRENT").exists():
        searchkit.build_index(args.seeds, args.index)
    if args.requests_from:
        lines = args.requests_from.read_text(encoding="utf-8").splitlines()
        requests = [json.loads(line)["request"] for line in lines]
    else:
        requests = make_requests(args.seeds, args.requests)
    with open(args.out, "w", encoding="utf-8") as out:
        dump(args.index, requests, out)
    print(f"dump_results: {len(requests)} requests -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
