"""The scan of a build told which paths changed (a watcher's batch): the files the manifest
lists, with only the paths named stat-ed again, instead of a walk of the whole folder.

It stands in for a walk only when it finds what a walk would: every path named is a regular
seed file or gone (a folder or a link named means a walk), and the manifest lists no seed it
could not read (those are read again by a walk). The watcher follows every burst with a build
that scans the whole folder (a walk, or stamped.py's stat of every known file), so a path
the events missed is caught then.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Collection
from pathlib import Path
from stat import S_ISREG

import numpy as np

from .. import manifest as mf
from .._scan_worker import Found
from ..documents import SEED_SUFFIXES
from ..scan import FileList, Scan, path_key

# More changed paths than this: a walk costs about the same, and is sure.
MAX_HINTED = 2_000

_ENCODING = ("utf-8", "surrogateescape")


def hinted_scan(seeds_root: Path, old: mf.Manifest, changed: Collection[str]) -> Scan | None:
    """What a walk of `seeds_root` would find, given that only `changed` (paths relative to
    it) differ from what `old` lists; None when this cannot stand in for a walk."""
    if not changed or len(changed) > MAX_HINTED or old.seeds.failed():
        return None
    stats: dict[str, tuple[int, int] | None] = {}
    folders: dict[str, bool] = {}  # folder -> it is a link (a walk does not enter those)
    for rel in changed:
        parts = rel.split("/")
        if any(not p or p.startswith(".") for p in parts):
            return None
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in folders:
                folders[folder] = os.path.islink(seeds_root / folder)
            if folders[folder]:
                return None
        try:
            st = os.lstat(seeds_root / rel)
        except FileNotFoundError:
            stats[rel] = None
            continue
        except OSError:
            return None  # unreadable: a walk says why
        if not S_ISREG(st.st_mode):
            return None  # a folder, a link: a walk follows the rules for them
        if not rel.lower().endswith(SEED_SUFFIXES):
            continue
        stats[rel] = (st.st_mtime_ns, st.st_size)
    columns = old.seeds.columns()
    keep = np.ones(len(columns), dtype=bool)
    if stats:
        keys = np.frombuffer(b"".join(path_key(p) for p in stats), dtype="<u8").reshape(-1, 2)
        rows = columns.rows_of(keys)
        for rel, row in zip(stats, rows.tolist(), strict=True):
            if row >= 0 and columns.path(row) == rel:
                keep[row] = False
    # The kept files as views of the manifest's buffer of paths, in the order
    # of their paths there; the paths named, stat-ed again, after them.
    kept = np.flatnonzero(keep)
    kept = kept[np.argsort(columns.starts[kept], kind="stable")]
    paths = mf.path_views(columns.path_buffer(), columns.starts[kept], columns.ends[kept])
    mtimes = array("q", columns.mtimes[kept].astype("<i8").tobytes())
    sizes = array("q", columns.sizes[kept].astype("<i8").tobytes())
    key_bytes = bytearray(columns.keys[kept].astype("<u8").tobytes())
    named = Found()
    for rel, stat in stats.items():
        if stat is None:
            continue
        named.blob += rel.encode(*_ENCODING)
        named.offsets.append(len(named.blob))
        mtimes.append(stat[0])
        sizes.append(stat[1])
        key_bytes += path_key(rel)
    paths.append((memoryview(named.blob), named.offsets))
    return Scan(FileList.of_columns(paths, mtimes, sizes, memoryview(key_bytes)))
