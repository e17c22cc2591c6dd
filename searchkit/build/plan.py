"""What a full build holds, decided from every seed file's outcome in path order.

The first file with an identity holds its article; later files with the same identity are
duplicates; related entries whose key is no article's identity become stubs, made from the
entry of their first citing seed and holding the union of their citers' topics
(docs/DOCUMENTS.md).
A full build shared between processes (full.py, worker.py) reads its files in parts; each
process decides the same plan from the same outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..documents import RelatedEntry
from ..loader import Loaded, SeedFile, read_seed
from ..records import article_document, stub_document, to_fields
from ..whoosh_seam.writing import next_docnum

MAIN, WORKER = 0, 1  # the processes of a shared full build, and the segments they write


@dataclass(frozen=True, slots=True)
class Outcome:
    """One seed file after a build read it: its state for the manifest, and what duplicates
    and stubs are decided from."""

    file: SeedFile
    digest: str
    error: str | None = None  # why the seed is invalid; None when it parsed
    identity: str | None = None  # the article's id; None when invalid
    topics: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()  # the document ids of its related entries, in seed order
    entries: tuple[RelatedEntry, ...] = ()  # those entries, if this process read the seed
    docnum: int | None = None  # the article's number in its segment; None if not indexed
    part: int = MAIN  # the process that read it, and the segment its article went to
    failed: bool = False  # the file could not be read (Loaded.failed)
    warnings: tuple[str, ...] = ()  # what the seed's parse left out (Seed.warnings)

    def row(self) -> tuple[Any, ...]:
        """What the other process needs of it (plain values: cheap to pickle)."""
        return (
            self.digest,
            self.error,
            self.identity,
            self.topics,
            self.keys,
            self.docnum,
            self.failed,
            self.warnings,
        )

    @classmethod
    def from_row(cls, file: SeedFile, row: tuple[Any, ...], part: int) -> Outcome:
        digest, error, identity, topics, keys, docnum, failed, warnings = row
        return cls(file, digest, error, identity, topics, keys, (), docnum, part, failed, warnings)


def outcome_of(loaded: Loaded, docnum: int | None = None, part: int = MAIN) -> Outcome:
    seed = loaded.seed
    if seed is None:
        error = loaded.error or "cannot be parsed"
        return Outcome(loaded.file, loaded.digest, error=error, failed=loaded.failed)
    return Outcome(
        loaded.file,
        loaded.digest,
        identity=seed.identity,
        topics=seed.topics,
        keys=seed.related_keys(),
        entries=seed.related,
        docnum=docnum,
        part=part,
        warnings=seed.warnings,
    )


@dataclass(frozen=True, slots=True)
class Stub:
    key: str
    topics: tuple[str, ...]  # the citing articles' topics, in path order
    part: int  # the process that read the first citing seed (in path order) ...
    entry: RelatedEntry | None  # ... and its entry, which the stub is made of (if read here)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a full build holds, decided from every file's outcome in path order: the first
    file with an identity holds its article; related entries that are no article are stubs."""

    outcomes: list[Outcome]
    articles: dict[str, str]  # identity -> path of the file that holds the article
    duplicates: list[Outcome]  # files whose identity an earlier file holds
    stubs: list[Stub]


def make_plan(outcomes: list[Outcome]) -> Plan:
    articles: dict[str, str] = {}
    duplicates: list[Outcome] = []
    first: dict[str, tuple[int, RelatedEntry | None]] = {}
    topics: dict[str, list[str]] = {}
    for outcome in outcomes:
        identity = outcome.identity
        if identity is None:
            continue
        if identity in articles:
            duplicates.append(outcome)
            continue
        articles[identity] = outcome.file.path
        entries = outcome.entries
        for i, key in enumerate(outcome.keys):
            if key not in first:
                first[key] = (outcome.part, entries[i] if entries else None)
            topics.setdefault(key, []).extend(outcome.topics)
    stubs = [
        Stub(key, tuple(topics[key]), part, entry)
        for key, (part, entry) in first.items()
        if key not in articles
    ]
    return Plan(outcomes, articles, duplicates, stubs)


def index_chunk(
    writer: Any, root: str, files: Iterable[SeedFile], part: int, seen: set[str] | None = None
) -> list[Outcome]:
    """Read each file and add the article of every one that parses to `writer`, except those
    whose identity is in `seen` (the identities indexed so far, for a caller that reads
    files in path order; it adds the new ones)."""
    outcomes = []
    for file in files:
        loaded = read_seed(root, file)
        seed = loaded.seed
        docnum = None
        if seed is not None and (seen is None or seed.identity not in seen):
            docnum = next_docnum(writer)
            writer.add_document(**to_fields(article_document(seed)))
            if seen is not None:
                seen.add(seed.identity)
        outcomes.append(outcome_of(loaded, docnum, part))
    return outcomes


def add_stub(writer: Any, stub: Stub, entry: RelatedEntry | None = None) -> None:
    entry = entry or stub.entry
    assert entry is not None, stub.key
    writer.add_document(**to_fields(stub_document(stub.key, entry, stub.topics)))
