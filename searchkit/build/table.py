"""The seed files of a full build, in path order, in one file that every process of the build
reads: their paths, mtimes and sizes, numbered from 0.

A million SeedFile objects cost about as much memory as the rest of a process, and sending
them to each worker costs a pickle of tens of megabytes. The table is written once; a process
keeps its numeric columns (24 bytes a file) and reads the paths of the files it works on,
a chunk at a time.
"""

from __future__ import annotations

import struct
import sys
from array import array
from pathlib import Path
from typing import Any

from ..loader import SeedFile

_COUNT = struct.Struct("<q")


def _ints(values: Any) -> bytes:
    """64-bit little-endian numbers, from an array of them."""
    import numpy as np

    return np.ascontiguousarray(values, dtype="<i8").tobytes()


def _read_ints(data: bytes) -> array[int]:
    packed = array("q")
    packed.frombytes(data)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed


def write_table(
    path: Path, blob: bytes | memoryview, offsets: Any, mtimes: Any, sizes: Any
) -> None:
    """Write a table of the files whose paths are `blob` (UTF-8, cut at `offsets`), with
    their mtimes and sizes (arrays of 64-bit numbers), in that order, at `path`."""
    count = len(mtimes)
    with open(path, "wb") as fh:
        fh.write(_COUNT.pack(count))
        for column in (offsets, mtimes, sizes):
            fh.write(_ints(column))
        fh.write(blob)


class FileTable:
    """A table written by write_table: files by number."""

    def __init__(self, path: Path) -> None:
        self._path = path
        with open(path, "rb") as fh:
            (count,) = _COUNT.unpack(fh.read(_COUNT.size))
            self._offsets = _read_ints(fh.read(8 * (count + 1)))
            self._mtimes = _read_ints(fh.read(8 * count))
            self._sizes = _read_ints(fh.read(8 * count))
            self._blob_at = fh.tell()
        self._count = int(count)

    def __len__(self) -> int:
        return self._count

    def files(self, start: int, end: int) -> list[SeedFile]:
        """The files numbered start to end - 1."""
        offsets = self._offsets
        with open(self._path, "rb") as fh:
            fh.seek(self._blob_at + offsets[start])
            blob = fh.read(offsets[end] - offsets[start])
        base = offsets[start]
        return [
            SeedFile(
                blob[offsets[i] - base : offsets[i + 1] - base].decode("utf-8", "surrogateescape"),
                self._mtimes[i],
                self._sizes[i],
            )
            for i in range(start, end)
        ]
