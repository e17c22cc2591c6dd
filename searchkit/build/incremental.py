"""An incremental build: only the documents that changed seeds own or cite are rewritten.

The build compares the folder with the manifest by (mtime, size), then by content hash; parses
the files whose content changed; works out exactly which documents they own or touch (their
article, the stubs they cite and cited, identities that move between seeds: ChangePlan), reading
everything else it needs from the index itself; and commits the rewrites as a new Whoosh
generation, whose manifest is written first.

Seeds the build cannot read (the scan could not stat them or their folder, or reading them
failed) are neither removed nor rewritten: their documents stay as they were (stale), and
the manifest marks them failed so that the next build reads them again. A build that fails
while writing (a full disk) removes what it wrote, even when Whoosh's own cleanup fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from whoosh.query import Term

from .. import manifest as mf
from ..documents import RelatedEntry, Seed
from ..loader import Loaded, SeedFile, digest_bytes, load_seeds, read_seed
from ..records import (
    ARTICLE,
    IndexDocument,
    article_document,
    from_stored,
    stub_document,
    to_fields,
)
from ..reports import BuildProgress, IndexReport
from ..whoosh_seam.errors import reading
from ..whoosh_seam.writing import abandon, commit, discard_uncommitted, segment_writer
from .context import (
    INDEX_BYTES_PER_SEED_BYTE,
    SEGMENT_PEAK,
    Context,
    make_report,
    stamp,
    warning_notes,
)
from .stamped import stamps_changed
from .tally import tally_incremental


def incremental_build(
    ctx: Context, ix: Any, old: mf.Manifest, store: Path, *, dry_run: bool
) -> IndexReport:
    """Bring the store's index in step with the scan (ctx.found), as a new generation.
    Raises IndexDamagedError, before writing anything, when the index cannot be read."""
    files = ctx.found.files
    manifest = mf.Manifest(
        seeds_dir=old.seeds_dir,
        schema=old.schema,
        generation=old.generation,
        built_at=old.built_at,
        seeds=old.seeds.copy(),
        scan=ctx.fingerprint,
    )
    if ctx.folders is None:  # the scan took no stamps: keep the last
        manifest.folders, manifest.stamped_at = old.folders, old.stamped_at
    elif stamps_changed(old, ctx.folders, ctx.stamped_at):
        manifest.folders, manifest.stamped_at = ctx.folders, ctx.stamped_at
    else:  # the same stamps: those of the earlier walk stay as good
        manifest.folders, manifest.stamped_at = old.folders, old.stamped_at
    diff = old.seeds.diff(files)  # as arrays: no object per unchanged seed
    reasons = {p: ctx.found.unreadable_reason(p) for p in diff.missing}
    unreadable = {p: why for p, why in reasons.items() if why is not None}
    removed = sorted(p for p, why in reasons.items() if why is None)
    failed = set(old.seeds.failed())
    suspects = [SeedFile(*f) for f in diff.changed]
    changed = {f.path for f in suspects}
    suspects += [SeedFile(p, *files[p]) for p in sorted(failed - changed) if p in files]
    ctx.space.bytes = _space_needed(suspects, mf.manifest_path(store, old.generation))
    loaded = _load_changed(ctx, suspects, old, manifest, failed)
    for path in removed:
        del manifest.seeds[path]
    for path, why in unreadable.items():
        manifest.seeds[path] = _unreadable(manifest.seeds[path], why)
    # A manifest whose scan fingerprint is not this scan's is written again, even with no
    # seed changed, so that the next run takes the fast path.
    manifest_dirty = (
        bool(removed or suspects or unreadable)
        or old.scan != ctx.fingerprint
        or old.folders != manifest.folders
        or old.stamped_at != manifest.stamped_at
    )
    writes: dict[str, IndexDocument | None] = {}
    if not (loaded or removed) and old.counts is not None:
        documents, articles = old.counts  # nothing to write: the index need not be read
        doc_counts = (documents, articles, documents - articles)
    else:
        with reading(ctx.root, store), ix.searcher() as searcher:
            if loaded or removed:
                writes = ChangePlan(ctx, searcher, old, manifest, loaded, removed).derive()
            doc_counts = _doc_counts(searcher, writes, old.counts)
    manifest.counts = doc_counts[:2]
    counts = tally_incremental(
        old.seeds, manifest.seeds, files, [f.path for f in suspects], removed
    )
    if dry_run or not (writes or manifest_dirty):
        return make_report(
            ctx,
            manifest if dry_run else old,
            counts,
            full=False,
            dry_run=dry_run,
            changed=False,
            documents=doc_counts,
            old=old,
        )
    if writes:
        writer = None
        try:
            writer = segment_writer(ix, limitmb=ctx.options.writer_limit_mb)
            for doc_id, doc in writes.items():
                if doc is None:
                    writer.delete_by_term("id", doc_id)
                else:
                    writer.update_document(**to_fields(doc))
            ctx.report(BuildProgress("commit"))
            manifest.generation = writer.generation
            stamp(manifest)
            mf.write_manifest(store, manifest)
            commit(writer)
        except BaseException:
            if writer is not None:
                abandon(writer)
            committed = discard_uncommitted(store)
            if committed >= 0:
                mf.prune_manifests(store, committed)
            raise
        mf.prune_manifests(store, manifest.generation)
        if ctx.on_writes is not None:
            ctx.on_writes(writes)
    else:
        mf.write_manifest(store, manifest)  # same generation: only file stats changed
    return make_report(
        ctx,
        manifest,
        counts,
        full=False,
        dry_run=False,
        changed=bool(writes),
        documents=doc_counts,
        old=old,
    )


def _space_needed(suspects: Sequence[SeedFile], manifest: Path) -> int:
    """About how many bytes the build needs at its peak: a segment of the changed seeds,
    twice, and a new manifest."""
    try:
        manifest_bytes = manifest.stat().st_size
    except OSError:
        manifest_bytes = 0
    changed = sum(f.size for f in suspects)
    return SEGMENT_PEAK * INDEX_BYTES_PER_SEED_BYTE * changed + manifest_bytes


def _unreadable(state: mf.SeedState, why: str) -> mf.SeedState:
    """The state of a seed the scan could not read: what it had in the index stays (stale)."""
    status = mf.STALE if state.status in (mf.OK, mf.STALE) else mf.INVALID
    return mf.SeedState(state.mtime_ns, state.size, state.digest, status, why, failed=True)


def _load_changed(
    ctx: Context,
    suspects: Sequence[SeedFile],
    old: mf.Manifest,
    manifest: mf.Manifest,
    failed: set[str],
) -> dict[str, Loaded]:
    """Parse the files whose content changed, and those the last build could not read; a
    file only touched keeps its state."""
    changed: list[SeedFile] = []
    for f in suspects:
        state = old.seeds.get(f.path)
        if (
            f.path not in failed
            and state is not None
            and state.size == f.size
            and state.digest == _digest(ctx, f)
        ):
            manifest.seeds[f.path] = mf.SeedState(
                f.mtime_ns, f.size, state.digest, state.status, state.error, state.identity
            )
        else:
            changed.append(f)
    total = len(changed)
    loaded = {}
    for item in load_seeds(
        ctx.seeds_root,
        changed,
        on_progress=lambda d: ctx.report(BuildProgress("parse", d, total)),
        worker_min=ctx.options.parse_worker_min_files,
    ):
        if item.seed is not None:
            ctx.notes += warning_notes(item.file.path, item.seed.warnings)
        loaded[item.file.path] = item
    return loaded


def _digest(ctx: Context, f: SeedFile) -> str:
    try:
        return digest_bytes((ctx.seeds_root / f.path).read_bytes())
    except OSError:
        return ""


def _doc_counts(
    searcher: Any, writes: dict[str, IndexDocument | None], before: tuple[int, int] | None
) -> tuple[int, int, int]:
    """Documents, articles and stubs the index holds once `writes` are applied, from the
    counts `before` them (the manifest's), or counted in the index when those are unknown."""
    if before is None:
        total, articles = searcher.doc_count(), _count_term(searcher, "kind", ARTICLE)
    else:
        total, articles = before
    for doc_id, doc in writes.items():
        stored = searcher.document(id=doc_id)
        was, now = (stored["kind"] if stored else None), (doc.kind if doc else None)
        total += (now is not None) - (was is not None)
        articles += (now == ARTICLE) - (was == ARTICLE)
    return total, articles, total - articles


def _count_term(searcher: Any, fieldname: str, text: str) -> int:
    return sum(1 for _ in searcher.docs_for_query(Term(fieldname, text)))


class ChangePlan:
    """Works out the documents an incremental build must write (None: delete)."""

    def __init__(
        self,
        ctx: Context,
        searcher: Any,
        old: mf.Manifest,
        manifest: mf.Manifest,
        loaded: dict[str, Loaded],
        removed: Iterable[str],
    ) -> None:
        self.ctx, self.searcher, self.old, self.manifest = ctx, searcher, old, manifest
        self.loaded = loaded
        self.touched = set(loaded) | set(removed)
        self.seeds: dict[str, Seed] = {p: x.seed for p, x in loaded.items() if x.seed}
        self.writes: dict[str, IndexDocument | None] = {}
        self.replaced: set[str] = set()  # ids of article docs rewritten or deleted
        self.new_articles: dict[str, IndexDocument] = {}

    # The index as it was before this build.
    def stored_by_id(self, doc_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.searcher.document(id=doc_id)
        return found

    def stored_by_path(self, path: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.searcher.document(path=path)
        return found

    def derive(self) -> dict[str, IndexDocument | None]:
        identities: set[str] = set()
        stub_keys: set[str] = set()
        old_docs = {}
        for path in self.touched:
            state = self.old.seeds.get(path)
            if state is None:
                continue
            if state.status in (mf.OK, mf.STALE):
                stored = self.stored_by_path(path)
                if stored is not None:
                    old_docs[path] = stored
                    identities.add(stored["id"])
            elif state.status == mf.DUPLICATE and state.identity:
                identities.add(state.identity)
        for path, item in self.loaded.items():
            f = item.file
            if item.seed is not None:
                identities.add(item.seed.identity)
                self.manifest.seeds[path] = mf.SeedState(f.mtime_ns, f.size, item.digest, mf.OK)
            else:
                status = mf.STALE if path in old_docs else mf.INVALID
                self.manifest.seeds[path] = mf.SeedState(
                    f.mtime_ns, f.size, item.digest, status, item.error, failed=item.failed
                )
        for identity in identities:
            self._resolve_identity(identity, old_docs)
        for stored in old_docs.values():
            stub_keys.update((stored.get("data") or {}).get("links", ()))
        for doc in self.new_articles.values():
            stub_keys.update(doc.links)
        stub_keys |= identities
        for key in stub_keys:
            self._resolve_stub(key)
        return self.writes

    def _resolve_identity(self, identity: str, old_docs: dict[str, dict[str, Any]]) -> None:
        """Choose which seed (if any) is the article `identity`, first in path order."""
        candidates: dict[str, str] = {}  # path -> where its document comes from
        stored = self.stored_by_id(identity)
        if stored is not None and stored["kind"] == ARTICLE:
            path = stored["path"]
            state = self.manifest.seeds.get(path)
            if path not in self.touched or (state is not None and state.status == mf.STALE):
                candidates[path] = "index"
        for path, status, _error, seed_identity in self.manifest.seeds.issues():
            if status == mf.DUPLICATE and seed_identity == identity and path not in self.touched:
                candidates[path] = "disk"
        for path, seed in self.seeds.items():
            if seed.identity == identity:
                candidates[path] = "parsed"
        winner = min(candidates) if candidates else None
        for path in candidates:
            if path != winner:
                assert winner is not None
                self._demote(path, identity, winner)
        if winner is None:
            if stored is not None and stored["kind"] == ARTICLE:
                self.replaced.add(identity)
                self.writes[identity] = None  # may come back as a stub below
            return
        self.manifest.seeds[winner] = self._with_status(
            winner, mf.OK if candidates[winner] != "index" else None
        )
        if candidates[winner] == "index":
            return
        winner_seed = self._seed_from_disk(winner)
        if winner_seed is None:
            return
        doc = article_document(winner_seed)
        self.new_articles[winner] = doc
        self.replaced.add(identity)
        self.writes[identity] = doc

    def _demote(self, path: str, identity: str, winner: str) -> None:
        state = self.manifest.seeds[path]
        if state.status == mf.STALE:
            self.manifest.seeds[path] = mf.SeedState(
                state.mtime_ns,
                state.size,
                state.digest,
                mf.INVALID,
                state.error,
                None,
                state.failed,
            )
        else:
            self.manifest.seeds[path] = mf.SeedState(
                state.mtime_ns, state.size, state.digest, mf.DUPLICATE, winner, identity
            )

    def _with_status(self, path: str, status: str | None) -> mf.SeedState:
        state = self.manifest.seeds[path]
        if status is None:
            return state
        return mf.SeedState(state.mtime_ns, state.size, state.digest, status)

    def _seed_from_disk(self, path: str) -> Seed | None:
        if path in self.seeds:
            return self.seeds[path]
        state = self.manifest.seeds[path]
        item = read_seed(str(self.ctx.seeds_root), SeedFile(path, state.mtime_ns, state.size))
        if item.seed is None:
            return None
        self.seeds[path] = item.seed
        return item.seed

    def _citers(self, key: str) -> list[IndexDocument]:
        """Articles citing `key` after this build, in path order."""
        citers = {}
        for docnum in self.searcher.docs_for_query(Term("links", key)):
            stored = self.searcher.stored_fields(docnum)
            if stored["kind"] == ARTICLE and stored["id"] not in self.replaced:
                citers[stored["path"]] = from_stored(stored)
        for path, doc in self.new_articles.items():
            if key in doc.links:
                citers[path] = doc
        return [citers[p] for p in sorted(citers)]

    def _resolve_stub(self, key: str) -> None:
        if key in self.writes and self.writes[key] is not None:
            return  # an article now owns this id
        if key not in self.writes:
            stored = self.stored_by_id(key)
            if stored is not None and stored["kind"] == ARTICLE:
                return  # an article nobody touched keeps the id
        citers = self._citers(key)
        if not citers:
            if self.stored_by_id(key) is not None:
                self.writes[key] = None
            return
        entry = self._supplier_entry(key, citers)
        if entry is None:
            return
        self.writes[key] = stub_document(key, entry, (t for c in citers for t in c.topics))

    def _supplier_entry(self, key: str, citers: list[IndexDocument]) -> RelatedEntry | None:
        """The related entry of the first citing article whose current version can be read."""
        for citer in citers:
            assert citer.path is not None
            state = self.manifest.seeds.get(citer.path)
            if state is None or state.status == mf.STALE:
                continue
            seed = self._seed_from_disk(citer.path)
            if seed is not None:
                for k, entry in zip(seed.related_keys(), seed.related, strict=True):
                    if k == key:
                        return entry
        stored = self.stored_by_id(key)
        if stored is None:
            return None
        doc = from_stored(stored)
        return RelatedEntry(
            title=doc.title,
            excerpt=doc.excerpt,
            published=doc.published,
            url=doc.url,
            provider=doc.provider,
            quality=doc.quality,
            images=doc.images,
            amp_url=doc.extra.get("amp_url"),
            type=doc.extra.get("type"),
        )
