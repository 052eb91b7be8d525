"""Publication dates in the forms VSB portals print them, to ISO 8601 in the portal's zone."""
from __future__ import annotations

import datetime
import re
import zoneinfo
from functools import lru_cache

import dateparser

# 2024-12-20 17:19, 2024/12/20, 2024年12月20日 17:19:05, [2024-12-20], 2024.12.20, and the
# ISO form of <meta>/<time> (2024-04-23T10:05:00+08:00) with its offset.
DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:(?P<T>T)|\s*)(?P<H>\d{1,2})[:：时](?P<M>\d{2})(?:[:：分](?P<S>\d{2}))?"
    # An offset only after the ISO "T": "17:19-18:30" is a time range, not a zone.
    r"(?(T)(?:\.\d+)?(?P<tz>Z|[+-]\d{2}:?\d{2}(?!\d))?))?"
)


def find_date(text: str) -> str | None:
    """The first date-looking substring of ``text``, as printed (the raw value we keep)."""
    m = DATE_RE.search(text or "")
    return m.group(0).strip() if m else None


def date_precision(raw: str) -> str | None:
    """How much of the moment ``raw`` prints: day, minute or second (None if no date).

    A day-only date parses to midnight; this is what tells it from a page that prints 00:00.
    """
    m = DATE_RE.search(raw or "")
    if not m:
        return None
    return "second" if m["S"] else "minute" if m["M"] else "day"


@lru_cache(maxsize=4096)
def parse_date(raw: str, timezone: str = "Asia/Shanghai") -> str | None:
    """``raw`` as ISO 8601 with the portal's UTC offset, or None if it is not a date.

    The printed form is first rewritten to one unambiguous layout, then dateparser does
    the calendar and time-zone work (DST-free zones, offsets, validation of 2月30日).
    """
    m = DATE_RE.search(raw or "")
    if not m:
        return None
    y, mo, d = m["y"], int(m["m"]), int(m["d"])
    hh, mm, ss = int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0)
    fast = None if m["tz"] else _in_zone(int(y), mo, d, hh, mm, ss, timezone)
    if fast is not None:
        return fast
    # A printed offset says which zone the time is in; the result is still in the portal's.
    zone = {"TIMEZONE": m["tz"].replace("Z", "+00:00"), "TO_TIMEZONE": timezone} if m["tz"] else {"TIMEZONE": timezone}
    parsed = dateparser.parse(
        f"{y}-{mo:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}",
        date_formats=["%Y-%m-%d %H:%M:%S"],
        settings={**zone, "RETURN_AS_TIMEZONE_AWARE": True},
    )
    return parsed.isoformat() if parsed else None


def _in_zone(y: int, mo: int, d: int, hh: int, mm: int, ss: int, timezone: str) -> str | None:
    """What dateparser answers for a valid date of ``_FIXED_YEARS`` in a zone that kept one
    offset through them (Asia/Shanghai: +08:00 since 1992), worked out directly: dateparser
    looked the zone's name up in the regular expressions of every zone, each time, a
    quarter of an article's extraction. None: ask dateparser."""
    zone = _fixed_zone(timezone) if y in _FIXED_YEARS else None
    if zone is None:
        return None
    try:
        return datetime.datetime(y, mo, d, hh, mm, ss, tzinfo=zone).isoformat()
    except ValueError:
        return None


_FIXED_YEARS = range(1992, 2040)


@lru_cache(maxsize=64)
def _fixed_zone(name: str) -> datetime.timezone | None:
    """The zone ``name`` as one fixed offset, if it had only one in ``_FIXED_YEARS``; None for
    zones with daylight saving time then, or names zoneinfo does not know."""
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    offsets = {datetime.datetime(year, month, 1, tzinfo=zone).utcoffset() for year in _FIXED_YEARS for month in range(1, 13)}
    return datetime.timezone(offsets.pop()) if len(offsets) == 1 else None


# A WebPlus article URL (/2025/0430/c1002a213245/page.htm) carries the day the article was
# made in the CMS. That is not when it was published (an editor sets that, and may backdate
# it), so it is never taken as published_at; it only tells a date guessed from the body's
# text apart from the dates a notice mentions (a deadline, an event).
_URL_DAY = re.compile(r"/((?:19|20)\d{2})/(\d{2})(\d{2})/c\d+a\d+/page\.(?:htm|psp)\b")
GUESS_WINDOW = datetime.timedelta(days=31)


def url_day(url: str) -> datetime.date | None:
    """The day a WebPlus article URL says the article was made, or None."""
    m = _URL_DAY.search(url or "")
    if not m:
        return None
    try:
        return datetime.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def fits_url_day(raw: str, url: str) -> bool:
    """Can ``raw``, a date guessed from an article's text, be when the article at ``url`` was
    published? Not before the day its URL says it was made, nor a month after; any date
    fits a URL that says no day."""
    made = url_day(url)
    m = DATE_RE.search(raw or "")
    if made is None or not m:
        return made is None
    try:
        day = datetime.date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return False
    return made <= day <= made + GUESS_WINDOW
