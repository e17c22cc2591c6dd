"""What every stage of one build shares, and how it turns into the build's report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .. import manifest as mf
from ..loader import Loaded
from ..reports import Duplicate, IndexReport, ProgressCallback, SeedIssue
from .options import BuildOptions
from .plan import Outcome


@dataclass
class Context:
    """One build: where, since when, what it says along the way, and how it runs."""

    root: Path  # the index folder
    seeds_root: Path
    started: float  # time.perf_counter() at the start
    notes: list[str]
    report: ProgressCallback
    scan: str  # manifest.scan_fingerprint() of the folder
    options: BuildOptions


@dataclass
class Counts:
    """Seed files added, updated, removed and unchanged by a build."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    def count(self, old: mf.SeedState | None, digest: str) -> None:
        """Count a file read by this build, against its state before (None: new)."""
        if old is None:
            self.added += 1
        elif old.digest != digest:
            self.updated += 1
        else:
            self.unchanged += 1


def seed_state(
    read: Loaded | Outcome, status: str, error: str | None = None, identity: str | None = None
) -> mf.SeedState:
    """The manifest state of a file a build read."""
    f = read.file
    return mf.SeedState(f.mtime_ns, f.size, read.digest, status, error, identity)


def stamp(manifest: mf.Manifest) -> None:
    """Mark a manifest as built now."""
    manifest.built_at = time.time()


def make_report(
    ctx: Context,
    manifest: mf.Manifest,
    counts: Counts,
    *,
    full: bool,
    dry_run: bool,
    changed: bool,
    documents: tuple[int, int, int],
) -> IndexReport:
    """The report of a build: its counts, and the seeds that are not indexed as they are on
    disk (from the manifest), with the index's documents, articles and stubs."""
    errors, stale, dups = [], [], []
    for path, status, error, identity in sorted(manifest.seeds.issues()):
        if status in (mf.INVALID, mf.STALE):
            errors.append(SeedIssue(path, error or "cannot be parsed"))
            if status == mf.STALE:
                stale.append(path)
        elif status == mf.DUPLICATE:
            dups.append(Duplicate(path, error or "", identity or ""))
    return IndexReport(
        added=counts.added,
        updated=counts.updated,
        removed=counts.removed,
        unchanged=counts.unchanged,
        documents=documents[0],
        articles=documents[1],
        stubs=documents[2],
        errors=tuple(errors),
        stale=tuple(stale),
        duplicates=tuple(dups),
        seconds=time.perf_counter() - ctx.started,
        full=full,
        dry_run=dry_run,
        changed=changed,
        seeds_dir=str(ctx.seeds_root),
        index_dir=str(ctx.root),
        notes=tuple(ctx.notes),
    )
