"""Whether an index is in step with its seeds folder, checked without building: what
`searchkit search` says before it serves a stale index, and SearchIndex.freshness().

Up to FILES_CHECK_MAX seed files, the folder is scanned as a build scans it (every file
stat-ed, about 50 ms for 20,000 files) and compared with the scan the last build recorded, so
every change is seen, in-place edits included. Above, only the mtimes of the folders are
compared with those recorded before the last build's scan: they catch added, removed and
renamed files, and editors that save by writing a new file and renaming it over the old one,
but not a file rewritten in place (its folder's mtime does not change).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import manifest as mf
from . import store as st

FILES_CHECK_MAX = 20_000


@dataclass(frozen=True, slots=True)
class Freshness:
    """Is the index in step with its seeds folder?

    `fresh`: nothing changed that the check can see. `missing`: the seeds folder is not
    there (then `fresh` is False). `method`: "files" (every file compared) or "folders"
    (folder mtimes only: in-place edits are not seen). `built_at`: when the index last
    changed (UTC)."""

    fresh: bool
    seeds_dir: str
    index_dir: str
    method: str
    built_at: datetime | None = None
    missing: bool = False


def folder_stamps(seeds_root: Path) -> dict[str, int]:
    """The mtime (ns) of each folder of the seeds folder, by its path relative to it (""
    for the folder itself); hidden folders and links to folders are skipped, as the scan
    skips them. Empty when the folder cannot be read."""
    stamps: dict[str, int] = {}
    stack = [(str(seeds_root), "")]
    while stack:
        folder, rel = stack.pop()
        try:
            stamps[rel] = os.stat(folder).st_mtime_ns
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name[:1] != "." and entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, f"{rel}/{entry.name}" if rel else entry.name))
        except OSError:
            continue
    return stamps


def indexed_seeds_dir(index_dir: str | Path) -> Path:
    """The seeds folder the index at `index_dir` was built from (its manifest's)."""
    from .whoosh_seam.toc import latest_generation

    store = st.require_store(Path(index_dir))
    return Path(mf.read_manifest(store, latest_generation(store)).seeds_dir)


def check_freshness(index_dir: str | Path) -> Freshness:
    """Compare the seeds folder with what the last build of the index at `index_dir` found.
    Raises IndexNotFoundError when there is no index, IndexDamagedError when its manifest
    cannot be read."""
    from .whoosh_seam.toc import latest_generation

    root = Path(index_dir)
    store = st.require_store(root)
    manifest = mf.read_manifest(store, latest_generation(store))
    seeds = Path(manifest.seeds_dir)
    built = datetime.fromtimestamp(manifest.built_at, tz=UTC) if manifest.built_at else None
    large = len(manifest.seeds) > FILES_CHECK_MAX and manifest.folders is not None
    method = "folders" if large else "files"
    missing = not seeds.is_dir()
    if missing:
        fresh = False
    elif large:
        assert manifest.folders is not None
        fresh = _folders_unchanged(seeds, manifest.folders)
    else:
        fresh = _files_unchanged(seeds, manifest)
    return Freshness(fresh, str(seeds), str(root), method, built, missing)


def _folders_unchanged(seeds: Path, recorded: dict[str, int]) -> bool:
    """Every recorded folder has its recorded mtime. A folder added or removed changes the
    mtime of the folder holding it, so stat-ing the recorded ones is enough."""
    for rel, mtime in recorded.items():
        try:
            if os.stat(seeds / rel if rel else seeds).st_mtime_ns != mtime:
                return False
        except OSError:
            return False
    return True


def _files_unchanged(seeds: Path, manifest: mf.Manifest) -> bool:
    from .errors import SeedsFolderError
    from .scan import scan_seeds

    try:
        found = scan_seeds(seeds)
    except SeedsFolderError:
        return False
    # What the scan could not read is in neither fingerprint: the last build reported it.
    return mf.scan_fingerprint(found.files) == manifest.scan
