"""The counts of a build's report, from the seed states before and after it.

Every seed file the scan found is counted exactly once: indexed as it is on disk (added,
updated, renamed or unchanged), or not indexed (an error, or a duplicate). `removed` counts
indexed seeds no longer found. So, for every build:

    added + updated + renamed + unchanged + len(errors) + len(duplicates) == seed files found

- added: newly indexed (new, or not indexed before: invalid, or a duplicate).
- updated: indexed before, and its content changed (a stale seed fixed is updated).
- renamed: an added file whose content is that of a removed one (the pair counts once).
- unchanged: indexed before and after, the same content.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import manifest as mf
from ..scan import FileList
from .context import Counts

INDEXED = (mf.OK, mf.STALE)  # a version of the seed is in the index


def classify(old: mf.SeedState | None, new: mf.SeedState) -> str | None:
    """ "added", "updated" or "unchanged" for a seed indexed as it is now; None for a seed
    that is not (an error or a duplicate)."""
    if new.status != mf.OK:
        return None
    if old is None or old.status not in INDEXED:
        return "added"
    if old.status == mf.STALE or old.digest != new.digest:
        return "updated"
    return "unchanged"


def tally_incremental(
    old: mf.SeedStates,
    new: mf.SeedStates,
    files: FileList,
    touched: Iterable[str],
    gone: Iterable[str],
) -> Counts:
    """The counts of an incremental build: `touched` are the files it read (or whose mtime
    or size changed), `gone` the paths it removed from the manifest. Only the touched files
    and the unusual states (before and after) are looked at: every other file was indexed,
    and still is, with the same content."""
    counts = Counts()
    looked = set(touched)
    looked.update(p for p, *_ in old.issues())
    looked.update(p for p, *_ in new.issues())
    seen = 0
    added: list[str] = []
    for path in looked:
        if path not in files:
            continue
        seen += 1
        kind = classify(old.get(path), new[path])
        if kind == "added":
            added.append(path)
        elif kind == "updated":
            counts.updated += 1
        elif kind == "unchanged":
            counts.unchanged += 1
    counts.unchanged += len(files) - seen
    removed = [old[p].digest for p in gone if p in old and old[p].status in INDEXED]
    counts.removed = len(removed)
    _pair_renames(counts, [new[p].digest for p in added], removed)
    return counts


def tally_full(columns: mf.Columns, indexed: Any, old: mf.Manifest | None) -> Counts:
    """The counts of a full build whose files (in `columns`, with their digests) are indexed
    where `indexed` (a bool array) is true, against the index it replaces (`old`)."""
    counts = Counts()
    if old is None:
        counts.added = int(indexed.sum())
        return counts
    before = old.seeds.columns()
    # Each old row: was a version of it indexed, and was it stale?
    was_indexed = np.ones(len(before), dtype=bool)
    was_stale = np.zeros(len(before), dtype=bool)
    for path, status, _error, _identity in old.seeds.issues():
        row = _row_of(before, path)
        if row is not None:
            was_indexed[row] = status in INDEXED
            was_stale[row] = status == mf.STALE
    rows = before.rows_of(columns.keys)
    known = rows >= 0
    prior = np.zeros(len(rows), dtype=bool)  # indexed before, under this path
    prior[known] = was_indexed[rows[known]]
    stale = np.zeros(len(rows), dtype=bool)
    stale[known] = was_stale[rows[known]]
    same = np.zeros(len(rows), dtype=bool)
    same[known] = (before.digests[rows[known]] == columns.digests[known]).all(axis=1)
    added = indexed & ~prior
    counts.updated = int((indexed & prior & (stale | ~same)).sum())
    counts.unchanged = int((indexed & prior & ~stale & same).sum())
    still = np.zeros(len(before), dtype=bool)
    still[rows[known]] = True
    gone = np.flatnonzero(was_indexed & ~still)
    counts.removed = len(gone)
    _pair_renames(
        counts,
        [bytes(d) for d in columns.digests[np.flatnonzero(added)]],
        [bytes(d) for d in before.digests[gone]],
    )
    return counts


def _row_of(columns: mf.Columns, path: str) -> int | None:
    from ..scan import path_key

    key = np.frombuffer(path_key(path), dtype="<u8").reshape(1, 2)
    row = int(columns.rows_of(key)[0])
    return row if row >= 0 and columns.path(row) == path else None


def _pair_renames(counts: Counts, added: list[Any], removed: list[Any]) -> None:
    """Set `added`, `renamed` and `removed`: an added file with the content of a removed
    one is a rename (each removed file pairs with one added file at most)."""
    pool = Counter(d for d in removed if d)
    renamed = 0
    for digest in added:
        if digest and pool[digest] > 0:
            pool[digest] -= 1
            renamed += 1
    counts.added = len(added) - renamed
    counts.renamed = renamed
    counts.removed = len(removed) - renamed
