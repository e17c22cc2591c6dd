"""What every stage of one build shares, and how it turns into the build's report."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import manifest as mf
from ..errors import IndexDamagedError
from ..records import IndexDocument
from ..reports import Duplicate, IndexReport, ProgressCallback, SeedIssue
from ..scan import Scan
from .options import BuildOptions

# What an incremental build rewrote: {document id: the document, or None when deleted}.
WritesCallback = Callable[[Mapping[str, IndexDocument | None]], None]

# Bytes of index a build writes per byte of seed text it reads: 1.0 on news-100k, 1.7 on
# news-full, 5.3 on the test fixtures (many related stubs per seed). Only for the estimate a
# full-disk error gives.
INDEX_BYTES_PER_SEED_BYTE = 2
# A new segment's files are written, then copied into one compound file: at the peak, a build
# holds its new segment twice.
SEGMENT_PEAK = 2


@dataclass
class SpaceNeeded:
    """What a build expects to write, in bytes, once it knows (None before): the estimate a
    full-disk error gives."""

    bytes: int | None = None

    def get(self) -> int | None:
        return self.bytes


@dataclass
class Context:
    """One build: where, since when, what it says along the way, and how it runs."""

    root: Path  # the index folder
    seeds_root: Path
    started: float  # time.perf_counter() at the start
    notes: list[str]
    report: ProgressCallback
    fingerprint: str  # manifest.scan_fingerprint() of the folder
    options: BuildOptions
    found: Scan  # the scan of the seeds folder
    space: SpaceNeeded = field(default_factory=SpaceNeeded)
    folders: dict[str, int] | None = None  # freshness.folder_stamps(), when taken
    stamped_at: int | None = None  # when the walk that took them began (Scan.stamped_at)
    # Told the documents an incremental build rewrote, once committed (build_index).
    on_writes: WritesCallback | None = None


@dataclass
class Counts:
    """Seed files added, updated, renamed, removed and unchanged by a build (tally.py)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    renamed: int = 0


def rebuilt_note(exc: IndexDamagedError) -> str:
    """The note of a build that replaced a damaged index."""
    return f"the index was damaged ({exc.where} {exc.what}); rebuilt it from scratch"


def warning_notes(path: str, warnings: tuple[str, ...]) -> list[str]:
    """The notes of a seed that was indexed without some of its parts (Seed.warnings)."""
    return [f"{path}: {warning}" for warning in warnings]


def link_notes(found: Scan) -> list[str]:
    """What a build says about the links in the seeds folder (notes: not errors)."""
    notes = []
    if found.outside:
        one = len(found.outside) == 1
        notes.append(
            f"{_count(found.outside, 'seed file')} {'is a link' if one else 'are links'} to "
            f"{'a file' if one else 'files'} outside the seeds folder, indexed from there: "
            f"{_listed(found.outside)}"
        )
    if found.folder_links:
        one = len(found.folder_links) == 1
        notes.append(
            f"{_count(found.folder_links, 'link')} to {'a folder was' if one else 'folders were'}"
            f" not followed (a folder link could loop): {_listed(found.folder_links)}; move the "
            "folder in, or link its files one by one"
        )
    return notes


def _count(links: dict[str, str], what: str) -> str:
    return f"{len(links)} {what}{'' if len(links) == 1 else 's'}"


def _listed(links: dict[str, str], shown: int = 3) -> str:
    pairs = sorted(links.items())
    named = ", ".join(f"{path} -> {target}" for path, target in pairs[:shown])
    return named + (f", and {len(pairs) - shown} more" if len(pairs) > shown else "")


def with_columns(old: mf.Manifest, notes: list[str]) -> mf.Manifest | None:
    """`old` with its seed columns read; None, with a note (the index is rebuilt from
    scratch), when they cannot be."""
    try:
        old.seeds.load()
    except IndexDamagedError as exc:
        if rebuilt_note(exc) not in notes:
            notes.append(rebuilt_note(exc))
        return None
    return old


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
    old: mf.Manifest | None,
) -> IndexReport:
    """The report of a build: its counts, and the seeds that are not indexed as they are on
    disk (from the manifest, and what the scan could not read), with the index's documents,
    articles and stubs. A problem the manifest `old` already held, for the same content and
    the same reason, is marked as not new."""
    before = {path: (status, error) for path, status, error, _ in old.seeds.issues()} if old else {}
    errors, stale, dups = [], [], []
    for path, status, error, identity in sorted(manifest.seeds.issues()):
        known = before.get(path) == (status, error) and _same_content(old, manifest, path)
        if status in (mf.INVALID, mf.STALE):
            errors.append(SeedIssue(path, error or "cannot be parsed", new=not known))
            if status == mf.STALE:
                stale.append(path)
        elif status == mf.DUPLICATE:
            dups.append(Duplicate(path, error or "", identity or "", new=not known))
    listed = {issue.path for issue in errors}
    errors += [SeedIssue(p, why) for p, why in ctx.found.problems.items() if p not in listed]
    errors.sort(key=lambda issue: issue.path)
    files = ctx.found.files
    # The files found, and those the scan knows of but could not read (or follow).
    found = len(files) + sum(1 for issue in errors if issue.path not in files)
    return IndexReport(
        added=counts.added,
        updated=counts.updated,
        renamed=counts.renamed,
        removed=counts.removed,
        unchanged=counts.unchanged,
        seed_files=found,
        documents=documents[0],
        articles=documents[1],
        related=documents[2],
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


def _same_content(old: mf.Manifest | None, new: mf.Manifest, path: str) -> bool:
    """Whether `path` has the same content hash in both manifests (the same object: yes)."""
    if old is None:
        return False
    if old is new:
        return True
    before, after = old.seeds.get(path), new.seeds.get(path)
    return before is not None and after is not None and before.digest == after.digest
