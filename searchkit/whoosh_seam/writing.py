"""Writing segments: searchkit's segment writer, and the calls a build shared between processes
needs to write several segments and commit them together.

FastSegmentWriter is Whoosh's SegmentWriter with a faster posting pool (pool.py), analysis
(analysis.py) and term writing (blocks.py). Documents, stored fields, columns, lengths,
terms and postings are the same as Whoosh's own writer makes; only the encoding of small
blocks differs (uncompressed, and a position value shared between postings is pickled once),
which Whoosh reads back the same. Schemas with features it does not handle (separate spelling
fields, term vectors) go through Whoosh's own code paths.

A full build in several processes has each write a segment of the same new index
(write_segment), then commits them in one table of contents (commit_segments). Whoosh has no
public way to do that, so on an unverified Whoosh a full build runs in one process with
Whoosh's own writer (see can_write_in_parallel).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.writing import PostingPool, SegmentWriter

from . import FAST
from .analysis import Analysis, Postings, TokenMemos
from .blocks import CachedLengths, write_terms
from .errors import close_files_in, close_left_open
from .pool import TermPool
from .storage import create_index as create_index
from .storage import open_index as open_index
from .toc import latest_generation

_INDEX_NAME = "MAIN"  # Whoosh's default index name, which searchkit's stores use


def can_write_in_parallel() -> bool:
    """Whether several processes may each write a segment of one index (write_segment and
    commit_segments): on a verified Whoosh only."""
    return FAST


def segment_writer(
    ix: Any, *, limitmb: float, tempname: str | None = None, shared: bool = False
) -> Any:
    """A writer adding a new segment to `ix`. `shared`: another writer (the main process of a
    build) holds the index's lock, and this one writes a segment for it to commit;
    `tempname` then names this writer's folder of spilled postings."""
    if not FAST and shared:
        raise RuntimeError("segments written in parallel need a verified Whoosh")
    try:
        if not FAST:
            return ix.writer(limitmb=limitmb)
        return FastSegmentWriter(ix, limitmb, tempname=tempname, _lk=not shared)
    except BaseException as exc:
        # A writer that fails while it is being made (its first segment file cannot be
        # written on a full disk) has already locked the index: release it now.
        tb = exc.__traceback__
        while tb is not None:
            made = tb.tb_frame.f_locals.get("self")
            if isinstance(made, SegmentWriter):
                _unlock(made)
            tb = tb.tb_next
        raise


def next_docnum(writer: Any) -> int:
    """The number the writer gives the next document it adds (in its own segment)."""
    docnum: int = writer.docnum
    return docnum


def write_segment(writer: Any) -> Any | None:
    """Write the files of the writer's segment and return the segment (a small picklable
    value) for commit_segments(); None when no document was added."""
    if writer._added:
        return writer._finalize_segment()
    writer._close_segment()
    return None


def release(writer: Any) -> None:
    """Release what a writer holds (its temporary files, its lock) without committing."""
    writer._finish()


def commit_segments(
    writer: Any,
    segments: list[Any],
    deletions: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> None:
    """Commit `segments` (from write_segment, in this process or others) as the index's next
    generation, in one table of contents, after deleting the documents named by
    `deletions` ((index in `segments`, document number)); then release `writer`."""
    for part, docnum in deletions:
        segments[part].delete_document(docnum)
    writer._commit_toc(segments)
    writer._finish()


def commit(writer: Any) -> None:
    """Commit what a writer wrote as the index's next generation (Whoosh's own commit, which
    merges small segments by its default policy), and release it."""
    writer.commit()


def cancel(writer: Any) -> None:
    """Abandon what a writer wrote, if it is still open."""
    if not writer.is_closed:
        writer.cancel()


def abandon(writer: Any) -> None:
    """Abandon a writer after its build failed: cancel it, then close every file it still
    holds (after a failure, even Whoosh's own cancel() leaves some open, or fails as the
    build did on a full disk), so that none stays open until the writer is collected.
    Never raises: the build's own error is the one to report; the caller removes the files."""
    try:
        cancel(writer)
    except Exception as exc:
        close_left_open(exc)  # files cancel() itself opened, then failed to write
    close_files_in(writer)
    _unlock(writer)


def _unlock(writer: Any) -> None:
    """Release the writer's lock on the index if cancel() failed before it could: left to the
    lock's finaliser, it would be held until the collector happens to free the writer."""
    lock = getattr(writer, "writelock", None)
    if lock is not None and getattr(lock, "fd", None) is not None:
        with contextlib.suppress(Exception):
            lock.release()


# What a writer leaves in a store besides its segments: spilled postings and the folders of
# parallel writers (`*.tmp`), and a table of contents being written (`_MAIN_<gen>.toc.<time>`).
_LEFTOVER = re.compile(r"(.*\.tmp|_MAIN_\d+\.toc\..+)\Z")


def discard_uncommitted(store: Path) -> int:
    """Remove what writers that did not commit left in `store` (segment files no table of
    contents names, spilled postings, a half-written table of contents), even when their
    own cleanup failed; the committed generation stays as it is. Returns that generation
    (-1 when the store cannot be listed). Best effort, and needs no free space; only under
    the index's write lock."""
    from whoosh.index import TOC, clean_files

    storage = FileStorage(str(store))
    generation = -1
    with contextlib.suppress(Exception):  # a damaged table of contents: nothing to keep safe
        generation = latest_generation(store)
        toc = TOC.read(storage, _INDEX_NAME, generation)
        clean_files(storage, _INDEX_NAME, generation, toc.segments)
    with contextlib.suppress(OSError):
        for entry in os.scandir(store):
            if _LEFTOVER.match(entry.name):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
    return generation


class FastSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """SegmentWriter with a faster posting pool and commit; see the module docstring."""

    def __init__(
        self, ix: Any, limitmb: float = 128, *, tempname: str | None = None, **kwargs: Any
    ) -> None:
        """`tempname` names the folder for spilled postings when another writer works on the
        same index at the same time (Whoosh's default name would be shared)."""
        super().__init__(ix, limitmb=limitmb, **kwargs)
        if tempname is not None:
            self._tempstorage = self.storage.temp_storage(tempname)
        schema = self.schema
        self._fast = not any(
            schema[name].separate_spelling() or schema[name].vector for name in schema.names()
        )
        self._analyses: dict[str, Analysis] = {}
        self._token_memos: TokenMemos = {}  # shared by the fields' Analysis objects
        if self._fast:
            self.pool = TermPool(self._tempstorage, limitmb)
        elif tempname is not None:
            self.pool = PostingPool(self._tempstorage, self.newsegment, limitmb=limitmb)

    def add_document(self, **fields: Any) -> None:
        if not self._fast:
            super().add_document(**fields)
            return
        # Whoosh's SegmentWriter.add_document, with the postings going to the TermPool.
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        boosted = any(name.startswith("_") for name in fields)
        docboost = self._doc_boost(fields) if boosted else 1.0
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost) if boosted else 1.0
                    length = pool.field(fieldname).add_document(
                        self._analyse(fieldname, field, value), docnum, fieldboost
                    )
                    if not field.scorable:
                        length = 0
                customval = fields.get(f"_stored_{fieldname}", value) if boosted else value
                perdocwriter.add_field(
                    fieldname, field, customval if field.stored else None, length
                )
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(
                        fieldname, column, field.to_column_value(customval)
                    )
        except Exception:
            perdocwriter.cancel_doc()
            # Postings already pooled for this document stay, as with Whoosh's own writer.
            raise

        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        if not docnum % 32:
            pool.check_memory()

    def _analyse(self, fieldname: str, field: Any, value: Any) -> Postings:
        """`tuple(field.index(value))`, through this field's Analysis."""
        analysis = self._analyses.get(fieldname)
        if analysis is None:
            analysis = self._analyses[fieldname] = Analysis(field, self._token_memos)
        return analysis(value)

    def _flush_segment(self) -> None:
        if not self._fast:
            self._flush_with_cached_lengths()
            return
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        try:
            write_terms(self.fieldwriter, self.schema, pdr, self.pool.terms())
        finally:
            if pdr is not None:
                pdr.close()
        self.fieldwriter.close()

    def _flush_with_cached_lengths(self) -> None:
        # Whoosh's _flush_segment, with the field lengths read once per field.
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        lengths = CachedLengths(pdr) if pdr is not None else None
        # Only reached with Whoosh's own posting pool (schemas this writer does not handle).
        postings = self.pool.iter_postings()  # type: ignore[attr-defined]
        self.fieldwriter.add_postings(self.schema, lengths, postings)
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()
