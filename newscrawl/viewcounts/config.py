"""The view-count settings, parsed once: what VIEW_COUNTS and its companions ask for."""
from __future__ import annotations

from dataclasses import dataclass

from newscrawl.viewcounts.browser import chromium_path

MODES = ("auto", "browser", "direct", "off")
BROWSER_MODES = ("auto", "browser")  # the modes that render pages in Chromium


@dataclass(frozen=True)
class ViewCountConfig:
    """What the settings ask for; how counts are read at the moment is `ReaderState`'s."""

    mode: str = "auto"  # VIEW_COUNTS, one of MODES
    recheck_every: int = 100  # every n-th direct reading of ``auto`` is rendered again; 0: never
    # VIEW_COUNTS_RECHECK_MAX: renders a run spends on rechecks; 0: no limit. A counter that
    # tells plain requests other numbers does so from the first, and each render costs
    # Chromium a second of CPU and the portal the page's scripts: a few per run tell.
    recheck_limit: int = 5
    render_timeout: float = 15  # VIEW_COUNTS_RENDER_TIMEOUT, seconds
    pages_per_context: int = 100  # VIEW_COUNTS_PAGES_PER_CONTEXT
    batch_size: int = 50  # VIEW_COUNTS_BATCH_SIZE: counters per batch request; 0 or 1: no batches
    batch_wait: float = 2  # VIEW_COUNTS_BATCH_WAIT: seconds an article no list page named waits for others
    chromium: str | None = None  # PLAYWRIGHT_LAUNCH_OPTIONS' executable_path, for messages

    @classmethod
    def from_settings(cls, settings) -> ViewCountConfig:
        """A VIEW_COUNTS outside MODES is a ValueError: the crawl does not start."""
        mode = str(settings.get("VIEW_COUNTS", "auto")).lower()
        if mode not in MODES:
            raise ValueError(f"VIEW_COUNTS must be one of {', '.join(MODES)}, got {mode!r}")
        share = settings.getfloat("VIEW_COUNTS_RECHECK", 0.01)
        return cls(
            mode=mode,
            recheck_every=round(1 / share) if share > 0 else 0,
            recheck_limit=settings.getint("VIEW_COUNTS_RECHECK_MAX", 5),
            render_timeout=settings.getfloat("VIEW_COUNTS_RENDER_TIMEOUT", 15),
            pages_per_context=settings.getint("VIEW_COUNTS_PAGES_PER_CONTEXT", 100),
            batch_size=settings.getint("VIEW_COUNTS_BATCH_SIZE", 50),
            batch_wait=settings.getfloat("VIEW_COUNTS_BATCH_WAIT", 2),
            chromium=chromium_path(settings),
        )

    def rechecks(self, reads: int, done: int) -> bool:
        """Is the ``reads``-th direct reading rendered again, ``done`` rechecks into the run?"""
        every, limit = self.recheck_every, self.recheck_limit
        return bool(every) and reads % every == 0 and (not limit or done < limit)
