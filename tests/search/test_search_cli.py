"""`searchkit search` through the real command: the documented JSON shape, JSON lines, plain text
when piped, colour only on a terminal and never under NO_COLOR."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from searchkit import SearchIndex

from .search_helpers import MEMO, SGR, cli_env, run_cli, run_in_terminal

RESULT_KEYS = {
    "query",
    "resolved_query",
    "total",
    "page",
    "per_page",
    "took_ms",
    "hits",
    "facets",
    "suggestion",
    "corrected",
    "fallback",
    "partial",
    "value_suggestions",
    "date_span",
}
HIT_KEYS = {
    "rank",
    "id",
    "kind",
    "title",
    "url",
    "provider",
    "published",
    "topics",
    "score",
    "snippet",
    "path",
    "cited_by",
    "match",
}
FACET_KEYS = {"topics", "providers", "kind", "published"}
ISO_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def search_json(index_dir: Path, *args: str) -> dict[str, Any]:
    proc = run_cli("search", *args, "--index", index_dir, "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1  # one JSON object on one line
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def check_hit_shape(hit: dict[str, Any]) -> None:
    assert set(hit) == HIT_KEYS
    assert isinstance(hit["rank"], int) and hit["rank"] >= 1
    assert isinstance(hit["id"], str) and hit["id"]
    assert hit["kind"] in ("article", "related")
    assert isinstance(hit["title"], str) and hit["title"]
    assert hit["url"] is None or isinstance(hit["url"], str)
    assert hit["provider"] is None or isinstance(hit["provider"], str)
    assert hit["published"] is None or ISO_Z.fullmatch(hit["published"])
    assert isinstance(hit["topics"], list) and all(isinstance(t, str) for t in hit["topics"])
    assert isinstance(hit["score"], int | float)
    assert isinstance(hit["snippet"], str)
    assert hit["path"] is None or isinstance(hit["path"], str)
    assert isinstance(hit["cited_by"], int) and hit["cited_by"] >= 0
    if hit["kind"] == "article":
        assert hit["path"] and hit["path"].endswith((".md", ".markdown", ".txt"))
    else:
        assert hit["path"] is None


def test_json_has_the_documented_shape(fixture_index_dir: Path, ix: SearchIndex) -> None:
    data = search_json(fixture_index_dir, "korea")
    assert set(data) == RESULT_KEYS
    assert data["query"] == "korea"
    assert data["resolved_query"] == "korea"
    assert (data["page"], data["per_page"]) == (1, 10)
    assert isinstance(data["took_ms"], int | float) and data["took_ms"] >= 0
    assert data["suggestion"] is None
    assert data["partial"] is None
    assert (data["corrected"], data["fallback"]) == (None, None)
    api = ix.search("korea")
    assert data["total"] == api.total
    assert [h["id"] for h in data["hits"]] == [h.id for h in api.hits]
    assert [h["rank"] for h in data["hits"]] == list(range(1, len(api.hits) + 1))
    for hit, expected in zip(data["hits"], api.hits, strict=True):
        check_hit_shape(hit)
        assert hit["title"] == expected.title
        assert hit["snippet"] == expected.snippet
        assert hit["cited_by"] == expected.cited_by
        assert expected.published is not None
        assert hit["published"] == expected.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert set(data["facets"]) == FACET_KEYS
    for name, values in data["facets"].items():
        assert all(set(v) == {"value", "count", "selected"} for v in values)
        assert values == [
            {"value": v.value, "count": v.count, "selected": False} for v in api.facets[name].values
        ]


def test_json_with_filters_paging_and_sorting(fixture_index_dir: Path, ix: SearchIndex) -> None:
    options: dict[str, Any] = {
        "topics": ["Politics"],
        "kind": "article",
        "since": "2018-05",
        "until": "2018-05",
        "sort": "newest",
        "page": 2,
        "per_page": 5,
    }
    api = ix.search("trump", **options)
    assert api.total > 10
    data = search_json(
        fixture_index_dir,
        "trump",
        "--topic",
        "Politics",
        "--kind",
        "article",
        "--since",
        "2018-05",
        "--until",
        "2018-05",
        "--sort",
        "newest",
        "--page",
        "2",
        "--limit",
        "5",
    )
    assert (data["total"], data["page"], data["per_page"]) == (api.total, 2, 5)
    assert [h["id"] for h in data["hits"]] == [h.id for h in api.hits]
    assert [h["rank"] for h in data["hits"]] == [6, 7, 8, 9, 10]
    published = [h["published"] for h in data["hits"]]
    assert published == sorted(published, reverse=True)
    assert all(h["kind"] == "article" and "Politics" in h["topics"] for h in data["hits"])
    # The resolved query spells out the filters, dates resolved to whole days.
    resolved = data["resolved_query"]
    assert "trump" in resolved and "Politics" in resolved
    assert "2018-05-01" in resolved and "2018-05-31" in resolved


def test_json_suggestion_and_null_dates(newsroom_dirs: tuple[Path, Path]) -> None:
    _, index_dir = newsroom_dirs
    corrected = search_json(index_dir, "telescpoe")
    assert corrected["suggestion"] == "telescope"
    assert corrected["total"] == 1
    memo = search_json(index_dir, "memo")
    (hit,) = memo["hits"]
    assert hit["id"] == MEMO and hit["published"] is None
    check_hit_shape(hit)
    assert memo["facets"]["published"] == []


def test_jsonl_prints_one_hit_per_line(fixture_index_dir: Path, ix: SearchIndex) -> None:
    proc = run_cli("search", "korea", "--limit", "4", "--jsonl", "--index", fixture_index_dir)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 4
    hits = [json.loads(line) for line in lines]
    for hit in hits:
        check_hit_shape(hit)
    assert [h["id"] for h in hits] == [h.id for h in ix.search("korea", per_page=4).hits]


def test_plain_text_when_piped(fixture_index_dir: Path, ix: SearchIndex) -> None:
    env = cli_env(TERM="xterm-256color")
    proc = run_cli(
        "search", "korea", "--topic", "World News", "--index", fixture_index_dir, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout
    api = ix.search("korea", topics=["World News"])
    assert api.total > 0
    for hit in api.hits:
        assert hit.title in proc.stdout
    assert f"of {api.total} result" in proc.stdout
    assert "Topics:" in proc.stdout and "World News" in proc.stdout


def test_no_results_and_did_you_mean_in_text(newsroom_dirs: tuple[Path, Path]) -> None:
    _, index_dir = newsroom_dirs
    none = run_cli("search", "xqzvwj", "--index", index_dir)
    assert none.returncode == 0 and "No results" in none.stdout
    little = run_cli("search", "telescpoe OR kiwi", "--index", index_dir)
    assert little.returncode == 0
    assert "Did you mean" in little.stdout and "telescope OR kiwi" in little.stdout


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)])
def test_colour_on_a_terminal_unless_no_color(
    fixture_index_dir: Path, no_color: str | None, coloured: bool
) -> None:
    env = cli_env(TERM="xterm-256color")
    if no_color is not None:
        env["NO_COLOR"] = no_color
    status, output = run_in_terminal("search", "korea", "--index", fixture_index_dir, env=env)
    assert status == 0, output
    assert "Korea" in output
    assert bool(SGR.search(output)) is coloured
    if not coloured:
        assert "\x1b" not in output
