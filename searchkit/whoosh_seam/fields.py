"""Field types built from Whoosh's parts: dates indexed in 4 tiers of 16 bits, and columns of
numbers that are not indexed.

Whoosh's DATETIME indexes a date as 8 terms, one per 8-bit tier, for fast range queries. A full
build writes so many of them that they were a quarter of all terms; 4 tiers of 16 bits halve
that, at the cost of longer range expansions, which are rare (date filters read the column).
DATETIME takes no shift_step argument, but it is a NUMERIC, which reads its `shift_step`
attribute when indexing: setting it is what this does, and the result is checked.
"""

from __future__ import annotations

from datetime import datetime

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, DATETIME

DATE_TIERS_BITS = 16


def dates_field() -> DATETIME:
    """A stored, sortable DATETIME field indexed in tiers of DATE_TIERS_BITS bits, or in
    Whoosh's default tiers on a Whoosh where that cannot be done (the schema fingerprint
    then differs, and an index made the other way is rebuilt)."""
    field = DATETIME(stored=True, sortable=True)
    default = field.shift_step
    field.shift_step = DATE_TIERS_BITS
    terms = list(field.index(datetime(2021, 5, 3, 18, 50)))
    if len(terms) != field.bits // DATE_TIERS_BITS:
        field.shift_step = default
    return field


def number_column_field(typecode: str) -> COLUMN:
    """A field that only holds a number per document in a column (`typecode` as in `array`:
    "B" for a byte, "Q" for an unsigned 64-bit number): not indexed, not stored."""
    return COLUMN(NumericColumn(typecode))
