"""Text from seeds is untrusted: escape sequences and other control characters in titles,
excerpts, bodies, topics and provider names never reach a terminal raw, whether the output is
plain (piped), coloured (a terminal) or rendered by the library's render functions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import searchkit
from searchkit import SearchIndex
from searchkit import render as rd
from searchkit import render_documents as rdd

from .search_helpers import RAW_CONTROL, SGR, build, cli_env, run_cli, run_in_terminal, write_seed

EVIL_TITLE = "Evil \x1b[31mRED\x1b[0m headline \x1b]0;pwned\x07 with \x9b2J and \u202eflip\x08\x08"
EVIL_EXCERPT = "Sneaky excerpt \x1b[2J clears \x1b[H the screen\x07 \x1b[5mblink"
EVIL_TOPIC = "Evil\x1b[1mTopic"
EVIL_PROVIDER = "Bad\x1b[5mProvider"
EVIL_STUB = "Stub \x1b[2J title \x1b]8;;http://x\x07link"
EVIL_ID = "https://evil.example/one"
RAW_BODY = "Bodyword \x1b[31mred body\x1b[0m and \x1b]0;title\x07 end"
# What the seeds would do if printed raw (searchkit's own styling never uses them).
SEED_SEQUENCES = ("\x1b[31m", "\x1b[2J", "\x1b[H", "\x1b]", "\x1b[5m", "\x9b", "\u202e", "\x07")


@pytest.fixture(scope="module")
def evil_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evil")
    meta = {
        "title": EVIL_TITLE,
        "excerpt": EVIL_EXCERPT,
        "webUrl": EVIL_ID,
        "publishedDateTime": "2021-05-03T10:00:00Z",
        "topics": [EVIL_TOPIC],
        "provider": {"name": EVIL_PROVIDER, "domain": "evil.example"},
        "related": [
            {
                "title": EVIL_STUB,
                "webUrl": "https://evil.example/stub",
                "publishedDateTime": "2021-05-01T10:00:00Z",
            }
        ],
    }
    # PyYAML writes the frontmatter's control characters as escapes ("\e"); the body is not
    # YAML, so its escape sequences are raw bytes in the file.
    write_seed(root / "seeds", "evil.md", meta, RAW_BODY)
    assert "\x1b[31m" in (root / "seeds" / "evil.md").read_text(encoding="utf-8")
    build(root / "seeds", root / "index")
    return root / "index"


@pytest.fixture(scope="module")
def evil(evil_dir: Path) -> Iterator[SearchIndex]:
    with searchkit.open_index(evil_dir) as index:
        yield index


def test_the_index_keeps_the_text_as_written(evil: SearchIndex) -> None:
    doc = evil.get(EVIL_ID)
    assert doc.title == EVIL_TITLE
    assert "\x1b[2J" in doc.excerpt
    assert doc.topics == (EVIL_TOPIC,)
    assert doc.provider == EVIL_PROVIDER
    assert "\x1b[31m" in doc.body


@pytest.mark.parametrize("query", ["evil", "bodyword", "stub", "*"])
def test_piped_text_output_has_no_control_characters(evil_dir: Path, query: str) -> None:
    proc = run_cli("search", query, "--index", evil_dir)
    assert proc.returncode == 0, proc.stderr
    assert not RAW_CONTROL.search(proc.stdout), repr(RAW_CONTROL.search(proc.stdout))
    # The text is still shown, its control characters as visible escapes.
    if query in ("evil", "*"):
        assert "RED" in proc.stdout and "\\x1b[31m" in proc.stdout
        assert "Evil\\x1b[1mTopic" in proc.stdout and "Bad\\x1b[5mProvider" in proc.stdout
    if query == "bodyword":
        assert "red body" in proc.stdout and "\\x1b[31m" in proc.stdout


def own_codes() -> set[str]:
    palette = rd.Palette(color=True)
    styled = "".join(f("x") for f in (palette.bold, palette.dim, palette.match, palette.accent))
    return set(SGR.findall(styled))


def assert_only_own_styling(text: str) -> None:
    allowed = own_codes()
    assert allowed, "colour should be on"
    foreign = [code for code in SGR.findall(text) if code not in allowed]
    assert not foreign, foreign
    for sequence in SEED_SEQUENCES:
        assert sequence not in text, repr(sequence)
    plain = SGR.sub("", text).replace("\r", "")
    assert not RAW_CONTROL.search(plain), repr(RAW_CONTROL.search(plain))


@pytest.mark.parametrize("query", ["evil", "bodyword"])
def test_coloured_terminal_output_has_only_searchkits_own_styling(
    evil_dir: Path, query: str
) -> None:
    env = cli_env(TERM="xterm-256color")
    status, output = run_in_terminal("search", query, "--index", evil_dir, env=env)
    assert status == 0, output
    assert SGR.search(output), "a terminal gets colour"
    assert_only_own_styling(output)
    assert "\\x1b[" in output  # the seed's escapes are shown, escaped


def test_render_functions_with_colour_never_emit_the_seeds_escapes(evil: SearchIndex) -> None:
    palette = rd.Palette(color=True)
    results = evil.search("evil OR stub OR bodyword", facet_limit=100)
    assert results.total == 2
    doc = evil.get(EVIL_ID)
    lines = [
        *rd.results_lines(results, palette),
        *rdd.all_facets_lines(results, palette),
        *rdd.document_lines(
            doc, palette, links=evil.related(doc.id), cited_by=evil.cited_by(doc.id)
        ),
        *rdd.linked_lines(evil.related(doc.id), palette),
    ]
    for hit in results.hits:
        lines += rd.hit_lines(hit, palette)
    text = "\n".join(lines)
    assert_only_own_styling(text)
    assert "RED" in text and "Stub" in text and "red body" in text
    # Without colour, the same lines carry no escape at all.
    plain = "\n".join(rd.results_lines(results, rd.Palette(color=False)))
    assert "\x1b" not in plain and not RAW_CONTROL.search(plain)
    assert SGR.sub("", "\n".join(rd.results_lines(results, palette))) == plain


def test_sanitize_makes_every_control_character_visible() -> None:
    text = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]) + "\u202e\u2066"
    safe = rd.sanitize(text)
    assert not RAW_CONTROL.search(safe)
    assert "\\x1b" in safe and "\\x9b" in safe and "\\u202e" in safe
    kept = rd.sanitize("a\nb", keep_newlines=True)
    assert kept == "a\nb"


def test_json_escapes_c0_controls_and_keeps_the_text(evil_dir: Path) -> None:
    proc = run_cli("search", "evil", "--json", "--index", evil_dir)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\x08" not in proc.stdout
    hits = {h["id"]: h for h in json.loads(proc.stdout)["hits"]}
    assert hits[EVIL_ID]["title"] == EVIL_TITLE  # JSON is data: the exact text, safely encoded


@pytest.mark.parametrize("mode", ["--json", "--jsonl"])
def test_json_escapes_c1_and_bidi_controls(evil_dir: Path, mode: str) -> None:
    proc = run_cli("search", "evil", mode, "--index", evil_dir)
    assert proc.returncode == 0, proc.stderr
    assert not RAW_CONTROL.search(proc.stdout.replace("\n", "")), repr(
        RAW_CONTROL.search(proc.stdout)
    )
