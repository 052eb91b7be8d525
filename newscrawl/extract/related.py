"""A VSB related-articles box (the JSON its script fetches) to the article URLs it names."""
from __future__ import annotations

import json

from newscrawl.extract.text import join_url


def related_links(text: str, base_url: str) -> tuple[list[str], int]:
    """The absolute URLs the box lists, in order, and how many entries were unusable (not
    an object with a ``url``, or a URL no parser accepts). Unreadable JSON lists nothing."""
    try:
        entries = json.loads(text)
    except ValueError:
        return [], 0
    if not isinstance(entries, list):
        return [], 1
    urls, skipped = [], 0
    for entry in entries:
        href = entry.get("url") if isinstance(entry, dict) else None
        url = join_url(base_url, href) if isinstance(href, str) else None
        if url:
            urls.append(url)
        else:
            skipped += 1
    return urls, skipped
