"""Duplicates and stubs of a full build, decided from the rows of every process (rows.py), as
array operations: the same decisions plan.make_plan takes from whole seeds, in path order.

- The article of an identity is held by the seed that parsed with it and comes first in path
  order; any later seed with the same identity is a duplicate, and its article (indexed by
  the process that read it) is deleted.
- A related entry's key becomes a stub when no article has it as identity. The stub is made
  from the entry of its first citing article (in path order) and holds the union of its
  citing articles' topics, in path order. Duplicates cite nothing.

Keys are 128-bit, compared whole: each is taken as two 64-bit numbers, and rows with equal
keys are brought together by sorting on both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..records import merge_topics
from .rows import KEY_BYTES, NO_DOCUMENT, NO_ENTRY, OK, Rows


@dataclass(frozen=True, slots=True)
class Stubs:
    """The stubs to index, as arrays (n stubs): each one's key (n, 2), and where its entry is:
    `(part, offset)` in the spill file of process `part`, or, when offset is NO_ENTRY, in the
    seed file numbered `file` (read again). Its topics are those of its citing articles in
    path order: the topic sets `sets[ids[ptr[i]:ptr[i + 1]]]`, merged."""

    keys: Any
    part: Any
    offset: Any
    file: Any
    ptr: Any
    ids: Any
    sets: list[tuple[str, ...]]

    def __len__(self) -> int:
        return len(self.part)

    def take(self, which: Any) -> Stubs:
        """The stubs numbered `which` (an array of stub numbers), with the same sets."""
        lengths = self.ptr[which + 1] - self.ptr[which]
        ptr = np.zeros(len(which) + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        ids = self.ids[_ranges(self.ptr[which], lengths)]
        return Stubs(
            self.keys[which],
            self.part[which],
            self.offset[which],
            self.file[which],
            ptr,
            ids,
            self.sets,
        )

    def orders(self) -> Iterator[tuple[bytes, tuple[str, ...], int, int, int]]:
        """(key, topics, part, offset, file) of each stub, its topics merged."""
        sets, ptr, ids = self.sets, self.ptr.tolist(), self.ids.tolist()
        for i, (key, part, offset, file) in enumerate(
            zip(
                self.keys, self.part.tolist(), self.offset.tolist(), self.file.tolist(), strict=True
            )
        ):
            lo, hi = ptr[i], ptr[i + 1]
            if hi - lo == 1:
                topics = sets[ids[lo]]
            else:
                topics = merge_topics(t for j in ids[lo:hi] for t in sets[j])
            yield key.tobytes(), topics, part, offset, file


def _ranges(starts: Any, lengths: Any) -> Any:
    """The ranges [starts[i], starts[i] + lengths[i]), one after the other."""
    begins = np.cumsum(lengths) - lengths  # where each range begins in the result
    return np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - begins, lengths)


@dataclass(frozen=True, slots=True)
class Decision:
    """What a full build holds. Arrays are by file number (the build's file table)."""

    status: Any  # OK, INVALID or FAILED, or DUPLICATE_STATUS for a duplicate (uint8)
    winner: Any  # for a duplicate, the file number of the seed holding its article (int64)
    deletions: list[tuple[int, int]]  # (part, docnum) of duplicates' indexed articles
    stubs: Stubs
    articles: int


DUPLICATE_STATUS = 3


def _keys(data: bytearray | bytes) -> Any:
    """KEY_BYTES-byte keys as an (n, 2) array of 64-bit numbers."""
    return np.frombuffer(bytes(data), dtype="<u8").reshape(-1, KEY_BYTES // 8)


def _groups(hi: Any, lo: Any) -> Any:
    """Given rows sorted by (hi, lo): True where a row starts a new group of equal keys."""
    starts = np.ones(len(hi), dtype=bool)
    if len(hi) > 1:
        starts[1:] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
    return starts


def decide(parts: Sequence[Rows], count: int) -> Decision:
    """Decide duplicates and stubs from the rows of every process (`parts[p]` is process p's),
    for a build of `count` files."""
    # One row per file, by file number.
    files = np.concatenate([np.frombuffer(r.files, dtype=np.uint32) for r in parts])
    part_of = np.concatenate([np.full(len(r), p, dtype=np.int16) for p, r in enumerate(parts)])
    if len(files) != count or (count and not (np.bincount(files, minlength=count) == 1).all()):
        raise ValueError("the processes did not read every file exactly once")
    order = np.argsort(files, kind="stable")
    del files
    part_of = part_of[order]
    status = np.concatenate([np.frombuffer(bytes(r.status), dtype=np.uint8) for r in parts])
    status = status[order].copy()
    idents = np.concatenate([_keys(r.identities) for r in parts])[order]
    docnums = np.concatenate([np.frombuffer(r.docnums, dtype=np.int32) for r in parts])[order]

    # Articles: the first file (in path order) of each identity among the parsed seeds.
    parsed = np.flatnonzero(status == OK)
    by_key = parsed[np.lexsort((parsed, idents[parsed, 1], idents[parsed, 0]))]
    starts = _groups(idents[by_key, 0], idents[by_key, 1])
    group = np.cumsum(starts) - 1
    first_of_group = by_key[starts]
    winner = np.full(count, -1, dtype=np.int64)
    winner[by_key] = first_of_group[group]
    duplicate = (winner >= 0) & (winner != np.arange(count))
    status[duplicate] = DUPLICATE_STATUS
    deletions = [
        (int(part_of[f]), int(docnums[f]))
        for f in np.flatnonzero(duplicate & (docnums != NO_DOCUMENT))
    ]
    articles = int(starts.sum())
    article_keys = idents[first_of_group]
    del idents, by_key, starts, group, first_of_group, duplicate, parsed, docnums, part_of, order
    stubs = _stubs(parts, status, article_keys)
    return Decision(status, winner, deletions, stubs, articles)


def _stubs(parts: Sequence[Rows], status: Any, article_keys: Any) -> Stubs:
    # Every citation, with its citing file's number; only articles cite (not duplicates,
    # not seeds that did not parse).
    cite_file = _concat([_u32(r.files).astype(np.int64)[_u32(r.cite_rows)] for r in parts])
    cite_part = _concat([np.full(len(r.cite_rows), p, dtype=np.int64) for p, r in enumerate(parts)])
    cite_offset = _concat([np.frombuffer(r.cite_entries, dtype=np.int64) for r in parts])
    cite_keys = np.concatenate([_keys(r.cite_keys) for r in parts])
    citing = status[cite_file] == OK
    cite_file, cite_part = cite_file[citing], cite_part[citing]
    cite_offset, cite_keys = cite_offset[citing], cite_keys[citing]
    # Citations and articles together, sorted by key then file: a group of equal keys that
    # holds an article is no stub; in the others, the first row is the first citer.
    n = len(cite_file)
    hi = np.concatenate([cite_keys[:, 0], article_keys[:, 0]])
    lo = np.concatenate([cite_keys[:, 1], article_keys[:, 1]])
    files = np.concatenate([cite_file, np.full(len(article_keys), -1, dtype=np.int64)])
    by_key = np.lexsort((files, lo, hi))
    starts = np.flatnonzero(_groups(hi[by_key], lo[by_key]))
    del hi, lo, files
    lengths = np.diff(np.append(starts, len(by_key)))
    # Articles sort first in their group (file -1): a stub's group starts with a citation.
    stub = by_key[starts] < n
    starts, lengths = starts[stub], lengths[stub]
    first = by_key[starts]
    # Stubs in the order of their first citations: by citing file, then by place in it (a
    # file's citations are side by side, in seed order), as a reading in path order meets them.
    cited = np.lexsort((first, cite_file[first]))
    starts, lengths, first = starts[cited], lengths[cited], first[cited]
    sets, topic_of_file = _topics(parts)
    ptr = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    ids = topic_of_file[cite_file[by_key[_ranges(starts, lengths)]]]
    return Stubs(
        cite_keys[first], cite_part[first], cite_offset[first], cite_file[first], ptr, ids, sets
    )


def _topics(parts: Sequence[Rows]) -> tuple[list[tuple[str, ...]], Any]:
    """Every process's topic sets in one list, and each file's set in it, by file number."""
    sets: list[tuple[str, ...]] = []
    of_file = np.zeros(sum(len(r) for r in parts), dtype=np.int64)
    for r in parts:
        of_file[_u32(r.files)] = np.frombuffer(r.topics, dtype=np.uint32).astype(np.int64) + len(
            sets
        )
        sets.extend(r.topic_sets)
    return sets, of_file


def _u32(values: Any) -> Any:
    return np.frombuffer(values, dtype=np.uint32)


def _concat(arrays: list[Any]) -> Any:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


__all__ = ["DUPLICATE_STATUS", "NO_ENTRY", "Decision", "Stubs", "decide"]
