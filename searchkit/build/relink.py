"""An index pointed at another seeds folder: relinked when its folder moved there.

When the folder the index was built from is gone and the other holds the same seed files (the
same paths, sizes and content hashes), the index is relinked to it (its manifest names the new
folder) and the build goes on as usual: no full rebuild. Otherwise SeedsMismatchError.
"""

from __future__ import annotations

from pathlib import Path

from .. import manifest as mf
from ..errors import SeedsMismatchError
from ..loader import digest_bytes
from ..scan import scan_seeds


def relink(
    root: Path,
    old: mf.Manifest,
    store: Path,
    seeds_root: Path,
    notes: list[str],
    *,
    dry_run: bool,
) -> None:
    """Point the index (manifest `old` of `store`) at `seeds_root`, or raise
    SeedsMismatchError; a note says it was relinked."""
    indexed = Path(old.seeds_dir)
    if indexed.exists():
        raise SeedsMismatchError(str(root), old.seeds_dir, str(seeds_root))
    differing = _differing(old, seeds_root)
    if differing:
        raise SeedsMismatchError(str(root), old.seeds_dir, str(seeds_root), differing=differing)
    old.seeds_dir = str(seeds_root)
    if not dry_run:
        mf.write_manifest(store, old)  # same generation: only the folder's name changed
    notes.append(
        f"{indexed} is gone and {seeds_root} holds the same seed files: the index follows it"
    )


def _differing(old: mf.Manifest, seeds_root: Path) -> int:
    """How many seed files are not the same in both (by path, size, then content hash)."""
    files = scan_seeds(seeds_root).files
    old.seeds.load()
    known = set(old.seeds)
    differing = len(known.symmetric_difference(files.keys()))
    for path in known.intersection(files.keys()):
        state = old.seeds[path]
        if state.size != files[path][1]:
            differing += 1
            continue
        try:
            digest = digest_bytes((seeds_root / path).read_bytes())
        except OSError:
            differing += 1
            continue
        if digest != state.digest:
            differing += 1
    return differing
