"""What a build reports: plain values shared by the indexer, the CLI and the REPL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SeedIssue:
    """A seed file that could not be indexed as it is on disk."""

    path: str
    error: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A seed file not indexed because another file has the same identity and sorts first."""

    path: str
    of: str
    identity: str


@dataclass(frozen=True, slots=True)
class BuildProgress:
    """Where a build is: `phase` is "scan", "parse", "stubs" or "commit"; `total` 0 if unknown."""

    phase: str
    done: int = 0
    total: int = 0


ProgressCallback = Callable[[BuildProgress], None]


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What a build did (counts of seed files) and what the index holds afterwards."""

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

    @property
    def ok(self) -> bool:
        """True when every seed file is indexed as it is on disk."""
        return not self.errors and not self.duplicates

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "documents": self.documents,
            "articles": self.articles,
            "related": self.related,
            "errors": [{"path": e.path, "error": e.error} for e in self.errors],
            "stale": list(self.stale),
            "duplicates": [{"path": d.path, "of": d.of} for d in self.duplicates],
            "seconds": round(self.seconds, 3),
            "full": self.full,
            "dry_run": self.dry_run,
            "changed": self.changed,
            "seeds_dir": self.seeds_dir,
            "index_dir": self.index_dir,
            "notes": list(self.notes),
        }
