"""Publication dates in the forms VSB portals print them, to ISO 8601 in the portal's zone."""
from __future__ import annotations

import re
from functools import lru_cache

import dateparser

# 2024-12-20 17:19, 2024/12/20, 2024年12月20日 17:19:05, [2024-12-20], 2024.12.20
DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})[:：时](?P<M>\d{2})(?:[:：分](?P<S>\d{2}))?)?"
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
    parsed = dateparser.parse(
        f"{y}-{mo:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}",
        date_formats=["%Y-%m-%d %H:%M:%S"],
        settings={"TIMEZONE": timezone, "RETURN_AS_TIMEZONE_AWARE": True},
    )
    return parsed.isoformat() if parsed else None
