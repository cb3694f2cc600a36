"""Typed Wikidata records shared by the EvoWiki readers and builder (fixed interface, see CONTRACTS.md).

Example:
    >>> t = WikidataTime("+1977-00-00T00:00:00Z", 9)
    >>> t.start(), t.end(), t.iso()
    (datetime.date(1977, 1, 1), datetime.date(1977, 12, 31), '1977')
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

_TIME = re.compile(r"^([+-]?)(\d+)-(\d\d)-(\d\d)")


def _parts(value: str) -> tuple[int, int, int]:
    match = _TIME.match(value)
    if match is None:
        raise ValueError(f"not a Wikidata time value: {value!r}")
    sign, year, month, day = match.groups()
    return (-int(year) if sign == "-" else int(year)), int(month), int(day)


def _clamp_year(year: int) -> int:
    return min(max(year, datetime.MINYEAR), datetime.MAXYEAR)


@dataclass(frozen=True, slots=True)
class WikidataTime:
    """A Wikidata time value with its precision (9 = year, 10 = month, 11 = day; lower = decade, century, ...).

    ``start()``/``end()`` give the earliest/latest day the value can mean; years outside 1..9999 are clamped.

    Example:
        >>> WikidataTime("+2012-05-07T00:00:00Z", 11).iso()
        '2012-05-07'
    """

    value: str
    precision: int

    def __post_init__(self) -> None:
        _, month, day = _parts(self.value)  # month/day 00 mean "unknown"; anything past the calendar is malformed
        if month > 12 or day > 31:
            raise ValueError(f"not a Wikidata time value: {self.value!r} (month {month}, day {day})")

    def _span_years(self) -> tuple[int, int]:
        year = _parts(self.value)[0]
        if self.precision >= 9:
            return year, year
        # 8 = decade, 7 = century, 6 = millennium, ... 10**(9 - precision) years
        width = 10 ** (9 - self.precision)
        if self.precision == 8:
            low = year - year % 10
            return low, low + 9
        if self.precision in (
            7,
            6,
        ):  # century/millennium: the dump writes e.g. +1901 or +2000 for the 20th century
            low = ((year - 1) // width) * width + 1
            return low, low + width - 1
        return year - width // 2, year + width // 2

    def start(self) -> datetime.date:
        """Earliest day the value can mean (year precision -> Jan 1; month/day 00 -> 1)."""
        year, month, day = _parts(self.value)
        if self.precision < 9:
            return datetime.date(_clamp_year(self._span_years()[0]), 1, 1)
        year = _clamp_year(year)
        if self.precision == 9 or month == 0:
            return datetime.date(year, 1, 1)
        if self.precision == 10 or day == 0:
            return datetime.date(year, month, 1)
        return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))

    def end(self) -> datetime.date:
        """Latest day the value can mean (year precision -> Dec 31; month precision -> last day of the month)."""
        year, month, day = _parts(self.value)
        if self.precision < 9:
            return datetime.date(_clamp_year(self._span_years()[1]), 12, 31)
        year = _clamp_year(year)
        if self.precision == 9 or month == 0:
            return datetime.date(year, 12, 31)
        last = calendar.monthrange(year, month)[1]
        if self.precision == 10 or day == 0:
            return datetime.date(year, month, last)
        return datetime.date(year, month, min(day, last))

    def iso(self) -> str:
        """``"1977"``, ``"1977-05"`` or ``"1977-05-04"`` by precision (coarser than a year: the year as written)."""
        year, month, day = _parts(self.value)
        text = f"{'-' if year < 0 else ''}{abs(year):04d}"
        if self.precision <= 9 or month == 0:
            return text
        if self.precision == 10 or day == 0:
            return f"{text}-{month:02d}"
        return f"{text}-{month:02d}-{day:02d}"


@dataclass(frozen=True, slots=True)
class Statement:
    """One Wikidata claim with its rank and time qualifiers.

    Example:
        >>> s = Statement("Q7747", "P39", "Q11696", "wikibase-item", "normal", None, None, None, "Q7747$abc")
        >>> s.property, s.value
        ('P39', 'Q11696')
    """

    subject: str
    property: str
    value: str
    value_type: str
    rank: str
    start: WikidataTime | None
    end: WikidataTime | None
    point_in_time: WikidataTime | None
    statement_id: str


@dataclass(frozen=True, slots=True)
class Entity:
    """One Wikidata entity in one language.

    Example:
        >>> Entity("Q42", "Douglas Adams", None, (), 0, None, None, ()).label
        'Douglas Adams'
    """

    id: str
    label: str | None
    description: str | None
    aliases: tuple[str, ...]
    sitelinks: int
    enwiki_title: str | None
    modified: str | None
    statements: tuple[Statement, ...]
