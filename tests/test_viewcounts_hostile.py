"""View counts against a hostile portal: counters answering numbers no count can be, and
article pages whose scripts reach for other hosts. Real crawls, real Chromium, 127.0.0.1 only."""
from __future__ import annotations

import json
import re

import pytest

from newscrawl import settings
from newscrawl.replica import Site, serve
from newscrawl.viewcounts.endpoint import MAX_COUNT
from tests.conftest import open_db, run_crawl
from tests.hostile_portal import recording
from tests.test_viewcounts_e2e import _latest

DYNCLICKS = "/system/resource/code/news/click/dynclicks.jsp"


class HostileSite(Site):
    """The bundled portal, with chosen counters answering ``answers[clickid]`` instead of a
    count, ``inject`` (HTML) added to the head of every article page and ``inject_into[path]``
    to the head of one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers: dict[int, str] = {}
        self.inject = ""
        self.inject_into: dict[str, str] = {}

    def _route(self, path, query):
        status, headers, body = super()._route(path, query)
        if path == DYNCLICKS and int(query["clickid"][0]) in self.answers:
            body = self.answers[int(query["clickid"][0])].encode()
        elif path.startswith("/info/"):
            head = self.inject + self.inject_into.get(path, "")
            body = body.replace(b"</head>", head.encode() + b"</head>", 1)
        return status, headers, body


def _counts(db, base_url, site) -> dict[str, int | None]:
    return {art.path: _latest(db, base_url, art.path) for art in site.articles}


def _stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


# -- numbers no count can be -----------------------------------------------------------------

OUT_OF_RANGE = {"10^30": str(10**30), "2^63": str(2**63), "negative": "-5"}


@pytest.mark.parametrize("mode", ["auto", "browser", "direct"])
def test_a_counter_out_of_range_costs_its_article_its_count_and_nothing_else(tmp_path, mode):
    site = HostileSite(articles=16, seed=4)
    hostile = {name: site.articles[i] for i, name in enumerate([*OUT_OF_RANGE, "garbage"], start=2)}
    biggest = site.articles[9]  # 2^63-1 is the largest count SQLite holds: it is kept
    site.answers = {hostile[name].clickid: answer for name, answer in OUT_OF_RANGE.items()}
    site.answers[hostile["garbage"].clickid] = "NaN"
    site.answers[biggest.clickid] = str(MAX_COUNT)
    assert len({a.clickid for a in [*hostile.values(), biggest]}) == 5
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        done = run_crawl(base_url, db_path, "-s", f"VIEW_COUNTS={mode}", "-s", "VIEW_COUNTS_RENDER_TIMEOUT=2",
                         "-s", "VIEW_COUNTS_RECHECK=0", "-s", "VIEW_COUNTS_BATCH_SIZE=1",  # the single counter is the hostile one
                         failing=True)
    assert "] ERROR:" not in done.stderr and "OverflowError" not in done.stderr  # nothing crashed
    db = open_db(db_path)
    counts = _counts(db, base_url, site)
    failed = {art.path for art in hostile.values()}
    assert {p for p, c in counts.items() if c is None} == failed  # every article is archived
    assert counts[biggest.path] == MAX_COUNT
    assert all(counts[a.path] == site.view_count(a) for a in site.articles if a.path not in failed and a is not biggest)
    failures = {r["url"].removeprefix(base_url): (r["kind"], r["reason"]) for r in db["failures"].rows}
    assert set(failures) == failed and {kind for kind, _ in failures.values()} == {"view_count"}
    for name, answer in OUT_OF_RANGE.items():
        assert f"count {answer} out of range" in failures[hostile[name].path][1]


# -- other origins ---------------------------------------------------------------------------

def _reaching_out(other: str, portal_by_name: str) -> str:
    """What a hostile article page's head asks the browser to fetch from other origins."""
    return f"""
<link rel="stylesheet" href="{other}/style.css"><img src="{other}/pixel.png">
<script src="{other}/x.js"></script>
<script>
fetch("{other}/fetch").catch(() => {{}});
fetch("{portal_by_name}/same-port-other-host").catch(() => {{}});
var x = new XMLHttpRequest(); x.open("GET", "{other}/xhr"); x.send();
navigator.sendBeacon("{other}/beacon", "b");
try {{ new WebSocket("{other.replace('http', 'ws')}/ws"); }} catch (e) {{}}
try {{ new EventSource("{other}/events"); }} catch (e) {{}}
new Worker(URL.createObjectURL(new Blob(['fetch("{other}/worker").catch(() => {{}})'])));
window.open("{other}/popup");
document.addEventListener("DOMContentLoaded", function () {{
  var f = document.createElement("iframe"); f.src = "{other}/frame"; document.body.appendChild(f);
}});
</script>
"""


# The page is served to Chromium from Scrapy's copy, so Chromium takes it for a public page
# and its Local Network Access checks would themselves refuse its requests to other ports of
# 127.0.0.1. A real portal's page asking another public host meets no such check: turned off
# here, so that only our policy and routes stand between the page and the other server.
AS_ON_THE_INTERNET = "PLAYWRIGHT_LAUNCH_OPTIONS=" + json.dumps({
    **settings.PLAYWRIGHT_LAUNCH_OPTIONS,
    "args": [*settings.PLAYWRIGHT_LAUNCH_OPTIONS["args"], "--disable-features=LocalNetworkAccessChecks"],
})


def test_a_rendered_page_reaches_only_its_own_origin(tmp_path):
    site = HostileSite(articles=12, seed=6)
    runaway = site.articles[5]  # its page sends the whole tab elsewhere before the count comes
    db_path = tmp_path / "news.db"
    with recording() as other, serve(site) as base_url:
        here, there = base_url.rsplit(":", 1)[1], other.base_url
        site.inject = _reaching_out(there, f"http://localhost:{here}")
        site.inject_into[runaway.path] = f'<script>location.href = "{there}/away";</script>'
        done = run_crawl(base_url, db_path, "-s", "VIEW_COUNTS=browser", "-s", "LOG_LEVEL=INFO",
                         "-s", "VIEW_COUNTS_RENDER_TIMEOUT=3", "-s", AS_ON_THE_INTERNET, failing=True)
    # Not one request reached the other origin. (Chromium may still open a bare TCP connection
    # when a frame or the page starts navigating there, before it is refused: that sends
    # nothing, so only connections that said something count.)
    assert [data for data in other.received if data] == []
    assert not [p for p in site.requests if "same-port-other-host" in p]  # localhost is another host
    db = open_db(db_path)
    counts = _counts(db, base_url, site)
    # The counter, on the page's own origin, is still read; the page that left has no count.
    assert counts == {a.path: None if a is runaway else site.view_count(a) for a in site.articles}
    assert [(r["url"], r["kind"]) for r in db["failures"].rows] == [(base_url + runaway.path, "view_count")]
    rendered = _stat(done.stderr, "newscrawl/view_counts/browser")
    assert rendered >= len({a.clickid for a in site.articles}) - 1
    assert _stat(done.stderr, "newscrawl/view_counts/offsite_aborted") >= 8 * rendered
