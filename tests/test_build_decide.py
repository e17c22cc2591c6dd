"""The duplicates and stubs a full build decides from the compact rows of its processes
(build/decide.py) are the ones the rules of docs/DOCUMENTS.md give, read in path order: for
any seeds, spread over any number of processes in any claim order."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from index_helpers import related, seed_text

from searchkit.build.decide import DUPLICATE_STATUS, decide
from searchkit.build.rows import FAILED, INVALID, NO_ENTRY, OK, EntryReader, Spill, key_of
from searchkit.build.share import Share
from searchkit.build.table import FileTable, write_table
from searchkit.documents import parse_seed_bytes
from searchkit.loader import Loaded, SeedFile, digest_bytes
from searchkit.records import merge_topics

URLS = [f"https://example.com/{i}" for i in range(6)]
TOPICS = ["Alpha", "beta", "BETA", "Gamma"]

seeds = st.lists(
    st.tuples(
        st.sampled_from(["ok", "ok", "ok", "invalid", "failed"]),
        st.sampled_from(URLS),
        st.lists(st.sampled_from(TOPICS), max_size=3),
        st.lists(st.sampled_from(URLS), max_size=4),  # related entries, by URL
    ),
    min_size=1,
    max_size=24,
)


def _loaded(i: int, kind: str, url: str, topics: list[str], cites: list[str]) -> Loaded:
    file = SeedFile(f"{i:03d}.md", 0, 0)
    if kind == "failed":
        return Loaded(file, "", error="cannot read the file", failed=True)
    if kind == "invalid":
        return Loaded(file, digest_bytes(b"x"), error="cannot be parsed")
    entries = [related(f"Entry {i}.{j}", u) for j, u in enumerate(cites)]
    data = seed_text(f"Seed {i}", url, topics=topics, related=entries).encode()
    return Loaded(file, digest_bytes(data), seed=parse_seed_bytes(file.path, data))


def _expected(loads: list[Loaded]):
    """What the rules say, read in path order."""
    articles: dict[str, int] = {}
    duplicates: dict[int, int] = {}
    first: dict[str, tuple[int, object]] = {}
    topics: dict[str, list[str]] = {}
    for i, loaded in enumerate(loads):
        seed = loaded.seed
        if seed is None:
            continue
        if seed.identity in articles:
            duplicates[i] = articles[seed.identity]
            continue
        articles[seed.identity] = i
        for key, entry in zip(seed.related_keys(), seed.related, strict=True):
            first.setdefault(key, (i, entry))
            topics.setdefault(key, []).extend(seed.topics)
    stubs = {
        key: (i, entry, merge_topics(topics[key]))
        for key, (i, entry) in first.items()
        if key not in articles
    }
    return articles, duplicates, stubs


@settings(max_examples=150, deadline=None)
@given(seeds, st.integers(1, 4), st.integers(1, 5), st.randoms(use_true_random=False))
def test_decisions_from_rows_follow_the_rules(specs, processes, chunk, rng) -> None:
    loads = [_loaded(i, *spec) for i, spec in enumerate(specs)]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as closing:
        folder = Path(tmp)
        paths = [x.file.path.encode() for x in loads]
        offsets = np.cumsum([0] + [len(p) for p in paths])
        zeros = np.zeros(len(paths), dtype=np.int64)
        write_table(folder / "files", b"".join(paths), offsets, zeros, zeros)
        table = FileTable(folder / "files")
        spills = {p: folder / f"spill-{p}" for p in range(processes)}
        shares = [Share(None, tmp, table, chunk, p, Spill(spills[p])) for p in range(processes)]
        for share in shares:
            closing.callback(share.spill.close)
        # Chunks go to processes in any order; each process reads its own in path order.
        for k in range((len(loads) + chunk - 1) // chunk):
            share = rng.choice(shares)
            for number in range(k * chunk, min((k + 1) * chunk, len(loads))):
                share.record(number, loads[number])
        for share in shares:
            share.spill.close()
        # Documents numbered as an indexing process would number them.
        for share in shares:
            for row in range(len(share.rows)):
                if share.rows.status[row] == OK:
                    share.rows.docnums[row] = row
        decision = decide([s.rows for s in shares], len(loads))
        articles, duplicates, stubs = _expected(loads)

        for i, loaded in enumerate(loads):
            status = int(decision.status[i])
            if loaded.seed is None:
                assert status == (FAILED if loaded.failed else INVALID)
            elif i in duplicates:
                assert status == DUPLICATE_STATUS
                assert int(decision.winner[i]) == duplicates[i]
            else:
                assert status == OK
        assert decision.articles == len(articles)
        where = {(s.part, row): s.rows.files[row] for s in shares for row in range(len(s.rows))}
        assert sorted(where[d] for d in decision.deletions) == sorted(duplicates)

        entries = EntryReader(spills)
        closing.callback(entries.close)
        got = {}
        for key, topics, part, offset, file in decision.stubs.orders():
            if offset == NO_ENTRY:
                seed = loads[file].seed
                assert seed is not None
                (text, entry), *_ = [
                    (k, e)
                    for k, e in zip(seed.related_keys(), seed.related, strict=True)
                    if key_of(k) == key
                ]
            else:
                text, entry = entries.read(part, offset)
            assert key_of(text) == key
            got[text] = (file, entry, merge_topics(topics))
        # Any subset of the stubs, taken apart, gives the same orders.
        every = list(decision.stubs.orders())
        odd = decision.stubs.take(np.arange(1, len(decision.stubs), 2))
        assert list(odd.orders()) == every[1::2]
        assert got == stubs
