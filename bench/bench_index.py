"""Indexing benchmark: full builds, no-op and one-seed incremental runs, memory and index size.

    python bench/bench_index.py [--corpus DIR] [--runs N] [--quick] [--no-profile]

Needs the shared news corpus (../shared/corpus next to the repository, or --corpus DIR); without
it, says so and exits 0 without results. Under bench/data/ (git-ignored) it extracts news-full
and generates news-100k, a deterministic 100,000-seed scale-up of it (see scale_up()). Then it
measures, each as the median of --runs fresh processes (default 3; --quick: 1 run, news-full
only):

  * the parse floor: reading and YAML-parsing the same files with yaml.CSafeLoader, no searchkit;
  * `searchkit index --full` (wall time; peak RSS of the main process and of its worker;
    index size), and its ratio to the parse floor;
  * a no-op `searchkit index` (nothing changed);
  * on news-100k, `searchkit index` after one seed's title was edited (end to end).

The "## Indexing" section of bench/RESULTS.md is replaced with the results (other sections are
kept). Unless --quick or --no-profile, a full build of news-full also runs once under cProfile,
in one process (the worker switched off, so one profile sees all the work), and "## Indexing
profile" is replaced too. The 100k
index is left at bench/data/index-100k for bench_search.py --index-100k.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "RESULTS.md"
SCALED_SEEDS = 100_000
SCALE_VERSION = "1"  # bump when scale_up() changes, to regenerate news-100k
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_common import compile_package, machine_description, replace_section  # noqa: E402

TARGETS = {
    "ratio": 2.0,  # full build of news-full / parse floor
    "noop_100k": 1.0,  # seconds
    "one_100k": 2.0,  # seconds
    "rss_mb": 600.0,
}


# --- corpus --------------------------------------------------------------------------------


def find_corpus(arg: str | None) -> Path | None:
    corpus = Path(arg) if arg else REPO.parent / "shared" / "corpus"
    return corpus if (corpus / "news-full.tar.gz").is_file() else None


def extract(corpus: Path, name: str) -> Path:
    """bench/data/<name>, extracted from <corpus>/<name>.tar.gz unless already there."""
    target = DATA / name
    marker = DATA / f".{name}.extracted"
    if target.is_dir() and marker.exists():
        return target
    if not target.is_dir():
        DATA.mkdir(parents=True, exist_ok=True)
        with tarfile.open(corpus / f"{name}.tar.gz") as tar:
            tar.extractall(DATA, filter="data")
    marker.write_text("ok\n")
    return target


_URL_LINE = re.compile(r'^(\s*(?:- )?)(webUrl|originalUrl|ampWebUrl): "(.*)"$')
_TITLE_LINE = re.compile(r'^title: "(.*)"$')
_VARIANTS = ("update", "analysis", "live", "explainer", "report", "recap", "opinion", "briefing")


def _unquote(text: str) -> str | None:
    """A YAML double-quoted scalar's value (JSON-compatible escapes), or None."""
    try:
        value = json.loads(f'"{text}"')
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _scaled_url(url: str, copy: int) -> str:
    """`url` of the copy-th duplicate: a path segment after the host keeps it a valid, unique
    and (after searchkit's normalisation) distinct URL."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return f"{url}#x{copy}"
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host}/x{copy}/{path}" if slash else f"{scheme}://{host}/x{copy}"


def scale_up(src: Path, dst: Path, total: int) -> None:
    """Write `total` seeds to `dst`: the news-full seeds as they are, then copies 1, 2, ... of
    them in name order until `total`. A copy has its own webUrl/originalUrl (copy c of
    https://host/path is https://host/xc/path) and a title with a variant word appended. Its
    related entries keep their text; a URL that is a news-full seed's identity points to copy c
    of that seed (or the last copy that exists), any other URL to copy c of that stub, so the
    copies cite each other and share stubs the way the originals do. Deterministic."""
    from searchkit.documents import normalize_url

    names = sorted(p.name for p in src.iterdir() if p.suffix == ".md")
    texts = {name: (src / name).read_text(encoding="utf-8") for name in names}
    n = len(names)
    copies_of: dict[str, int] = {}  # seed identity -> highest copy number written
    identity_of: dict[str, str] = {}
    for i, name in enumerate(names):
        urls = {}
        for line in texts[name].split("\n"):
            m = _URL_LINE.match(line)
            if m and m.group(1) == "" and m.group(2) in ("webUrl", "originalUrl"):
                urls[m.group(2)] = _unquote(m.group(3))
        url = urls.get("webUrl") or urls.get("originalUrl")
        if url:
            identity = normalize_url(url)
            identity_of[name] = identity
            copies_of[identity] = (total - 1 - i) // n  # copies 0..k exist for seed i
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for i in range(total):
        copy, name = divmod(i, n)
        name = names[name]
        if copy == 0:
            shutil.copyfile(src / name, tmp / name)
            continue
        out = []
        for line in texts[name].split("\n"):
            m = _TITLE_LINE.match(line)
            if m:
                line = f'title: "{m.group(1)} ({_VARIANTS[(copy + i) % len(_VARIANTS)]} {copy})"'
            else:
                m = _URL_LINE.match(line)
                value = _unquote(m.group(3)) if m else None
                if m and value:
                    target = copy
                    if m.group(1):
                        # A related entry: point to an existing copy of a seed it cites.
                        key = normalize_url(value.replace("?amp=1", ""))
                        if key in copies_of:
                            target = min(copy, copies_of[key])
                    scaled = _scaled_url(value, target) if target else value
                    line = f"{m.group(1)}{m.group(2)}: {json.dumps(scaled, ensure_ascii=False)}"
            out.append(line)
        stem = name[: -len(".md")]
        (tmp / f"{stem}-x{copy}.md").write_text("\n".join(out), encoding="utf-8")
    shutil.rmtree(dst, ignore_errors=True)
    tmp.rename(dst)


def ensure_scaled(full: Path) -> Path:
    dst = DATA / "news-100k"
    marker = DATA / ".news-100k.version"
    want = f"{SCALE_VERSION} {SCALED_SEEDS} {_tree_digest(full)}"
    if dst.is_dir() and marker.exists() and marker.read_text().strip() == want:
        return dst
    print(f"generating {SCALED_SEEDS:,} seeds in {dst} ...", flush=True)
    started = time.perf_counter()
    scale_up(full, dst, SCALED_SEEDS)
    marker.write_text(want + "\n")
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return dst


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha1()
    for p in sorted(folder.iterdir()):
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}\n".encode())
    return h.hexdigest()[:12]


# --- measurements --------------------------------------------------------------------------

FLOOR_SCRIPT = r"""
import os, sys, yaml
root = sys.argv[1]
n = 0
for name in sorted(os.listdir(root)):
    with open(os.path.join(root, name), "rb") as fh:
        text = fh.read().decode("utf-8")
    end = text.index("\n---", 3)
    yaml.load(text[4:end], Loader=yaml.CSafeLoader)
    n += 1
print(n)
"""


class Run:
    """One fresh process: wall time, and peak RSS of it and of each of its children."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.peak_kb: dict[int, int] = {}
        self.children: set[int] = set()
        self.peak_total_kb = 0  # the most the process and its children held at once
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = proc.pid
        done = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(proc.pid, done), daemon=True)
        watcher.start()
        out, err = proc.communicate()
        self.seconds = time.perf_counter() - started
        done.set()
        watcher.join()
        self.returncode = proc.returncode
        self.stdout = out.decode(errors="replace")
        if proc.returncode not in (0, 3):
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{err.decode()}")

    def _watch(self, pid: int, done: threading.Event) -> None:
        while not done.is_set():
            total = 0
            for p in (pid, *self._children_of(pid)):
                if p != pid:
                    self.children.add(p)
                kb = _hwm_kb(p)
                if kb:
                    self.peak_kb[p] = max(self.peak_kb.get(p, 0), kb)
                total += _rss_kb(p)
            self.peak_total_kb = max(self.peak_total_kb, total)
            done.wait(0.05)

    @staticmethod
    def _children_of(pid: int) -> list[int]:
        found = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                found += [int(x) for x in text.split()]
        except OSError:
            pass
        return found

    @property
    def main_mb(self) -> float:
        return self.peak_kb.get(self.pid, 0) / 1024

    @property
    def worker_mb(self) -> float:
        return max((self.peak_kb.get(p, 0) for p in self.children), default=0) / 1024

    @property
    def total_mb(self) -> float:
        """The most all its processes held at once (sampled every 50 ms)."""
        return self.peak_total_kb / 1024


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _hwm_kb(pid: int) -> int:
    """The peak resident memory of a process so far."""
    return _status_kb(pid, "VmHWM:")


def _rss_kb(pid: int) -> int:
    """The resident memory of a process now."""
    return _status_kb(pid, "VmRSS:")


def searchkit(*args: str) -> list[str]:
    return [sys.executable, "-m", "searchkit", *args]


def store_mb(index: Path) -> float:
    name = (index / "CURRENT").read_text().strip()
    store = index / name
    return sum(f.stat().st_size for f in store.iterdir() if f.is_file()) / 1e6


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Result:
    runs: int
    floor: list[float] = field(default_factory=list)
    full: list[float] = field(default_factory=list)
    noop: list[float] = field(default_factory=list)
    one: list[float] = field(default_factory=list)
    main_mb: float = 0.0
    worker_mb: float = 0.0
    size_mb: float = 0.0

    @property
    def ratio(self) -> float:
        return median(self.full) / median(self.floor)

    def raw(self) -> str:
        rows = {"floor": self.floor, "full": self.full, "no-op": self.noop, "one": self.one}
        return ", ".join(f"{k} {[round(x, 2) for x in v]}" for k, v in rows.items() if v)


INCREMENTAL_REPEATS = 3


def measure(seeds: Path, index: Path, runs: int, *, one_change: bool) -> Result:
    """Interleaved runs: floor, full build, no-op, (one changed seed)."""
    result = Result(runs)
    Run([sys.executable, "-c", FLOOR_SCRIPT, str(seeds)])  # warm the page cache
    names = sorted(seeds.iterdir())
    edited = names[len(names) // 2] if one_change else None
    original = edited.read_text(encoding="utf-8") if edited else None
    index_cmd = searchkit("index", "--index", str(index), "-q")
    try:
        for r in range(runs):
            result.floor.append(Run([sys.executable, "-c", FLOOR_SCRIPT, str(seeds)]).seconds)
            build = Run(searchkit("index", "--full", "--seeds", str(seeds), *index_cmd[4:]))
            result.full.append(build.seconds)
            result.main_mb = max(result.main_mb, build.main_mb)
            result.worker_mb = max(result.worker_mb, build.worker_mb)
            result.size_mb = store_mb(index)
            # The incremental runs are short: several per full build.
            for k in range(INCREMENTAL_REPEATS):
                result.noop.append(Run(index_cmd).seconds)
                if edited is not None and original is not None:
                    text = original.replace('title: "', f'title: "Edited {r + 1}.{k} ', 1)
                    edited.write_text(text, encoding="utf-8")
                    result.one.append(Run(index_cmd).seconds)
                    result.noop.append(Run(index_cmd).seconds)  # after a change, no-op again
            print(f"  {seeds.name} run {r + 1}: {result.raw()}", flush=True)
    finally:
        if edited is not None and original is not None:
            edited.write_text(original, encoding="utf-8")
            Run(index_cmd)
    return result


# --- profile -------------------------------------------------------------------------------

# (label, function) rows summarised from cProfile's cumulative times, in tree order.
PROFILE_ROWS: list[tuple[str, str]] = [
    ("whole build (one process)", "full.py:full_build"),
    ("reading + parsing seeds (YAML, the seed model)", "loader.py:read_seed"),
    ("- YAML (PyYAML's C parser and its Python constructor)", "documents.py:_Handler.load"),
    ("article_document + to_fields", "records.py:to_fields"),
    ("add_document, all documents", "writing.py:FastSegmentWriter.add_document"),
    ("- analysis (tokenise, stem; fast_index)", "analysis.py:Analysis.__call__"),
    ("- pooling postings", "pool.py:_FieldPostings.add_document"),
    ("- stored fields (pickle + zlib per document)", "whoosh3.py:W3PerDocWriter.finish_doc"),
    ("writing the segment", "writing.py:SegmentWriter._finalize_segment"),
    ("- grouping postings by term", "pool.py:_FieldPostings.by_term"),
    ("- writing single-block terms", "blocks.py:_SingleBlockWriter.write"),
    ("- writing multi-block terms (Whoosh's block writer)", "blocks.py:_fill_blocks"),
    ("- term index hash tables, columns, files", "whoosh3.py:W3FieldWriter.close"),
]


def profile_build(seeds: Path, index: Path) -> str:
    """Profile a full build in this process, with the worker switched off so that the profile
    sees all the work (a real build shares it between two processes)."""
    from searchkit.build import BuildOptions, build_index

    shutil.rmtree(index, ignore_errors=True)
    prof = cProfile.Profile()
    started = time.perf_counter()
    prof.enable()
    try:
        build_index(seeds, index, full=True, options=BuildOptions(worker_min_files=10**9))
    finally:
        prof.disable()
    wall = time.perf_counter() - started
    raw = pstats.Stats(prof).stats  # type: ignore[attr-defined]  # undocumented but stable
    cum: dict[str, float] = {}
    own: dict[str, float] = {}
    for (filename, line, func), (_cc, _nc, tt, ct, _callers) in raw.items():
        key = _function_key(filename, line, func)
        cum[key] = cum.get(key, 0.0) + ct
        own[key] = own.get(key, 0.0) + tt
    total = cum.get("full.py:full_build", wall)
    lines = [
        f"cProfile of one full build of news-full in one process, the worker switched off so "
        f"that one profile sees all the work ({wall:.1f} s under the profiler, which slows "
        "Python code about 1.5×; a real build shares this work between two processes). "
        "Cumulative time per step, as a share of the build:",
        "",
        "| step | seconds | share |",
        "|---|---|---|",
    ]
    for label, key in PROFILE_ROWS:
        if key in cum:
            lines.append(f"| {label} | {cum[key]:.1f} | {cum[key] / total:.0%} |")
    top = sorted(((t, k) for k, t in own.items()), reverse=True)[:10]
    lines += ["", "Largest self times: " + ", ".join(f"`{k}` {t:.1f} s" for t, k in top) + "."]
    return "\n".join(lines)


_SOURCES: dict[str, list[str]] = {}


def _function_key(filename: str, line: int, func: str) -> str:
    """`file.py:Class.function`, or `file.py:function` for a module-level function."""
    name = Path(filename).name
    if filename not in _SOURCES:
        try:
            _SOURCES[filename] = Path(filename).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            _SOURCES[filename] = []
    source = _SOURCES[filename]
    if not 0 < line <= len(source) or not source[line - 1].startswith(" "):
        return f"{name}:{func}"
    for text in reversed(source[: line - 1]):
        if text.startswith("class "):
            return f"{name}:{text[6:].split('(')[0].split(':')[0]}.{func}"
        if text.startswith(("def ", "async def ")):
            break
    return f"{name}:{func}"


# --- report --------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(results: dict[str, Result], quick: bool) -> str:
    full = results["news-full"]
    big = results.get("news-100k")
    runs = full.runs
    lines = [
        machine_description(),
        "",
        f"Each number is the median of {runs} run{'s' if runs != 1 else ''} in a fresh process "
        f"(wall time; after each full build come {INCREMENTAL_REPEATS} rounds of no-op, one "
        "seed changed (100k only), no-op, so those have more runs). A full build shares "
        "parsing and indexing between the main process and a worker, each writing a segment "
        "of the index (searchkit/parallel.py). Peak RSS is the VmHWM of each process "
        "(highest over the runs). The parse floor reads the same files and parses their "
        "frontmatter with yaml.CSafeLoader, in one process, without searchkit.",
        "",
        "| corpus | seeds | parse floor | full build | full / floor | no-op run | "
        "one seed changed | peak RSS main / worker | index size |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, seeds in (("news-full", "13,744"), ("news-100k", f"{SCALED_SEEDS:,}")):
        r = results.get(name)
        if r is None:
            continue
        one = f"{median(r.one):.2f} s" if r.one else "-"
        lines.append(
            f"| {name} | {seeds} | {median(r.floor):.1f} s | {median(r.full):.1f} s | "
            f"{r.ratio:.2f}× | {median(r.noop):.2f} s | {one} | "
            f"{r.main_mb:.0f} / {r.worker_mb:.0f} MB | {r.size_mb:.0f} MB |"
        )
    lines += ["", "Targets:", ""]
    lines.append(
        f"* full build of news-full within {TARGETS['ratio']:.0f}× the parse floor: "
        f"{full.ratio:.2f}×, {verdict(full.ratio <= TARGETS['ratio'])}"
    )
    if big is not None:
        noop, one = median(big.noop), median(big.one)
        lines.append(
            f"* no-op incremental run over 100k seeds under {TARGETS['noop_100k']:.0f} s: "
            f"{noop:.2f} s, {verdict(noop < TARGETS['noop_100k'])}"
        )
        lines.append(
            f"* one changed seed over 100k seeds under {TARGETS['one_100k']:.0f} s end to end: "
            f"{one:.2f} s, {verdict(one < TARGETS['one_100k'])}"
        )
    peak = max(r.main_mb for r in results.values())
    lines.append(
        f"* peak RSS under {TARGETS['rss_mb']:.0f} MB: {peak:.0f} MB (main process), "
        f"{verdict(peak < TARGETS['rss_mb'])}"
    )
    if quick:
        lines += ["", "(--quick: one run, news-full only.)"]
    lines += [
        "",
        "The 100k corpus is news-full plus copies of its seeds with their own URLs and varied "
        "titles, whose related entries point to the matching copies of the seeds and stubs "
        "they cite (bench_index.py scale_up()).",
        "",
        "Raw runs (s): " + "; ".join(f"{name}: {r.raw()}" for name, r in results.items()) + ".",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", metavar="DIR", help="folder with news-full.tar.gz")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 run, news-full only, no profile")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    args = parser.parse_args(argv)
    corpus = find_corpus(args.corpus)
    if corpus is None:
        where = args.corpus or REPO.parent / "shared" / "corpus"
        print(
            f"bench_index: the benchmark needs the shared news corpus (../shared/corpus next to "
            f"the repository, with news-full.tar.gz); not found at {where}. Pass --corpus DIR. "
            "No results written."
        )
        return 0
    compile_package()
    runs = args.runs or (1 if args.quick else 3)
    full = extract(corpus, "news-full")
    results: dict[str, Result] = {}
    print(f"news-full: {runs} run(s)", flush=True)
    results["news-full"] = measure(full, DATA / "index-full-bench", runs, one_change=False)
    if not args.quick:
        scaled = ensure_scaled(full)
        print(f"news-100k: {runs} run(s)", flush=True)
        results["news-100k"] = measure(scaled, DATA / "index-100k", runs, one_change=True)
    replace_section(RESULTS, "Indexing", report(results, args.quick))
    if not (args.quick or args.no_profile):
        print("profiling a full build of news-full ...", flush=True)
        replace_section(RESULTS, "Indexing profile", profile_build(full, DATA / "index-profile"))
        shutil.rmtree(DATA / "index-profile", ignore_errors=True)
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
