"""What a build reports: plain values shared by the indexer, the CLI and the REPL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SeedIssue:
    """A seed file that could not be indexed as it is on disk. `new`: the last build did not
    report it (for this content and this reason)."""

    path: str
    error: str
    new: bool = field(default=True, compare=False)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A seed file not indexed because another file has the same identity and sorts first.
    `new`: the last build did not report it."""

    path: str
    of: str
    identity: str
    new: bool = field(default=True, compare=False)


@dataclass(frozen=True, slots=True)
class BuildProgress:
    """Where a build is: `phase` is "scan", "parse", "stubs" or "commit"; `total` 0 if unknown."""

    phase: str
    done: int = 0
    total: int = 0


ProgressCallback = Callable[[BuildProgress], None]


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What a build did (counts of seed files) and what the index holds afterwards.

    Every seed file found is counted once: `added + updated + renamed + unchanged +
    len(errors) + len(duplicates) == seed_files`. `removed` counts indexed seeds no longer
    found; `renamed`, a file found under a new path with the content of a removed one.
    `errors` are every seed file that could not be indexed (`stale`: those whose last good
    version stays in the index); `duplicates`, files whose identity an earlier file holds."""

    added: int
    updated: int
    removed: int
    unchanged: int
    documents: int
    articles: int
    related: int  # related documents: the stubs of the pages articles cite
    errors: tuple[SeedIssue, ...] = ()
    stale: tuple[str, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    seconds: float = 0.0
    full: bool = False
    dry_run: bool = False
    changed: bool = False
    seeds_dir: str = ""
    index_dir: str = ""
    notes: tuple[str, ...] = ()
    renamed: int = 0
    seed_files: int = 0

    @property
    def ok(self) -> bool:
        """True when every seed file is indexed as it is on disk."""
        return not self.errors and not self.duplicates

    @property
    def up_to_date(self) -> bool:
        """True when the build changed nothing and every seed file is indexed as it is."""
        return self.ok and not (self.added or self.updated or self.renamed or self.removed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "renamed": self.renamed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "seed_files": self.seed_files,
            "documents": self.documents,
            "articles": self.articles,
            "related": self.related,
            "errors": [{"path": e.path, "error": e.error, "new": e.new} for e in self.errors],
            "stale": list(self.stale),
            "duplicates": [{"path": d.path, "of": d.of, "new": d.new} for d in self.duplicates],
            "seconds": round(self.seconds, 3),
            "full": self.full,
            "dry_run": self.dry_run,
            "changed": self.changed,
            "seeds_dir": self.seeds_dir,
            "index_dir": self.index_dir,
            "notes": list(self.notes),
        }
