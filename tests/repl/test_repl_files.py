""":edit (a seed file in the editor), :save (every result to a file) and :rerun (a history
entry), through the session's Repl."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from prompt_toolkit.history import InMemoryHistory
from repl_helpers import SEEDS, fixed_clock

from searchkit.api import SearchIndex
from searchkit.repl import Repl

KIM = "Trump Announces Details Of Meeting With Kim Jong Un"


def ok(repl: Repl, line: str) -> str:
    reply = repl.handle(line)
    assert not reply.error, reply.lines
    return "\n".join(reply.lines)


def fail(repl: Repl, line: str) -> str:
    reply = repl.handle(line)
    assert reply.error and reply.status == 2, reply.lines
    return "\n".join(reply.lines)


def test_edit_opens_the_seed_file_of_an_article(index: SearchIndex) -> None:
    edited: list[Path] = []
    repl = Repl(index, clock=fixed_clock, edit_file=lambda p: edited.append(p) or True)
    ok(repl, f'title:"{KIM}"')
    out = ok(repl, ":edit 1")
    (path,) = edited
    assert (path.is_file() and path.parent == SEEDS.resolve()) or path.parent == SEEDS
    assert KIM in path.read_text(encoding="utf-8")
    assert ":reindex" in out
    ok(repl, ":show 1")
    ok(repl, ":edit")  # the document on screen
    assert edited == [path, path]


def test_edit_says_why_a_related_document_has_no_file(index: SearchIndex) -> None:
    repl = Repl(index, clock=fixed_clock, edit_file=lambda p: True)
    ok(repl, "kind:related")
    assert "related document: it has no seed file" in fail(repl, ":edit 1")
    none = Repl(index, clock=fixed_clock, edit_file=lambda p: False)
    ok(none, f'title:"{KIM}"')
    assert "set $VISUAL or $EDITOR" in fail(none, ":edit 1")


def test_save_writes_every_page_as_json_lines_csv_or_tsv(
    index: SearchIndex, tmp_path: Path
) -> None:
    repl = Repl(index, clock=fixed_clock)
    ok(repl, "election")
    expected = index.search("election", per_page=1000)
    assert expected.total > repl.state.per_page  # more than the page on screen
    out = ok(repl, f":save {tmp_path / 'r.jsonl'}")
    assert f"Saved {expected.total} results" in out
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [h.id for h in expected.hits]
    ok(repl, f":save {tmp_path / 'r.csv'}")
    rows = list(csv.DictReader((tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()))
    assert [r["id"] for r in rows] == [h.id for h in expected.hits]
    ok(repl, f":save {tmp_path / 'r.tsv'}")
    assert (tmp_path / "r.tsv").read_text().count("\n") == expected.total + 1
    assert "jsonl, .csv or .tsv" in fail(repl, f":save {tmp_path / 'r.txt'}")
    assert "cannot write" in fail(repl, f":save {tmp_path / 'no' / 'r.csv'}")


def test_rerun_runs_a_history_entry_again(index: SearchIndex) -> None:
    history = InMemoryHistory()
    repl = Repl(index, clock=fixed_clock, history=history)
    for line in ("election", ":topic Politics", "korea"):
        history.append_string(line)
        ok(repl, line)
    assert repl.state.query == "korea"
    history.append_string(":rerun 1")
    out = ok(repl, ":rerun 1")
    assert repl.state.query == "election" and out.splitlines()[0].endswith("1: election")
    assert "no history entry 99" in fail(repl, ":rerun 99")
