"""The time budget of one search: the last resort behind the caps of searchkit.limits.

The caps keep every query cheap; the budget is for what they do not foresee (a slow disk, a
huge index). A search looks at it between its stages: once it is spent, the stages left are
cut short and the results say which (SearchResults.partial), rather than the search running
on. The budget never interrupts a stage in the middle, so a search may overrun it by one.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Budget:
    """`seconds` from now (None: no limit), measured with `clock`."""

    def __init__(
        self, seconds: float | None, *, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._ends = None if seconds is None else clock() + seconds
        self.reason: str | None = None  # what was cut short, the first time the budget ran out

    def spent(self, before: str) -> bool:
        """Whether the budget is spent; if so, the first time, note that it ran out `before`
        the stage that asked ("spelling corrections were tried")."""
        if self._ends is None or self._clock() < self._ends:
            return False
        if self.reason is None:
            self.reason = f"the time budget of {self.seconds:g} s ran out before {before}"
        return True
