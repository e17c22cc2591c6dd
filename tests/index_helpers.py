"""Helpers for the indexing tests: writing seeds, running the CLI, reading an index back, and
an independent recount of the documents a seeds folder should yield.

The recount follows docs/DOCUMENTS.md with plain PyYAML and urllib; it deliberately shares no
code with searchkit, so that a bug in searchkit's model does not also hide in the expectation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_DATE = "2021-05-03T18:50:00Z"

TESTS_DIR = Path(__file__).resolve().parent
FIXTURE_SEEDS = TESTS_DIR / "fixtures" / "seeds"
REAL_SEED = TESTS_DIR.parent / "seeds" / "000_2582ab03df94a065.txt"

# The fixture folder, counted by hand-checked independent code (see test_fixture_counts).
FIXTURE_SEED_FILES = 216
FIXTURE_ARTICLES = 216
FIXTURE_STUBS = 385
FIXTURE_DOCUMENTS = FIXTURE_ARTICLES + FIXTURE_STUBS

# Keys `searchkit index --json` must print (issue 2).
INDEX_JSON_KEYS = {
    "added": int,
    "updated": int,
    "removed": int,
    "unchanged": int,
    "documents": int,
    "articles": int,
    "related": int,
    "errors": list,
    "stale": list,
    "seconds": float,
}
STATS_JSON_KEYS = {
    "documents",
    "articles",
    "related",
    "topics",
    "providers",
    "earliest",
    "latest",
    "schema_version",
    "seeds",
    "size_bytes",
    "last_build",
    "stale",
    "errors",
}

_SUFFIXES = (".md", ".markdown", ".txt")


# --- writing seeds --------------------------------------------------------------------------------


def seed_text(
    title: str | None,
    url: str | None = None,
    *,
    topics: Iterable[str] | None = None,
    related: Iterable[Mapping[str, Any]] = (),
    body: str = "",
    **fields: Any,
) -> str:
    """The text of a seed file with the given frontmatter fields (YAML written by PyYAML).
    publishedDateTime defaults to DEFAULT_DATE; a field given as None is left out."""
    meta: dict[str, Any] = {}
    if title is not None:
        meta["title"] = title
    if url is not None:
        meta["webUrl"] = url
    meta["publishedDateTime"] = DEFAULT_DATE
    meta.update(fields)
    meta = {k: v for k, v in meta.items() if v is not None}
    if topics is not None:
        meta["topics"] = list(topics)
    related = list(related)
    if related:
        meta["related"] = [dict(r) for r in related]
    fm = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{fm}---\n{body}"


def related(title: str | None, url: str | None = None, **fields: Any) -> dict[str, Any]:
    """A related entry; publishedDateTime defaults to DEFAULT_DATE, a field given as None is
    left out."""
    entry: dict[str, Any] = {}
    if title is not None:
        entry["title"] = title
    if url is not None:
        entry["webUrl"] = url
    entry["publishedDateTime"] = DEFAULT_DATE
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not None}


_mtime_clock = [1_600_000_000_000_000_000]


def write_file(path: Path, data: str | bytes) -> Path:
    """Write a seed and give it a fresh, strictly increasing mtime, so that a change is never
    hidden by a coarse file-system clock (change detection starts from (mtime, size))."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    bump_mtime(path)
    return path


def write_small_folder(seeds: Path, name: str, host: str) -> None:
    """a.md, citing one stub, and b.md: 3 documents, titled "<name> A" and "<name> B"."""
    stub = related("S", f"https://{host}/s")
    write_file(seeds / "a.md", seed_text(f"{name} A", f"https://{host}/a", related=[stub]))
    write_file(seeds / "b.md", seed_text(f"{name} B", f"https://{host}/b"))


def bump_mtime(path: Path) -> None:
    _mtime_clock[0] += 1_000_000_000
    os.utime(path, ns=(_mtime_clock[0], _mtime_clock[0]))


def copy_seeds(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for entry in sorted(src.iterdir()):
        (dst / entry.name).write_bytes(entry.read_bytes())
    return dst


# --- reading an index back ------------------------------------------------------------------------


def live_store(index_dir: Path) -> Path:
    """The store the index folder's CURRENT names."""
    from searchkit import store

    live = store.current_store(Path(index_dir))
    assert live is not None, f"no live store in {index_dir}"
    return live


@contextmanager
def open_live_index(index_dir: Path) -> Iterator[Any]:
    """The live store's Whoosh index, read directly (not through searchkit)."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(live_store(index_dir)))
    try:
        yield ix
    finally:
        ix.close()


def stored_docs(index_dir: Path) -> dict[str, dict[str, Any]]:
    """Every stored document of the live store, by id (read with Whoosh directly)."""
    with open_live_index(index_dir) as ix, ix.searcher() as searcher:
        return {d["id"]: d for d in searcher.all_stored_fields()}


def title_hits(index_dir: Path, words: str) -> list[str]:
    """Ids of the documents whose title matches `words` (a Whoosh query on the title field)."""
    from whoosh.qparser import QueryParser

    with open_live_index(index_dir) as ix, ix.searcher() as searcher:
        query = QueryParser("title", ix.schema).parse(words)
        return [hit["id"] for hit in searcher.search(query, limit=None)]


def snapshot(folder: Path, *, skip: Iterable[str] = ()) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every file under `folder`, by relative path."""
    skipped = set(skip)
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in skipped:
            st = path.stat()
            out[str(path.relative_to(folder))] = (st.st_mtime_ns, st.st_size)
    return out


# --- the CLI --------------------------------------------------------------------------------------


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHKIT_")}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(TESTS_DIR.parent), env.get("PYTHONPATH")])
    )
    env.update(extra or {})
    return env


def run_cli(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    input_text: str | None = None,
) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "searchkit", *map(str, args)],
        cwd=cwd,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input_text,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


# --- the independent recount ----------------------------------------------------------------------


def norm_url(url: str) -> str:
    """docs/DOCUMENTS.md: strip spaces; lowercase scheme and host; drop the fragment; drop one
    trailing `/` of a non-root path; keep the query."""
    parts = urlsplit(url.strip())
    path = parts.path[:-1] if len(parts.path) > 1 and parts.path.endswith("/") else parts.path
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


@dataclass
class Expected:
    """What a folder of valid seeds should yield."""

    articles: dict[str, str] = field(default_factory=dict)  # identity -> path
    stubs: dict[str, list[str]] = field(default_factory=dict)  # key -> citing paths
    stub_titles: dict[str, str] = field(default_factory=dict)  # key -> title of first citer
    topics: dict[str, list[str]] = field(default_factory=dict)  # doc id -> topics
    duplicates: dict[str, str] = field(default_factory=dict)  # path -> path indexed instead

    @property
    def documents(self) -> int:
        return len(self.articles) + len(self.stubs)

    @property
    def counts(self) -> tuple[int, int, int]:
        return self.documents, len(self.articles), len(self.stubs)


def seed_paths(folder: Path) -> list[str]:
    """Seed files as docs/DOCUMENTS.md defines them: suffix .md/.markdown/.txt, no hidden
    entries."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and name.lower().endswith(_SUFFIXES):
                out.append(
                    os.path.relpath(os.path.join(dirpath, name), folder).replace(os.sep, "/")
                )
    return sorted(out)


def load_meta(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    end = text.index("\n---", 3)
    meta = yaml.load(text[4:end], Loader=_YAML_LOADER)
    assert isinstance(meta, dict) and meta.get("title"), path
    return meta


def expected_documents(folder: Path, *, skip: Iterable[str] = ()) -> Expected:
    """Recount the documents of a folder of valid seeds (paths in `skip` are left out)."""
    skipped = set(skip)
    exp = Expected()
    cited: dict[str, list[tuple[str, dict[str, Any], list[str]]]] = {}
    for path in seed_paths(folder):
        if path in skipped:
            continue
        meta = load_meta(folder / path)
        url = _text_url(meta.get("webUrl")) or _text_url(meta.get("originalUrl"))
        identity = norm_url(url) if url else path
        if identity in exp.articles:
            exp.duplicates[path] = exp.articles[identity]
            continue
        exp.articles[identity] = path
        topics = list(meta.get("topics") or [])
        exp.topics[identity] = topics
        for n, entry in enumerate(meta.get("related") or [], 1):
            if not isinstance(entry, dict) or not entry.get("title"):
                continue  # left out (docs/DOCUMENTS.md)
            entry_url = _text_url(entry.get("webUrl")) or _text_url(entry.get("originalUrl"))
            key = norm_url(entry_url) if entry_url else f"{identity}#related-{n}"
            cited.setdefault(key, []).append((path, entry, topics))
    for key, citers in cited.items():
        if key in exp.articles:
            continue
        exp.stubs[key] = list(dict.fromkeys(p for p, _, _ in citers))
        exp.stub_titles[key] = " ".join(str(citers[0][1]["title"]).split())
        union: list[str] = []
        for _, _, topics in citers:
            union += [t for t in topics if t.casefold() not in {u.casefold() for u in union}]
        exp.topics[key] = union
    return exp


def _text_url(value: Any) -> str | None:
    """A URL field as docs/DOCUMENTS.md reads it: text, or nothing."""
    return value if isinstance(value, str) and value.strip() else None


@cache
def fixture_expected() -> Expected:
    """expected_documents(FIXTURE_SEEDS), computed once (the fixture folder is read-only)."""
    return expected_documents(FIXTURE_SEEDS)


@cache
def fixture_metas() -> dict[str, dict[str, Any]]:
    return {p: load_meta(FIXTURE_SEEDS / p) for p in seed_paths(FIXTURE_SEEDS)}


def assert_matches_full_build(
    seeds: Path, index_dir: Path, scratch: Path, options: Any = None
) -> dict[str, dict[str, Any]]:
    """The incrementally maintained index holds exactly what a full build of the same folder
    (with build `options`) holds, stored field for stored field. Returns the incremental
    index's documents."""
    import shutil

    import searchkit

    full_dir = scratch / "full-build-oracle"
    shutil.rmtree(full_dir, ignore_errors=True)
    if options is None:
        searchkit.build_index(seeds, full_dir, full=True)
    else:
        searchkit.build_index(seeds, full_dir, full=True, options=options)
    incremental, full = stored_docs(index_dir), stored_docs(full_dir)
    assert incremental.keys() == full.keys(), (
        sorted(incremental.keys() - full.keys())[:5],
        sorted(full.keys() - incremental.keys())[:5],
    )
    differing = {k: (incremental[k], full[k]) for k in incremental if incremental[k] != full[k]}
    assert not differing, next(iter(differing.items()))
    return incremental


def generate_seeds(dst: Path, count: int) -> list[str]:
    """`count` more seeds made from the fixture seeds, each with its own webUrl and title (their
    related entries still cite the fixture articles and stubs). Returns the new paths."""
    import re

    sources = [FIXTURE_SEEDS / p for p in seed_paths(FIXTURE_SEEDS)]
    dst.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        text = sources[i % len(sources)].read_text(encoding="utf-8")
        text = re.sub(r'^webUrl: "([^"]*)"', rf'webUrl: "\1?copy={i}"', text, count=1, flags=re.M)
        text = re.sub(r'^title: "', f'title: "Copy {i} ', text, count=1, flags=re.M)
        name = f"generated/{i:05d}.md"
        (dst / name).parent.mkdir(exist_ok=True)
        (dst / name).write_text(text, encoding="utf-8")
        made.append(name)
    return made


def citing_paths(folder: Path) -> dict[str, list[str]]:
    """For every related key (stub or article), the seeds that cite it, in path order."""
    out: dict[str, list[str]] = {}
    for path in seed_paths(folder):
        for entry in load_meta(folder / path).get("related") or []:
            if entry.get("title") and entry.get("webUrl"):
                out.setdefault(norm_url(entry["webUrl"]), []).append(path)
    return out


def spy_on_walks(monkeypatch: Any) -> list[Path]:
    """The seeds folders the builds walk from now on (build/run.py's scan_seeds, spied on):
    what tells a walk from a scan that stood in for one (hinted.py, stamped.py)."""
    from searchkit.build import run as build_run

    walked: list[Path] = []
    real = build_run.scan_seeds

    def spy(root: Path, **kwargs: Any) -> Any:
        walked.append(root)
        return real(root, **kwargs)

    monkeypatch.setattr(build_run, "scan_seeds", spy)
    return walked
