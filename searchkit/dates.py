"""Date specs -> half-open UTC ranges. Pure functions; "now" is always passed in.

A spec names a span: `2021` (a year), `2021-05` (a month), `2021-05-03` (a day), an ISO
timestamp (an instant), or a relative one: `today`, `yesterday`, `this week`, `last month`,
`last year`, `last 30 days`, `30d` / `-30d` / `2w` / `6m` / `1y` (from that long ago until now).
Ranges are `A to B` (both ends inclusive of their whole span; either may be left out), and
`>A`, `>=A`, `<A`, `<=A`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_RELATIVE = re.compile(r"^-?(\d+)\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)$")
_LAST_N = re.compile(r"^(?:last|past)\s+(\d+)\s+(day|days|week|weeks|month|months|year|years)$")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


@dataclass(frozen=True, slots=True)
class DateRange:
    """[start, end) in UTC; None is open."""

    start: datetime | None
    end: datetime | None

    def intersect(self, other: DateRange) -> DateRange:
        starts = [d for d in (self.start, other.start) if d is not None]
        ends = [d for d in (self.end, other.end) if d is not None]
        return DateRange(max(starts) if starts else None, min(ends) if ends else None)

    def describe(self) -> str:
        """`[2021-05-01 to 2021-05-31]` style, inclusive, as a user would write it."""
        start = _fmt(self.start) if self.start else ""
        end = _fmt(self.end - timedelta(microseconds=1), end=True) if self.end else ""
        return f"[{start} to {end}]".replace("[ to", "[to").replace(" to ]", " to]")


def _fmt(dt: datetime, *, end: bool = False) -> str:
    if end and (dt.hour, dt.minute, dt.second) == (23, 59, 59):
        return dt.strftime("%Y-%m-%d")
    if not end and (dt.hour, dt.minute, dt.second, dt.microsecond) == (0, 0, 0, 0):
        return dt.strftime("%Y-%m-%d")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class DateSpecError(ValueError):
    """A date spec that cannot be understood; the message says what is accepted."""


HELP = (
    "use 2021, 2021-05, 2021-05-03, an ISO timestamp, today, yesterday, this week, "
    "last week, last month, last year, last 30 days, 30d, 2w, 6m or 1y; ranges as "
    "'A to B', '>A', '<=B'"
)


def _month_start(year: int, month: int) -> datetime:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC)


def span(spec: str, now: datetime) -> DateRange:
    """The span one date spec names."""
    text = " ".join(spec.strip().strip("\"'").lower().split())
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    if re.fullmatch(r"\d{4}", text):
        y = int(text)
        return DateRange(datetime(y, 1, 1, tzinfo=UTC), datetime(y + 1, 1, 1, tzinfo=UTC))
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise DateSpecError(f"{spec!r}: month {mo} does not exist")
        return DateRange(_month_start(y, mo), _month_start(y, mo + 1))
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        try:
            d = date(*(int(p) for p in text.split("-")))
        except ValueError as exc:
            raise DateSpecError(f"{spec!r}: {exc}") from None
        start = datetime(d.year, d.month, d.day, tzinfo=UTC)
        return DateRange(start, start + timedelta(days=1))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[t ].+", text):
        try:
            dt = datetime.fromisoformat(text.upper().replace(" ", "T"))
        except ValueError:
            raise DateSpecError(f"{spec!r} is not an ISO timestamp") from None
        dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
        return DateRange(dt, dt + timedelta(seconds=1))
    return _relative(spec, text, now, today)


def _relative(spec: str, text: str, now: datetime, today: datetime) -> DateRange:
    day = timedelta(days=1)
    if text in ("today", "now"):
        return DateRange(today, today + day)
    if text == "yesterday":
        return DateRange(today - day, today)
    if text in ("this week", "last week"):
        monday = today - timedelta(days=today.weekday())
        return (
            DateRange(monday, monday + 7 * day)
            if text == "this week"
            else DateRange(monday - 7 * day, monday)
        )
    if text in ("this month", "last month"):
        first = _month_start(today.year, today.month)
        return (
            DateRange(first, _month_start(today.year, today.month + 1))
            if text == "this month"
            else DateRange(_month_start(today.year, today.month - 1), first)
        )
    if text in ("this year", "last year"):
        y = today.year if text == "this year" else today.year - 1
        return DateRange(datetime(y, 1, 1, tzinfo=UTC), datetime(y + 1, 1, 1, tzinfo=UTC))
    m = _RELATIVE.match(text) or _LAST_N.match(text)
    if m:
        days = int(m[1]) * _UNIT_DAYS[m[2][0]]
        return DateRange(now - timedelta(days=days), now)
    raise DateSpecError(f"{spec!r} is not a date: {HELP}")


def parse_range(spec: str, now: datetime) -> DateRange:
    """A date filter: one span, a range `A to B`, or a comparison `>A`."""
    text = spec.strip()
    if text.startswith(("[", "{")) and text.endswith(("]", "}")):
        text = text[1:-1].strip()
    for op in (">=", "<=", ">", "<"):
        if text.startswith(op):
            rest = text[len(op) :].strip()
            if not rest:
                raise DateSpecError(f"{spec!r}: nothing after {op}: {HELP}")
            s = span(rest, now)
            if rest.startswith("-") or _RELATIVE.match(rest.lower()):
                point = s.start  # "-30d" is a moment: 30 days ago
                s = DateRange(point, point)
            return {
                ">=": DateRange(s.start, None),
                ">": DateRange(s.end, None),
                "<": DateRange(None, s.start),
                "<=": DateRange(None, s.end),
            }[op]
    parts = re.split(r"\s+to\s+|^to\s+|\s+to$", text, flags=re.IGNORECASE)
    if len(parts) == 2:
        start = span(parts[0], now).start if parts[0].strip() else None
        end = span(parts[1], now).end if parts[1].strip() else None
        if start and end and start >= end:
            raise DateSpecError(f"{spec!r}: the range ends before it starts")
        return DateRange(start, end)
    if text.lower() == "to" or not text:
        raise DateSpecError(f"{spec!r} is empty: {HELP}")
    return span(text, now)


def as_bound(value: date | datetime | str | None, now: datetime, *, end: bool) -> datetime | None:
    """A `since` (end=False) or `until` (end=True) argument as a UTC instant (until: exclusive)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return dt + timedelta(microseconds=1) if end else dt
    if isinstance(value, date):
        start = datetime(value.year, value.month, value.day, tzinfo=UTC)
        return start + timedelta(days=1) if end else start
    s = span(value, now)
    if _RELATIVE.match(value.strip().lower()):
        return s.start  # "30d" is a moment: 30 days ago
    return s.end if end else s.start
