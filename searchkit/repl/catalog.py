"""Every topic and provider with its count, read once per session for completion."""

from __future__ import annotations

from ..api import SearchIndex
from ..results import ValueCount


class Catalog:
    """Every topic and provider with its count, read once and kept until `refresh`:
    completion runs on every keystroke, and reading them takes ~0.1 s on 18k documents."""

    def __init__(self, index: SearchIndex) -> None:
        self._index = index
        self._topics: list[ValueCount] | None = None
        self._providers: list[ValueCount] | None = None

    def topics(self) -> list[ValueCount]:
        if self._topics is None:
            self._topics = self._index.topics()
        return self._topics

    def providers(self) -> list[ValueCount]:
        if self._providers is None:
            self._providers = self._index.providers()
        return self._providers

    def refresh(self) -> None:
        self._topics = self._providers = None
