"""The one place where searchkit uses Whoosh's internals; see docs/WHOOSH.md.

searchkit is fast because it reads and writes some of Whoosh's structures itself: postings
blocks and term tables, column bytes, segments and tables of contents, the analysers' filter
chains. None of that is Whoosh's public API, so every such use lives in this package, behind
named functions, and each has a twin that goes through Whoosh's public API instead:

    ==========================  ==========================================================
    function (module)           public-path twin, used on an unverified Whoosh
    ==========================  ==========================================================
    read_postings (matching)    a matcher stepped one posting at a time
    segment_matches (matching)  ``query.docs(searcher)``
    segment_scores (matching)   ``query.matcher(...)`` moved with skip_to() and score()
    term_documents (matching)   ``searcher.docs_for_query(Term(...))``
    CutOr (unions)              Whoosh's Or (which preloads on small segments)
    remember_terms (terms)      none needed: each segment's term table read every time
    column_values (columns)     the column reader, value by value
    segment_writer (writing)    Whoosh's own SegmentWriter
    commit_segments (writing)   none: a full build runs in one process, Whoosh's writer
    latest_generation (toc)     ``whoosh.index.open_dir(...).latest_generation()``
    dates_field (fields)        none needed: NUMERIC's own shift_step attribute
    segment_words (expansion)   ``query.expanded_terms(segment reader)``
    field_documents (expansion) Whoosh's Every on the field
    date_documents (expansion)  Whoosh's DateRange
    ==========================  ==========================================================

At import, the installed Whoosh's version is checked against VERIFIED_VERSIONS: the versions
whose fast paths passed the equivalence tests (tests/test_whoosh_seam.py: the same index
bytes as Whoosh's own writer, the same postings, columns, matches and scores as Whoosh's
own readers and searcher). On any other version searchkit uses the public paths, slower but
with the same results, and says so once with a WhooshVersionWarning. The environment
variable SEARCHKIT_WHOOSH_PATHS forces a choice: ``public``, or ``fast`` to run the
equivalence tests against a new Whoosh release before adding it to VERIFIED_VERSIONS.

Whoosh's exceptions, and what reading its files raises when they are damaged, are turned
into searchkit's own at one boundary: errors.py in this package.

Nothing outside this package imports Whoosh's codec, filedb, matching, writing, columns,
system or numeric-utility modules, or uses a private Whoosh name (a contract in
pyproject.toml, checked in CI).
"""

from __future__ import annotations

import os
import warnings

import whoosh

from ..errors import SearchkitWarning

# The Whoosh versions whose fast paths passed the equivalence tests (see the docstring).
VERIFIED_VERSIONS: frozenset[tuple[int, int, int]] = frozenset({(2, 7, 5)})
PATHS_ENV = "SEARCHKIT_WHOOSH_PATHS"


class WhooshVersionWarning(SearchkitWarning):
    """The installed Whoosh is not one searchkit was verified with: it runs on Whoosh's public
    API, which gives the same results, more slowly."""


def installed_version() -> tuple[int, ...]:
    return tuple(int(part) for part in whoosh.__version__[:3] if isinstance(part, int))


def _choose(installed: tuple[int, ...], forced: str) -> tuple[bool, str | None]:
    """(whether to take the fast paths, the warning to give or None)."""
    if forced == "public":
        return False, None
    if forced == "fast":
        return True, None
    if installed in VERIFIED_VERSIONS:
        return True, None
    version = ".".join(map(str, installed))
    verified = ", ".join(".".join(map(str, v)) for v in sorted(VERIFIED_VERSIONS))
    return False, (
        f"Whoosh {version} is not a version searchkit was verified with ({verified}); "
        "searchkit uses Whoosh's public API instead of its faster paths: results are the "
        "same, searches and builds slower. Install whoosh-reloaded==2.7.5 for full speed."
    )


FAST, _WARNING = _choose(installed_version(), os.environ.get(PATHS_ENV, "").strip().lower())
if _WARNING:
    warnings.warn(_WARNING, WhooshVersionWarning, stacklevel=2)


def fast_paths() -> bool:
    """Whether searchkit reads and writes Whoosh's structures itself (True on a verified
    Whoosh) or goes through Whoosh's public API."""
    return FAST


__all__ = ["PATHS_ENV", "VERIFIED_VERSIONS", "WhooshVersionWarning", "fast_paths"]
