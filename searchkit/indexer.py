"""Full and incremental builds of the index from a seeds folder.

A full build streams seeds in path order into a new store and switches to it when complete.
An incremental build finds the seed files whose content changed, works out exactly which
documents they own or touch (their article, the stubs they cite and cited, identities that move
between seeds) and rewrites only those, reading everything else it needs from the index.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from . import store as st
from .config import DEFAULT_SEEDS_DIR
from .documents import RelatedEntry, Seed
from .errors import IndexCorruptError, SeedsMismatchError
from .loader import (
    FileStat,
    Loaded,
    SeedFile,
    digest_bytes,
    load_seeds,
    read_seed,
    scan_seeds,
    seed_files,
)
from .parallel import ArticleBuild, Outcome, make_plan, outcome_of
from .records import (
    ARTICLE,
    IndexDocument,
    article_document,
    from_stored,
    stub_document,
    to_fields,
)
from .reports import BuildProgress, Duplicate, IndexReport, ProgressCallback, SeedIssue
from .schema import build_schema, schema_fingerprint

WRITER_LIMIT_MB = 128


@dataclass
class _Counts:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


def build_index(
    seeds_dir: str | Path | None = None,
    index_dir: str | Path = "index",
    *,
    full: bool = False,
    dry_run: bool = False,
    wait: float | None = None,
    progress: ProgressCallback | None = None,
) -> IndexReport:
    """Bring the index at `index_dir` in step with the seeds folder; return what changed.

    `seeds_dir` defaults to the folder the index was built from (or `seeds` for a new index);
    naming another folder than the index's is refused unless `full` is set. `wait` is how long
    to wait for another writer, in seconds (None: fail at once with IndexLockedError).
    """
    started = time.perf_counter()
    root = Path(index_dir)
    report = _progress(progress)
    if dry_run:
        return _build(root, seeds_dir, full=full, dry_run=True, report=report, started=started)
    with st.write_lock(root, wait=wait):
        st.remove_orphan_stores(root)
        return _build(root, seeds_dir, full=full, dry_run=False, report=report, started=started)


def _progress(callback: ProgressCallback | None) -> ProgressCallback:
    return callback if callback is not None else (lambda _p: None)


def _build(
    root: Path,
    seeds_dir: str | Path | None,
    *,
    full: bool,
    dry_run: bool,
    report: ProgressCallback,
    started: float,
) -> IndexReport:
    notes: list[str] = []
    existing = _read_existing(root, notes)
    if seeds_dir is None:
        remembered = existing[0].seeds_dir if existing else st.remembered_seeds_dir(root)
        seeds_root = Path(remembered or DEFAULT_SEEDS_DIR)
    else:
        seeds_root = Path(seeds_dir)
    seeds_root = seeds_root.resolve()
    if existing and not full and Path(existing[0].seeds_dir) != seeds_root:
        raise SeedsMismatchError(str(root), existing[0].seeds_dir, str(seeds_root))
    report(BuildProgress("scan"))
    files = scan_seeds(seeds_root)
    ctx = _Context(root.resolve(), seeds_root, started, notes, report, st.scan_fingerprint(files))
    old = None
    if existing is not None:
        old, store = existing
        if not full and old.scan == ctx.scan and old.counts is not None:
            return _unchanged(ctx, old, len(files), dry_run=dry_run)
        try:
            old.seeds.load()
        except IndexCorruptError as exc:
            notes.append(f"{exc}; rebuilt it from scratch")
            old = None
        if old is not None and not full:
            ix = _open_whoosh(store, notes)
            if ix is not None:
                return _incremental(ctx, files, ix, old, store, dry_run=dry_run)
    return _full_build(ctx, files, old, dry_run=dry_run)


def _read_existing(root: Path, notes: list[str]) -> tuple[st.Manifest, Path] | None:
    """The live store's manifest, and the store; None when there is none to update (a note
    says why when there is an index that cannot be used)."""
    try:
        store = st.current_store(root)
        if store is None:
            return None
        manifest = st.read_manifest(store, st.latest_generation(store))
    except IndexCorruptError as exc:
        notes.append(f"{exc}; rebuilt it from scratch")
        return None
    if manifest.schema != schema_fingerprint():
        notes.append("the index was built by another version of searchkit; rebuilt it from scratch")
        return None
    return manifest, store


def _open_whoosh(store: Path, notes: list[str]) -> Any:
    """The store's Whoosh index, or None (with a note) when it cannot be opened."""
    try:
        return whoosh_index.open_dir(str(store))
    except Exception as exc:  # Whoosh raises many unrelated types for a damaged index
        notes.append(f"the index at {store} could not be opened ({exc}); rebuilt it from scratch")
        return None


def _unchanged(ctx: _Context, manifest: st.Manifest, files: int, *, dry_run: bool) -> IndexReport:
    """The report of a build that found the folder exactly as the manifest describes it."""
    assert manifest.counts is not None
    documents, articles = manifest.counts
    return _report(
        ctx,
        manifest,
        _Counts(unchanged=files),
        full=False,
        dry_run=dry_run,
        changed=False,
        documents=(documents, articles, documents - articles),
    )


@dataclass
class _Context:
    root: Path
    seeds_root: Path
    started: float
    notes: list[str]
    report: ProgressCallback
    scan: str  # st.scan_fingerprint() of the folder


# --- full build ----------------------------------------------------------------------------


def _full_build(
    ctx: _Context, files: dict[str, FileStat], old: st.Manifest | None, *, dry_run: bool
) -> IndexReport:
    paths = sorted(files)
    counts = _Counts()
    if old is not None:
        counts.removed = sum(1 for p in old.seeds if p not in files)
    manifest = st.Manifest(
        seeds_dir=str(ctx.seeds_root), schema=schema_fingerprint(), scan=ctx.scan
    )
    store = None if dry_run else st.new_store(ctx.root)
    writer = None
    build = None
    try:
        total = len(paths)
        on_progress = lambda done: ctx.report(BuildProgress("parse", done, total))  # noqa: E731
        if store is not None:
            from .writer import FastSegmentWriter  # only a build that writes needs it

            writer = FastSegmentWriter(
                whoosh_index.create_in(str(store), build_schema()), limitmb=WRITER_LIMIT_MB
            )
            build = ArticleBuild(
                writer, store, ctx.seeds_root, seed_files(files, paths), limitmb=WRITER_LIMIT_MB
            )
            plan = build.index(on_progress)
        else:
            loads = load_seeds(ctx.seeds_root, seed_files(files, paths), on_progress=on_progress)
            plan = make_plan([outcome_of(loaded) for loaded in loads])
        for outcome in plan.outcomes:
            path = outcome.file.path
            _count_file(counts, old.seeds.get(path) if old else None, outcome.digest)
            identity = outcome.identity
            if identity is None:
                manifest.seeds[path] = _state(outcome, st.INVALID, outcome.error)
            elif plan.articles[identity] != path:
                winner = plan.articles[identity]
                manifest.seeds[path] = _state(outcome, st.DUPLICATE, winner, identity)
            else:
                manifest.seeds[path] = _state(outcome, st.OK)
        articles, stubs = len(plan.articles), len(plan.stubs)
        if writer is not None and build is not None:
            manifest.generation = writer.generation
            manifest.counts = (articles + stubs, articles)
            _finish_manifest(manifest, ctx)
            assert store is not None
            st.write_manifest(store, manifest)
            build.finish(plan, ctx.report)
            writer = None
            if build.note:
                ctx.notes.append(build.note)
            st.switch_store(ctx.root, store)
    except BaseException:
        if writer is not None and not writer.is_closed:
            writer.cancel()
        if store is not None:
            shutil.rmtree(store, ignore_errors=True)
        raise
    finally:
        if build is not None:
            build.close()
    return _report(
        ctx,
        manifest,
        counts,
        full=True,
        dry_run=dry_run,
        changed=not dry_run,
        documents=(articles + stubs, articles, stubs),
    )


def _count_file(counts: _Counts, old: st.SeedState | None, digest: str) -> None:
    if old is None:
        counts.added += 1
    elif old.digest != digest:
        counts.updated += 1
    else:
        counts.unchanged += 1


def _state(
    read: Loaded | Outcome, status: str, error: str | None = None, identity: str | None = None
) -> st.SeedState:
    f = read.file
    return st.SeedState(f.mtime_ns, f.size, read.digest, status, error, identity)


def _finish_manifest(manifest: st.Manifest, ctx: _Context) -> None:
    manifest.built_at = time.time()


def _report(
    ctx: _Context,
    manifest: st.Manifest,
    counts: _Counts,
    *,
    full: bool,
    dry_run: bool,
    changed: bool,
    documents: tuple[int, int, int],
) -> IndexReport:
    errors, stale, dups = [], [], []
    for path, status, error, identity in sorted(manifest.seeds.issues()):
        if status in (st.INVALID, st.STALE):
            errors.append(SeedIssue(path, error or "cannot be parsed"))
            if status == st.STALE:
                stale.append(path)
        elif status == st.DUPLICATE:
            dups.append(Duplicate(path, error or "", identity or ""))
    return IndexReport(
        added=counts.added,
        updated=counts.updated,
        removed=counts.removed,
        unchanged=counts.unchanged,
        documents=documents[0],
        articles=documents[1],
        stubs=documents[2],
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


# --- incremental build ---------------------------------------------------------------------


def _incremental(
    ctx: _Context,
    files: dict[str, FileStat],
    ix: Any,
    old: st.Manifest,
    store: Path,
    *,
    dry_run: bool,
) -> IndexReport:
    counts = _Counts()
    manifest = st.Manifest(
        seeds_dir=old.seeds_dir,
        schema=old.schema,
        generation=old.generation,
        built_at=old.built_at,
        seeds=old.seeds.copy(),
        scan=ctx.scan,
    )
    old_stats = old.seeds.stats
    removed = sorted(old_stats.keys() - files.keys())
    get = old_stats.get
    suspects = [SeedFile(p, *f) for p, f in files.items() if get(p) != f]
    counts.removed = len(removed)
    counts.unchanged = len(files) - len(suspects)
    loaded = _load_changed(ctx, suspects, old, manifest, counts)
    for path in removed:
        del manifest.seeds[path]
    manifest_dirty = bool(removed or suspects)
    writes: dict[str, IndexDocument | None] = {}
    if not (loaded or removed) and old.counts is not None:
        documents, articles = old.counts  # nothing to write: the index need not be read
        doc_counts = (documents, articles, documents - articles)
    else:
        with ix.searcher() as searcher:
            if loaded or removed:
                writes = _Plan(ctx, searcher, old, manifest, loaded, removed).derive()
            doc_counts = _doc_counts(searcher, writes, old.counts)
    manifest.counts = doc_counts[:2]
    if dry_run or not (writes or manifest_dirty):
        return _report(
            ctx,
            manifest if dry_run else old,
            counts,
            full=False,
            dry_run=dry_run,
            changed=False,
            documents=doc_counts,
        )
    if writes:
        from .writer import FastSegmentWriter  # only a build that writes needs it

        writer = FastSegmentWriter(ix, limitmb=WRITER_LIMIT_MB)
        try:
            for doc_id, doc in writes.items():
                if doc is None:
                    writer.delete_by_term("id", doc_id)
                else:
                    writer.update_document(**to_fields(doc))
            ctx.report(BuildProgress("commit"))
            manifest.generation = writer.generation
            _finish_manifest(manifest, ctx)
            st.write_manifest(store, manifest)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        st.prune_manifests(store, manifest.generation)
    else:
        st.write_manifest(store, manifest)  # same generation: only file stats changed
    return _report(
        ctx, manifest, counts, full=False, dry_run=False, changed=bool(writes), documents=doc_counts
    )


def _load_changed(
    ctx: _Context,
    suspects: Sequence[SeedFile],
    old: st.Manifest,
    manifest: st.Manifest,
    counts: _Counts,
) -> dict[str, Loaded]:
    """Parse the files whose content changed; a file only touched keeps its state."""
    changed: list[SeedFile] = []
    for f in suspects:
        state = old.seeds.get(f.path)
        if state is not None and state.size == f.size and state.digest == _digest(ctx, f):
            manifest.seeds[f.path] = st.SeedState(
                f.mtime_ns, f.size, state.digest, state.status, state.error, state.identity
            )
            counts.unchanged += 1
        else:
            changed.append(f)
    total = len(changed)
    loaded = {}
    for item in load_seeds(
        ctx.seeds_root, changed, on_progress=lambda d: ctx.report(BuildProgress("parse", d, total))
    ):
        _count_file(counts, old.seeds.get(item.file.path), item.digest)
        loaded[item.file.path] = item
    return loaded


def _digest(ctx: _Context, f: SeedFile) -> str:
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
    from whoosh.query import Term  # not at the top: a no-op build need not load whoosh.query

    return sum(1 for _ in searcher.docs_for_query(Term(fieldname, text)))


class _Plan:
    """Works out the documents an incremental build must write (None: delete)."""

    def __init__(
        self,
        ctx: _Context,
        searcher: Any,
        old: st.Manifest,
        manifest: st.Manifest,
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
            if state.status in (st.OK, st.STALE):
                stored = self.stored_by_path(path)
                if stored is not None:
                    old_docs[path] = stored
                    identities.add(stored["id"])
            elif state.status == st.DUPLICATE and state.identity:
                identities.add(state.identity)
        for path, item in self.loaded.items():
            f = item.file
            if item.seed is not None:
                identities.add(item.seed.identity)
                self.manifest.seeds[path] = st.SeedState(f.mtime_ns, f.size, item.digest, st.OK)
            else:
                status = st.STALE if path in old_docs else st.INVALID
                self.manifest.seeds[path] = st.SeedState(
                    f.mtime_ns, f.size, item.digest, status, item.error
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
            if path not in self.touched or (state is not None and state.status == st.STALE):
                candidates[path] = "index"
        for path, status, _error, seed_identity in self.manifest.seeds.issues():
            if status == st.DUPLICATE and seed_identity == identity and path not in self.touched:
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
            winner, st.OK if candidates[winner] != "index" else None
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
        if state.status == st.STALE:
            self.manifest.seeds[path] = st.SeedState(
                state.mtime_ns, state.size, state.digest, st.INVALID, state.error
            )
        else:
            self.manifest.seeds[path] = st.SeedState(
                state.mtime_ns, state.size, state.digest, st.DUPLICATE, winner, identity
            )

    def _with_status(self, path: str, status: str | None) -> st.SeedState:
        state = self.manifest.seeds[path]
        if status is None:
            return state
        return st.SeedState(state.mtime_ns, state.size, state.digest, status)

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
        from whoosh.query import Term  # not at the top: a no-op build need not load whoosh.query

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
            if state is None or state.status == st.STALE:
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
