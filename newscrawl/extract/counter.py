"""The page's view-counter script: which endpoint and arguments fill in 浏览量."""
from __future__ import annotations

import re

_DYNCLICKS = re.compile(r"""_showDynClicks\(\s*["'](\w+)["']\s*,\s*["']?(\d+)["']?\s*,\s*["']?(\d+)["']?\s*\)""")


def find_counter(html: str) -> dict | None:
    """The arguments of VSB's ``_showDynClicks(clicktype, owner, clickid)``, if the page has it.

    clickid is not always the article id in the URL (a republished article keeps its old
    counter), so it is read from the script, never derived from the URL.
    """
    m = _DYNCLICKS.search(html)
    if not m:
        return None
    return {"clicktype": m.group(1), "owner": m.group(2), "clickid": m.group(3)}
