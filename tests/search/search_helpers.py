"""Helpers for the search tests: writing seeds, a small hand-made corpus with known answers,
running the real CLI, and a few text checks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

import searchkit

FIXTURE_SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"

# searchkit's own styling: SGR sequences only ("ESC [ digits ; digits m").
SGR = re.compile(r"\x1b\[[0-9;]*m")
# Anything a terminal could act on: C0 (but newline), DEL, C1, line/paragraph separators, and
# bidirectional overrides and isolates.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# "Now" for the fixture index: a Thursday in the densest stretch of the fixture seeds.
FIXTURE_NOW = utc(2018, 5, 10, 12, 0)


def write_seed(folder: Path, name: str, meta: Mapping[str, Any], body: str = "") -> Path:
    """A seed file: YAML frontmatter written by PyYAML (which escapes control characters in
    double-quoted strings), then the body."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fm = yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True, width=1000)
    path.write_text(f"---\n{fm}---\n{body}", encoding="utf-8")
    return path


def build(seeds: Path, index_dir: Path, **options: Any) -> searchkit.IndexReport:
    report = searchkit.build_index(seeds, index_dir, **options)
    assert report.ok, report
    return report


# --- the newsroom: a hand-made corpus whose every answer is known ---------------------------

ACME = {"name": "Acme News", "domain": "acme.example"}
BETA = {"name": "Beta Times", "domain": "beta.example"}
GAMMA = {"name": "Gamma  Post", "domain": "Gamma.Example"}  # shown as "Gamma Post"
DELTA = {"name": "Delta Wire", "domain": "delta.example"}

QUASAR = "https://acme.example/quasar"
TELESCOPE = "https://beta.example/telescope-budget"
VOTE = "https://gamma.example/late-vote"
CAFE = "https://acme.example/cafe-tax"
PAINT = "https://beta.example/paint"
FAIR = "https://acme.example/white-house-fair"
MEMO = "https://gamma.example/memo"
PRIMER = "https://delta.example/quasar-primer"
ARTICLES = (QUASAR, TELESCOPE, VOTE, CAFE, PAINT, FAIR, MEMO)

QUASAR_BODY = "Long notes on zymurgy and starlight.\n\nA second paragraph about jets."

NEWSROOM: dict[str, tuple[dict[str, Any], str]] = {
    "a-quasar.md": (
        {
            "title": "Astronomers Spot A Quasar Beyond The Galaxy",
            "excerpt": "Its glow outshines a trillion suns, say observers in Montréal.",
            "webUrl": QUASAR,
            "publishedDateTime": "2021-05-31T23:59:59Z",
            "topics": ["Science"],
            "provider": ACME,
            "quality": 90,
            "related": [
                {
                    "title": "Telescope Budget Approved By Senate",
                    "webUrl": "https://beta.example/telescope-budget",
                    "publishedDateTime": "2021-06-01T00:00:00Z",
                    "provider": BETA,
                },
                {
                    "title": "A Quasar Primer",
                    "excerpt": "Everything about bright galactic nuclei.",
                    "webUrl": PRIMER,
                    "publishedDateTime": "2020-12-31T23:59:59Z",
                    "provider": DELTA,
                },
                {"excerpt": "An entry without a title is ignored."},
                {"title": "A Link Without Address", "publishedDateTime": "2021-02-02T12:00:00Z"},
            ],
        },
        QUASAR_BODY,
    ),
    "b-telescope.md": (
        {
            "title": "Telescope Budget Approved By Senate",
            "excerpt": "The senate banned further delays to the observatory.",
            # Normalises to TELESCOPE: case of scheme and host, trailing slash, fragment.
            "webUrl": "HTTPS://Beta.Example/telescope-budget/#section",
            "publishedDateTime": "2021-06-01T00:00:00Z",
            "topics": ["Politics", "science"],
            "provider": BETA,
        },
        "",
    ),
    "c-vote.md": (
        {
            "title": "Late Night Vote On Science Funding",
            "excerpt": "Lawmakers ban overtime; the vote was close.",
            "webUrl": VOTE,
            # 23:30 on 31 May in UTC, although the seed says 1 June.
            "publishedDateTime": "2021-06-01T01:30:00+02:00",
            "topics": ["Politics"],
            "provider": GAMMA,
            "related": [
                {
                    "title": "A Quasar Primer (second citation)",
                    "webUrl": PRIMER,
                    "publishedDateTime": "2020-12-31T23:59:59Z",
                    "provider": DELTA,
                },
                {
                    "title": "Astronomers Spot A Quasar",
                    "webUrl": QUASAR + "/",
                    "publishedDateTime": "2021-05-31T23:59:59Z",
                },
            ],
        },
        "",
    ),
    "d-cafe.md": (
        {
            "title": "Café Owners Protest Sugar Tax",
            "excerpt": "The owners’ protest spread across the city.",
            "webUrl": CAFE,
            "publishedDateTime": "2021-06-30T23:59:00Z",
            "topics": ["Science"],
            "provider": ACME,
        },
        "",
    ),
    "e-paint.md": (
        {
            "title": "Paint Your House White This Summer",
            "excerpt": "Mango season is here, and so is painting season.",
            "webUrl": PAINT,
            "publishedDateTime": "2021-07-01T00:00:00Z",
            "topics": ["Sports"],
            "provider": BETA,
        },
        "",
    ),
    "f-fair.md": (
        {
            "title": "White House Hosts A Science Fair",
            "excerpt": "Kiwi growers attend the fair.",
            "webUrl": FAIR,
            "publishedDateTime": "2021-01-01T00:00:00Z",
            "topics": ["Sports", "Politics"],
            "provider": ACME,
        },
        "",
    ),
    "g-memo.md": (
        {
            "title": "Undated Memo About Climate Policy",
            "excerpt": "Climatologists disagree about climates.",
            "webUrl": MEMO,
            "topics": ["Science"],
            "provider": GAMMA,
        },
        "",
    ),
}


def write_newsroom(folder: Path) -> Path:
    for name, (meta, body) in NEWSROOM.items():
        write_seed(folder, name, meta, body)
    return folder


# --- the CLI ---------------------------------------------------------------------------------


def cli_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SEARCHKIT_") and k not in ("NO_COLOR", "FORCE_COLOR")
    }
    env.update(extra)
    return env


def run_cli(
    *args: str | os.PathLike[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "searchkit", *map(str, args)],
        cwd=cwd,
        env=dict(env) if env is not None else cli_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def run_in_terminal(
    *args: str | os.PathLike[str], env: Mapping[str, str]
) -> tuple[int | None, str]:
    """Run the CLI in a real pseudo-terminal; (exit status, everything it wrote)."""
    import pexpect

    child = pexpect.spawn(
        sys.executable,
        ["-m", "searchkit", *map(str, args)],
        env=dict(env),
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(50, 200),
        timeout=60,
    )
    child.expect(pexpect.EOF)
    output = child.before
    child.close()
    return child.exitstatus, output
