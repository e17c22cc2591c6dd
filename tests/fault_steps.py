"""Run a sequence of changes to a seeds folder, building the index after each, and check after
every build that the index lost no document whose seed is still there and readable.

Run as a script, as an unprivileged user (test_faults_sequences.py), so that chmod means what
it says: `python fault_steps.py WORK` with the steps as JSON on stdin; prints the violations
found as JSON (an empty list when the index kept its promise).

A step is [op, a, b]:

    ["add", folder, _]       a new seed (a new identity) in folder d<folder>
    ["change", seed, _]      a new title for a seed
    ["hide", seed, _]        a new title for a seed, which is then made unreadable
    ["remove", seed, _]      delete a seed file
    ["chmod", target, mode]  make a seed (target < 0: folder d<-target-1>) unreadable or not
    ["rename", seed, folder] move a seed to folder d<folder> (its identity stays)

and the build after step `fault` fails half-way (no space left on the device while it
writes its manifest or CURRENT): it must leave the index exactly as it was.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path
from typing import Any

from index_helpers import seed_text, stored_docs, write_file

import searchkit
from searchkit import manifest, store

FOLDERS = 3
MODES = {"file": (0o644, 0o000), "folder": (0o755, 0o000, 0o644)}  # readable first


class World:
    """The seeds folder as the steps made it: which seed files exist, and what they say."""

    def __init__(self, root: Path) -> None:
        self.seeds = root / "seeds"
        self.index = root / "index"
        self.files: dict[str, tuple[str, str]] = {}  # path -> (identity, title)
        self.made = 0
        for i in range(FOLDERS):
            (self.seeds / f"d{i}").mkdir(parents=True)

    def apply(self, op: str, a: int, b: int) -> None:
        paths = sorted(self.files)
        if op == "add":
            self.made += 1
            path = f"d{a % FOLDERS}/s{self.made}.md"
            self._write(path, f"https://seq.example/{self.made}", f"Seed {self.made}")
        elif op == "chmod" and a < 0:
            folder = self.seeds / f"d{(-a - 1) % FOLDERS}"
            folder.chmod(MODES["folder"][b % len(MODES["folder"])])
        elif not paths:
            return
        elif op in ("change", "hide"):
            path = paths[a % len(paths)]
            identity, title = self.files[path]
            self._write(path, identity, f"{title} changed")
            if op == "hide" and self._reachable(path):
                (self.seeds / path).chmod(MODES["file"][1])
        elif op == "remove":
            path = paths[a % len(paths)]
            if self._reachable(path):
                (self.seeds / path).unlink()
                del self.files[path]
        elif op == "chmod":
            path = paths[a % len(paths)]
            if self._reachable(path):
                (self.seeds / path).chmod(MODES["file"][b % 2])
        elif op == "rename":
            path = paths[a % len(paths)]
            target = f"d{b % FOLDERS}/{path.split('/')[1]}"
            if path != target and self._reachable(path) and self._reachable(target):
                os.rename(self.seeds / path, self.seeds / target)
                self.files[target] = self.files.pop(path)

    def _write(self, path: str, identity: str, title: str) -> None:
        if self._reachable(path) and self._readable(path, file=False):
            file = self.seeds / path
            if file.exists():
                file.chmod(0o644)  # to write it; what it says is readable again
            write_file(file, seed_text(title, identity))
            self.files[path] = (identity, title)

    def _readable(self, path: str, *, file: bool = True) -> bool:
        """Whether a build can read `path` (its folder listed and entered, and the file)."""
        folder = self.seeds / path.split("/")[0]
        if not os.access(folder, os.R_OK | os.X_OK):
            return False
        return not file or os.access(self.seeds / path, os.R_OK)

    def _reachable(self, path: str) -> bool:
        """Whether the steps may touch `path`: its folder can be entered and written."""
        return os.access(self.seeds / path.split("/")[0], os.W_OK | os.X_OK)

    def readable(self) -> dict[str, tuple[str, str]]:
        return {p: seed for p, seed in self.files.items() if self._readable(p)}


def _full_disk(*_args: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def run(root: Path, steps: list[list[Any]], fault: int) -> list[str]:
    world = World(root)
    searchkit.build_index(world.seeds, world.index)
    problems: list[str] = []
    for number, (op, a, b) in enumerate(steps):
        world.apply(op, a, b)
        before = stored_docs(world.index)
        real = store.atomic_write
        if number == fault:  # the manifest's and CURRENT's writes
            store.atomic_write = manifest.atomic_write = _full_disk
        try:
            searchkit.build_index(world.seeds, world.index, full=op == "rename" and a % 2 == 0)
            failed = False
        except searchkit.DiskFullError:
            failed = True
        except searchkit.SeedsUnreadableError:
            failed = True  # a full build that could not read some seeds keeps the index
        finally:
            store.atomic_write = manifest.atomic_write = real
        after = stored_docs(world.index)
        where = f"step {number} {op} {a} {b}"
        if failed:
            if after != before:
                problems.append(f"{where}: a failed build changed the index")
            continue
        titles = {doc_id: doc["title"] for doc_id, doc in after.items()}
        readable = world.readable()
        for path, (identity, title) in readable.items():
            if titles.get(identity) != title:
                problems.append(f"{where}: {path} ({identity}) is {titles.get(identity)!r}")
        had = {doc.get("path"): doc_id for doc_id, doc in before.items()}
        for path in world.files.keys() - readable.keys():
            if path in had and had[path] not in after:
                problems.append(f"{where}: lost {had[path]} of {path}, which cannot be read")
    return problems


if __name__ == "__main__":
    job = json.loads(sys.stdin.read())
    print(json.dumps(run(Path(sys.argv[1]), job["steps"], job["fault"])))
