"""What one crawl run visits, from the spider arguments: the three ways people run NewsCrawl.

- cron (the default): incremental; stop walking a column at the first list page that holds
  nothing new, fetch only articles the archive does not hold;
- backfill (``since``/``until``, or ``full``): walk the columns' pagination as far as the
  range needs, still fetching only what the archive lacks;
- refresh (``refresh_days``): also re-visit archived articles of the last N days, to record
  new view counts and catch edits.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_DAY = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
# related=: which related-article links a run follows. `all` unless the run is limited (to
# columns, pages or dates): then `0`, so a limited crawl stays as limited as it was asked
# to be. `same-column` follows them only into the columns being crawled.
RELATED = ("all", "same-column", "0")


@dataclass(frozen=True)
class CrawlPlan:
    columns: tuple[str, ...] = ()
    max_pages: int | None = None
    since: date | None = None
    until: date | None = None
    full: bool = False
    refresh_days: int | None = None
    related: str = "all"

    @classmethod
    def from_arguments(cls, columns=None, max_pages=None, since=None, until=None, full=None, refresh_days=None,
                       related=None):
        """Validate spider arguments (strings from ``-a``); a bad one is a one-line ValueError.
        Dates may be YYYY, YYYY-MM or YYYY-MM-DD: ``since`` is the first day they name,
        ``until`` the last."""
        plan = cls(
            columns=tuple(s.strip() for s in (columns or "").split(",") if s.strip()),
            max_pages=_positive_int("max_pages", max_pages),
            since=_date("since", since),
            until=_date("until", until, last=True),
            full=_flag("full", full),
            refresh_days=days_back("refresh_days", refresh_days),
        )
        limited = bool(plan.columns or plan.max_pages or plan.since or plan.until)
        chosen = str(related).strip().lower() if related not in (None, "") else ("0" if limited else "all")
        if chosen not in RELATED:
            raise ValueError(f"related must be one of {', '.join(RELATED)}, got {related!r}")
        plan = replace(plan, related=chosen)
        if plan.since and plan.until and plan.since > plan.until:
            raise ValueError(f"since ({plan.since}) is after until ({plan.until})")
        return plan

    @property
    def walks_everything(self) -> bool:
        """Backfills walk past pages that hold nothing new; cron runs stop there."""
        return self.full or self.since is not None or self.until is not None

    def wants(self, published_at: str | None) -> bool:
        """Is an article published at ``published_at`` (ISO, or None if unknown) in range?"""
        if not published_at:
            return True  # no date on the list: let the article page decide
        day = date.fromisoformat(published_at[:10])
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def past_range(self, published: list[str]) -> bool:
        """True when a list page is entirely older than ``since``: deeper pages are older still."""
        return bool(self.since and published and max(p[:10] for p in published) < self.since.isoformat())

    def refresh_since(self, now: datetime | None = None) -> str | None:
        if not self.refresh_days:
            return None
        now = now or datetime.now(timezone(timedelta(hours=8)))
        return (now - timedelta(days=self.refresh_days)).isoformat(timespec="seconds")


# Days back a refresh may reach: far past any portal's first article, and short of the
# earliest date Python can count back to (a larger number was a traceback mid-run).
MAX_DAYS = 36_500


def _positive_int(name: str, value, most: int | None = None) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1, got {number}")
    if most is not None and number > most:
        raise ValueError(f"{name} must be at most {most}, got {number}")
    return number


def days_back(name: str, value) -> int | None:
    """A number of days to look back (``refresh_days``, ``days``), 1 to MAX_DAYS."""
    return _positive_int(name, value, MAX_DAYS)


def _date(name: str, value, *, last: bool = False) -> date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a day: the first it names, or the last."""
    if value in (None, ""):
        return None
    match = _DAY.fullmatch(str(value).strip())
    try:
        if not match or not str(value).strip().isascii():
            raise ValueError
        year, month, day = int(match[1]), match[2], match[3]
        if month is None:
            return date(year, 12, 31) if last else date(year, 1, 1)
        if day is None:
            return date(year, int(month), calendar.monthrange(year, int(month))[1] if last else 1)
        return date(year, int(month), int(day))
    except ValueError:
        raise ValueError(f"{name} must be a date like 2015, 2015-03 or 2015-03-01, got {value!r}") from None


def _flag(name: str, value) -> bool:
    text = str(value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be 1 or 0, got {value!r}")
