"""`searchkit search` for scripts, through the real command: --format, --fields, --count,
--version, --color, errors as JSON objects and errors that name the flag given."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import searchkit
from searchkit import SearchIndex

from .search_helpers import FIXTURE_SEEDS, SGR, cli_env, run_cli, run_in_terminal

ALL = 1000


def cli_ok(index_dir: Path, *args: str) -> str:
    proc = run_cli("search", *args, "--index", index_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"searchkit {searchkit.__version__}"
    assert searchkit.__version__[0].isdigit()


def test_ids_print_every_match_in_rank_order(fixture_index_dir: Path, ix: SearchIndex) -> None:
    api = ix.search("trump", per_page=ALL)
    assert api.total > 10  # more than a page: every match, not the first 10
    lines = cli_ok(fixture_index_dir, "trump", "--format", "ids").splitlines()
    assert lines == [h.id for h in api.hits]
    limited = cli_ok(fixture_index_dir, "trump", "--format", "ids", "--limit", "3", "--page", "2")
    assert limited.splitlines() == [h.id for h in api.hits[3:6]]


def test_paths_are_seed_files_once_each_in_rank_order(
    fixture_index_dir: Path, ix: SearchIndex
) -> None:
    api = ix.search("korea", per_page=ALL)
    expected: list[str] = []
    for hit in api.hits:
        if hit.kind == "article":
            assert hit.path
            candidates = [hit.path]
        else:  # a related document: the seed files of the articles that cite it
            candidates = [p for c in ix.cited_by(hit.id) if (p := ix.get(c.id).path)]
        expected += [p for p in candidates if p not in expected]
    assert any(h.kind == "related" for h in api.hits)
    lines = cli_ok(fixture_index_dir, "korea", "--format", "paths").splitlines()
    assert lines == expected
    assert len(set(lines)) == len(lines)
    assert all((FIXTURE_SEEDS / line).is_file() for line in lines)


def test_csv_and_tsv_with_fields(fixture_index_dir: Path, ix: SearchIndex) -> None:
    api = ix.search("korea", per_page=ALL)
    rows = list(csv.reader(io.StringIO(cli_ok(fixture_index_dir, "korea", "--format", "csv"))))
    assert rows[0] == ["rank", "id", "kind", "published", "provider", "title", "url", "path"]
    assert [r[1] for r in rows[1:]] == [h.id for h in api.hits]
    assert [r[5] for r in rows[1:]] == [h.title for h in api.hits]  # commas, quotes kept
    tsv = cli_ok(
        fixture_index_dir, "korea", "--format", "tsv", "--fields", "id,topics,score", "--limit", "4"
    )
    lines = tsv.splitlines()
    assert lines[0] == "id\ttopics\tscore"
    for line, hit in zip(lines[1:], api.hits[:4], strict=True):
        doc_id, topics, score = line.split("\t")
        assert doc_id == hit.id and topics == "; ".join(hit.topics)
        assert float(score) == pytest.approx(hit.score)
    assert len(lines) == 5


def test_jsonl_prints_every_match_with_chosen_fields(
    fixture_index_dir: Path, ix: SearchIndex
) -> None:
    api = ix.search("trump", per_page=ALL)
    out = cli_ok(fixture_index_dir, "trump", "--format", "jsonl", "--fields", "rank,id")
    records = [json.loads(line) for line in out.splitlines()]
    assert records == [{"rank": h.rank, "id": h.id} for h in api.hits]
    # --jsonl stays an alias
    alias = cli_ok(fixture_index_dir, "trump", "--jsonl", "--fields", "rank,id")
    assert alias == out


def test_count_prints_only_the_total_whatever_the_format(
    fixture_index_dir: Path, ix: SearchIndex
) -> None:
    total = ix.search("trump", topics=["Politics"]).total
    for fmt in ("text", "json", "paths", "csv"):
        out = cli_ok(fixture_index_dir, "trump", "--topic", "Politics", "--format", fmt, "--count")
        assert out == f"{total}\n"
    assert cli_ok(fixture_index_dir, "xqzvwj", "--count") == "0\n"


def test_no_hits_is_a_success_in_every_format(fixture_index_dir: Path) -> None:
    for fmt in ("paths", "ids", "jsonl"):
        assert cli_ok(fixture_index_dir, "xqzvwj", "--format", fmt) == ""
    assert cli_ok(fixture_index_dir, "xqzvwj", "--format", "csv", "--no-header") == ""
    data = json.loads(cli_ok(fixture_index_dir, "xqzvwj", "--json"))
    assert (data["total"], data["hits"]) == (0, [])


def test_json_facets_say_which_values_are_selected(fixture_index_dir: Path) -> None:
    data = json.loads(
        cli_ok(fixture_index_dir, "trump", "--topic", "Politics", "--topic", "comedy", "--json")
    )
    selected = {v["value"] for v in data["facets"]["topics"] if v["selected"]}
    assert selected == {"Politics", "Comedy"}
    assert all(not v["selected"] for v in data["facets"]["providers"])


def test_every_active_filter_shows_as_selected_in_text(fixture_index_dir: Path) -> None:
    out = cli_ok(fixture_index_dir, "trump", "--topic", "Politics", "--topic", "Comedy")
    topics = next(line for line in out.splitlines() if line.startswith("Topics:"))
    assert "✓ Politics" in topics and "✓ Comedy" in topics


def test_json_says_how_results_were_produced(newsroom_dirs: tuple[Path, Path]) -> None:
    _, index_dir = newsroom_dirs
    corrected = json.loads(cli_ok(index_dir, "telescpoe", "--json"))
    assert (corrected["corrected"], corrected["fallback"]) == ("telescope", None)
    loose = json.loads(cli_ok(index_dir, "quasar kiwi", "--json"))
    assert (loose["corrected"], loose["fallback"]) == (None, "any-word")


@pytest.mark.parametrize(
    ("args", "flag", "detail"),
    [
        (["--since", "next tuesday"], "--since", "'next tuesday' is not a date"),
        (["--until", "2021-13"], "--until", "2021-13"),
        (["--limit", "100000"], "--limit", "100000 is out of range; use 1 to 1,000"),
        (["--kind", "video"], "--kind", None),  # argparse's choices
        (["--fields", "id,bogus", "--format", "csv"], "--fields", "unknown field 'bogus'"),
    ],
)
def test_errors_name_the_flag_given(
    fixture_index_dir: Path, args: list[str], flag: str, detail: str | None
) -> None:
    proc = run_cli("search", "trump", *args, "--index", fixture_index_dir)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert flag in proc.stderr
    assert "bad query" not in proc.stderr
    if detail:
        assert detail in proc.stderr


@pytest.mark.parametrize(
    ("command", "expected_type", "status"),
    [
        (["search", "tpoic:x", "--json"], "QueryError", 2),
        (["search", "trump", "--since", "someday", "--format", "jsonl"], "ParameterError", 2),
        (["search", "trump", "--bogus", "--json"], "UsageError", 2),
        (["stats", "--json"], "IndexNotFoundError", 1),
        (["index", "--json", "--seeds", "/nonexistent/seeds"], "SeedsFolderError", 1),
    ],
)
def test_errors_are_json_objects_on_stdout_when_json_is_asked_for(
    tmp_path: Path, fixture_index_dir: Path, command: list[str], expected_type: str, status: int
) -> None:
    if command[0] == "search":
        command = [*command, "--index", str(fixture_index_dir)]
    proc = run_cli(*command, cwd=tmp_path, env=cli_env())
    assert proc.returncode == status, proc.stderr
    assert proc.stderr == ""
    (line,) = proc.stdout.splitlines()
    error = json.loads(line)["error"]
    assert set(error) == {"type", "message", "position", "hint"}
    assert error["type"] == expected_type
    assert error["message"]


def test_query_error_json_carries_position_and_hint(fixture_index_dir: Path) -> None:
    proc = run_cli("search", "korea titel:kim", "--json", "--index", fixture_index_dir)
    assert proc.returncode == 2
    error = json.loads(proc.stdout)["error"]
    assert error["position"] == 6
    assert "title:" in error["hint"]


def test_unknown_option_prints_the_subcommands_usage(fixture_index_dir: Path) -> None:
    proc = run_cli("search", "trump", "--bogus", "--index", fixture_index_dir)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: searchkit search ")
    assert "unrecognized arguments: --bogus" in proc.stderr


def test_search_help_is_wrapped_and_lists_its_own_exit_statuses() -> None:
    proc = run_cli("search", "--help", env=cli_env(COLUMNS="80"))
    assert proc.returncode == 0
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    assert "--sort" in proc.stdout and "order of the hits" in proc.stdout
    assert "which page" in proc.stdout
    assert "no hits is a success" in proc.stdout
    statuses = proc.stdout.split("exit status:")[1]
    assert "  3 " not in statuses


@pytest.mark.parametrize(
    ("color", "env", "coloured"),
    [
        ("always", {"NO_COLOR": "1"}, True),
        ("never", {}, False),
        ("auto", {}, True),
    ],
)
def test_color_flag_on_a_terminal(
    fixture_index_dir: Path, color: str, env: dict[str, str], coloured: bool
) -> None:
    status, output = run_in_terminal(
        "search",
        "korea",
        f"--color={color}",
        "--index",
        fixture_index_dir,
        env=cli_env(TERM="xterm-256color", **env),
    )
    assert status == 0, output
    assert bool(SGR.search(output)) is coloured


def test_color_always_when_piped(fixture_index_dir: Path) -> None:
    out = cli_ok(fixture_index_dir, "korea", "--color", "always")
    assert SGR.search(out)


def test_misspelled_facet_values_are_suggested(fixture_index_dir: Path) -> None:
    flag = cli_ok(fixture_index_dir, "trump", "--topic", "politcs")
    assert "No document has the topic 'politcs'; did you mean Politics?" in flag
    clause = cli_ok(fixture_index_dir, "topic:politcs trump")
    assert "Did you mean topic:Politics trump?" in clause
    data = json.loads(cli_ok(fixture_index_dir, "trump", "--provider", "huffpos", "--json"))
    assert data["value_suggestions"] == [
        {"facet": "providers", "given": "huffpos", "suggested": "HuffPost"}
    ]


def test_dates_that_empty_the_results_are_said_with_the_index_span(
    fixture_index_dir: Path, ix: SearchIndex
) -> None:
    out = cli_ok(fixture_index_dir, "trump", "--since", "2030")
    span = ix.search("trump", since="2030").date_span
    assert span is not None
    first, last = (d.strftime("%Y-%m-%d") for d in span)
    assert f"The index holds documents published from {first} to {last}." in out
    data = json.loads(cli_ok(fixture_index_dir, "trump date:2030", "--json"))
    assert data["date_span"]["earliest"].startswith(first)
    assert data["date_span"]["latest"].startswith(last)


def test_match_most_marks_partial_hits_after_a_divider(fixture_index_dir: Path) -> None:
    query = "korea summit trump cancels"
    text = cli_ok(fixture_index_dir, query)
    assert "── documents with some of the words ──" in text
    assert "and 1 with some of the words" in text or "with some of the words ·" in text
    assert "documents with some" not in cli_ok(fixture_index_dir, query, "--match", "all")
    data = json.loads(cli_ok(fixture_index_dir, query, "--json"))
    kinds = [h["match"] for h in data["hits"]]
    assert kinds[: data["total"]] == ["all"] * data["total"] and "partial" in kinds
    # The formats that print every match give the full matches only, unless asked.
    ids = cli_ok(fixture_index_dir, query, "--format", "ids").splitlines()
    assert len(ids) == data["total"]
    more = cli_ok(fixture_index_dir, query, "--format", "ids", "--match", "most").splitlines()
    assert len(more) > len(ids)
