"""Date specs -> half-open UTC ranges. Pure functions; "now" is always passed in.

A spec names a span: `2021` (a year), `2021-05` (a month), `2021-05-03` (a day), an ISO
timestamp (an instant), or a relative one: `today`, `yesterday`, `this week`, `last month`,
`last year`, `last 30 days`, `30d` / `-30d` / `2w` / `6m` / `1y` (from that long ago until now).
Ranges are `A to B` (both ends inclusive of their whole span; either may be left out), and
`>A`, `>=A`, `<A`, `<=A`.

Dates run from 0001-01-01 to 9999-12-31 (what Python's datetime holds): a spec outside them is
a DateSpecError, never an arithmetic error; a span that would end after 9999-12-31 is open at
its end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_RELATIVE = re.compile(r"^-?(\d+)\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)$")
_LAST_N = re.compile(r"^(?:last|past)\s+(\d+)\s+(day|days|week|weeks|month|months|year|years)$")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}

MIN_YEAR, MAX_YEAR = 1, 9999  # the years a date may name
_EARLIEST = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)


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
        return "[" + " ".join(part for part in (start, "to", end) if part) + "]"


def _fmt(dt: datetime, *, end: bool = False) -> str:
    day = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"  # strftime drops a year's zeros
    if end and (dt.hour, dt.minute, dt.second) == (23, 59, 59):
        return day
    if not end and (dt.hour, dt.minute, dt.second, dt.microsecond) == (0, 0, 0, 0):
        return day
    return f"{day}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}Z"


class DateSpecError(ValueError):
    """A date spec that cannot be understood: the message says what is wrong, `hint` what
    would do."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


HELP = (
    "use 2021, 2021-05, 2021-05-03, an ISO timestamp, today, yesterday, this week, "
    "last week, last month, last year, last 30 days, 30d, 2w, 6m or 1y; ranges as "
    "'A to B', '>A', '<=B'"
)
RANGE_HINT = f"dates run from {MIN_YEAR:04d}-01-01 to {MAX_YEAR}-12-31"


def _check_year(spec: str, year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateSpecError(f"{spec!r}: the year {year:04d} is out of range", hint=RANGE_HINT)


def _later(dt: datetime, delta: timedelta) -> datetime | None:
    """`dt + delta`, or None (open) when that is after the last instant a date can hold."""
    try:
        return dt + delta
    except OverflowError:
        return None


def _month_start(year: int, month: int) -> datetime | None:
    """The first instant of a month (months past 12 roll over); None after 9999-12."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC) if year <= MAX_YEAR else None


def span(spec: str, now: datetime) -> DateRange:
    """The span one date spec names."""
    try:
        return _span(spec, now)
    except OverflowError:  # arithmetic near the ends of time (a clock set there)
        raise DateSpecError(f"{spec!r} is out of range", hint=RANGE_HINT) from None


def _span(spec: str, now: datetime) -> DateRange:
    text = " ".join(spec.strip().strip("\"'").lower().split())
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    if re.fullmatch(r"\d{4}", text):
        y = int(text)
        _check_year(spec, y)
        return DateRange(datetime(y, 1, 1, tzinfo=UTC), _month_start(y + 1, 1))
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        y, mo = int(m[1]), int(m[2])
        _check_year(spec, y)
        if not 1 <= mo <= 12:
            raise DateSpecError(f"{spec!r}: month {mo} does not exist")
        return DateRange(_month_start(y, mo), _month_start(y, mo + 1))
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        y, mo, d = (int(p) for p in text.split("-"))
        _check_year(spec, y)
        try:
            day = date(y, mo, d)
        except ValueError as exc:
            raise DateSpecError(f"{spec!r}: {exc}") from None
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return DateRange(start, _later(start, timedelta(days=1)))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[t ].+", text):
        try:
            dt = datetime.fromisoformat(text.upper().replace(" ", "T"))
        except ValueError:
            raise DateSpecError(f"{spec!r} is not an ISO timestamp", hint=HELP) from None
        try:
            dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
        except OverflowError:
            raise DateSpecError(f"{spec!r} is out of range", hint=RANGE_HINT) from None
        return DateRange(dt, _later(dt, timedelta(seconds=1)))
    return _relative(spec, text, now, today)


def _relative(spec: str, text: str, now: datetime, today: datetime) -> DateRange:
    day = timedelta(days=1)
    if text in ("today", "now"):
        return DateRange(today, _later(today, day))
    if text == "yesterday":
        return DateRange(today - day, today)
    if text in ("this week", "last week"):
        monday = today - timedelta(days=today.weekday())
        return (
            DateRange(monday, _later(monday, 7 * day))
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
        return DateRange(datetime(y, 1, 1, tzinfo=UTC), _month_start(y + 1, 1))
    m = _RELATIVE.match(text) or _LAST_N.match(text)
    if m:
        return DateRange(_ago(spec, m[1], m[2], now), now)
    raise DateSpecError(f"{spec!r} is not a date", hint=HELP)


def _ago(spec: str, count: str, unit: str, now: datetime) -> datetime:
    """`count` `unit`s before now; a DateSpecError when that is before 0001-01-01."""
    furthest = (now - _EARLIEST).days
    digits = count.lstrip("0") or "0"  # more digits than any span of days has: too far
    days = int(digits) * _UNIT_DAYS[unit[0]] if len(digits) <= len(str(furthest)) else furthest + 1
    if days > furthest:
        raise DateSpecError(
            f"{spec!r} reaches back before {MIN_YEAR:04d}-01-01",
            hint=f"go back at most {furthest:,} days; {RANGE_HINT}",
        )
    return now - timedelta(days=days)


def parse_range(spec: str, now: datetime) -> DateRange:
    """A date filter: one span, a range `A to B`, or a comparison `>A`."""
    text = spec.strip()
    if text.startswith(("[", "{")) and text.endswith(("]", "}")):
        text = text[1:-1].strip()
    for op in (">=", "<=", ">", "<"):
        if text.startswith(op):
            rest = text[len(op) :].strip()
            if not rest:
                raise DateSpecError(f"{spec!r}: nothing after {op}", hint=HELP)
            s = span(rest, now)
            if rest.startswith("-") or _RELATIVE.match(rest.lower()):
                point = s.start  # "-30d" is a moment: 30 days ago
                s = DateRange(point, point)
            if op == ">" and s.end is None:
                raise DateSpecError(f"{spec!r}: no date comes after it", hint=RANGE_HINT)
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
        raise DateSpecError(f"{spec!r} is empty", hint=HELP)
    return span(text, now)


def as_bound(value: date | datetime | str | None, now: datetime, *, end: bool) -> datetime | None:
    """A `since` (end=False) or `until` (end=True) argument as a UTC instant (until: exclusive;
    None when it is open)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        try:
            dt = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:
            raise DateSpecError(f"{value.isoformat()} is out of range", hint=RANGE_HINT) from None
        return _later(dt, timedelta(microseconds=1)) if end else dt
    if isinstance(value, date):
        start = datetime(value.year, value.month, value.day, tzinfo=UTC)
        return _later(start, timedelta(days=1)) if end else start
    s = span(value, now)
    if _RELATIVE.match(value.strip().lower()):
        return s.start  # "30d" is a moment: 30 days ago
    return s.end if end else s.start
