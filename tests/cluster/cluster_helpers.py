"""Helpers of the cluster tests: a generated corpus, and results compared up to exact ties."""

from __future__ import annotations

import threading
from itertools import groupby
from pathlib import Path
from typing import Any

from searchkit.results import SearchResults


def generated_seeds(src: Path, dst: Path, copies: int) -> Path:
    """`copies` variants of every seed of `src` in `dst`: each copy's URLs (its own and its
    related entries') and titles made its own, so copies are new articles citing each other
    and stubs of their own; one seed in seven left out of each copy, so copies differ."""
    dst.mkdir(parents=True, exist_ok=True)
    for k in range(copies):
        for i, seed in enumerate(sorted(src.iterdir())):
            if (i + k) % 7 == 0:
                continue
            text = seed.read_text(encoding="utf-8")
            text = text.replace("https://www.", f"https://v{k}.www.")
            text = text.replace('\ntitle: "', f'\ntitle: "Edition{k} ')
            (dst / f"v{k}-{seed.name}").write_text(text, encoding="utf-8")
    return dst


def ranked_groups(results: SearchResults) -> list[tuple[Any, frozenset[str]]]:
    """The hits as runs of equal score (of equal date, sorted by date): the order, allowing
    only exact ties. The last run may be cut by the page, so it is compared by its key
    alone."""
    by_date = results.sort in ("newest", "oldest") or all(h.score == 0 for h in results.hits)

    def key(hit: Any) -> Any:
        return hit.published if by_date else hit.score

    runs = [(k, frozenset(h.id for h in hits)) for k, hits in groupby(results.hits, key=key)]
    # The first and last runs may go on past the page: compared by their key alone.
    return [(k, ids if 0 < i < len(runs) - 1 else frozenset()) for i, (k, ids) in enumerate(runs)]


def same_results(a: SearchResults, b: SearchResults) -> None:
    assert b.partial is None
    assert (a.total, a.fallback, a.corrected, a.parsed) == (
        b.total,
        b.fallback,
        b.corrected,
        b.parsed,
    )
    assert (a.suggestion, a.value_suggestions) == (b.suggestion, b.value_suggestions)
    assert (a.date_span, a.undated_total) == (b.date_span, b.undated_total)
    assert [h.match for h in a.hits] == [h.match for h in b.hits]
    assert ranked_groups(a) == ranked_groups(b)
    assert a.facets == b.facets
    by_id = {h.id: h for h in a.hits}
    for hit in b.hits:
        if hit.id in by_id:  # (a cut last run may hold other ids)
            assert _shown(hit) == _shown(by_id[hit.id])


def _shown(hit: Any) -> Any:
    return (hit.title, hit.snippet_spans, hit.title_spans, hit.cited_by, hit.links, hit.topics)


def build_in_background(*args: Any, **kwargs: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """build_sharded(*args, **kwargs) started in a thread, for a test to hurt it midway: the
    thread, and what it ends with ("result", or "error" for the test to re-raise)."""
    from searchkit.cluster.build import build_sharded

    done: dict[str, Any] = {}

    def build() -> None:
        try:
            done["result"] = build_sharded(*args, **kwargs)
        except BaseException as exc:
            done["error"] = exc

    builder = threading.Thread(target=build)
    builder.start()
    return builder, done
