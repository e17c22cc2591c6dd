"""Small values that seeds and index documents share: who published an article, and its images.

They live apart from documents.py (which parses seed files) and records.py (which derives the
index's documents), so that both can use them and neither imports the other at run time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Provider:
    """Who published an article."""

    name: str | None = None
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    width: int | None = None
    height: int | None = None
    is_cached: bool | None = None
