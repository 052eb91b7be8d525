"""Several portals in one worker process (`newscrawl crawl xjtu webplus_demo --redis URL`, and
`--url` for a portal with no profile): each its own run, queue and limits in Redis."""
from __future__ import annotations

import subprocess
import sys

import redis

from newscrawl.cluster import keys as k
from newscrawl.cluster.local import redis_server
from newscrawl.demo import LOCAL_OVERRIDES
from newscrawl.replica import Site, WebPlusSite, serve
from tests.conftest import ROOT, open_db
from tests.test_cluster import finish, pytestmark, start_writer, wait_for  # noqa: F401 (pytestmark: skip without redis-server)

PER_PORTAL = 2  # CONCURRENT_REQUESTS_PER_DOMAIN, for the cluster: each worker alone would send 2 to each portal


def worker(url: str, tmp_path, bases: dict[str, str], homes: tuple[str, ...] = ()) -> list[str]:
    """`newscrawl crawl PORTAL... --base-url PORTAL=URL... [--url HOME...] --redis URL`."""
    cmd = [sys.executable, "-m", "newscrawl.cli", "crawl", *bases, "--db", str(tmp_path / "worker-never-opens.db"),
           "--redis", url, "-v"]
    for name, base in bases.items():
        cmd += ["--base-url", f"{name}={base}"]
    for home in homes:
        cmd += ["--url", home]
    settings = {**LOCAL_OVERRIDES, "VIEW_COUNTS": "direct", "CONCURRENT_REQUESTS_PER_DOMAIN": PER_PORTAL,
                "CLUSTER_WRITER_WAIT": 60}
    return cmd + [arg for key, value in settings.items() if key != "LOG_LEVEL" for arg in ("-s", f"{key}={value}")]


def run_cluster(url: str, db, commands: list[list[str]]) -> tuple[list[str], str]:
    """The writer, then a worker per command; their summary lines and the writer's."""
    writer = start_writer(url, db)
    wait_for(lambda: redis.StrictRedis.from_url(url).exists(k.SEEDED), what="the writer seeding Redis")
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for cmd in commands]
    lines = []
    for proc in procs:
        code, _, err = finish(proc)
        assert code == 0, err[-3000:]
        lines += [line for line in err.splitlines() if line.startswith("newscrawl: ")]
    code, out, err = finish(writer)
    assert code == 0, err[-3000:]
    return lines, out


def article_fetches(site: Site) -> dict[str, int]:
    return {path: n for path, n in site.requests.items() if site.is_article_page(path)}


def test_two_workers_given_the_same_two_portals_archive_each_article_once(tmp_path):
    vsb, webplus = Site(articles=40, seed=21, latency=0.05), WebPlusSite(articles=40, seed=22, latency=0.05)
    db = tmp_path / "cluster.db"
    with redis_server() as url, serve(vsb) as vsb_url, serve(webplus) as webplus_url:
        commands = [worker(url, tmp_path, {"xjtu": vsb_url, "webplus_demo": webplus_url}) for _ in range(2)]
        lines, writer_line = run_cluster(url, db, commands)
        client = redis.StrictRedis.from_url(url)
        # Each portal had its own run and queue; both are over and forgotten.
        assert {key.decode() for key in client.scan_iter(match=f"{k.PREFIX}:*:runs")} == {
            f"{k.PREFIX}:xjtu:runs", f"{k.PREFIX}:webplus_demo:runs"}
        assert client.llen(k.OUTBOX) == client.llen(k.PROCESSING) == 0
    archive = open_db(db)
    counts = dict(archive.execute("select portal, count(*) from articles group by portal").fetchall())
    assert counts == {"xjtu": len(vsb.articles), "webplus_demo": len(webplus.articles)} == {"xjtu": 40, "webplus_demo": 40}
    # Every article page fetched once, by whichever worker, on both portals.
    for site in (vsb, webplus):
        fetches = article_fetches(site)
        assert fetches and set(fetches.values()) == {1}, site
        # Each portal kept its own concurrency across both workers (each worker alone would send 2).
        assert site.peak_in_flight == PER_PORTAL
    assert archive.execute("select count(*) from article_urls").fetchone()[0] == sum(len(article_fetches(s)) for s in (vsb, webplus))
    # One summary line per portal per worker, and one archive run per portal, adding them up.
    assert sorted(line.split()[1] for line in lines) == ["webplus_demo", "webplus_demo", "xjtu", "xjtu"], lines
    runs = dict((p, (s, n)) for p, s, n in archive.execute("select portal, status, new_articles from crawl_runs"))
    assert runs == {"xjtu": ("ok", 40), "webplus_demo": ("ok", 40)}
    assert "80 new" in writer_line and archive.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_a_portal_given_by_home_page_is_discovered_once_for_the_cluster(tmp_path):
    """`crawl --url` in two workers: the first discovers the portal, the other reads its
    profile from Redis; the run is the portal's own, named after its host and port."""
    vsb, other = Site(articles=30, seed=23), Site(articles=30, seed=24, latency=0.05)
    db = tmp_path / "cluster.db"
    with redis_server() as url, serve(vsb) as vsb_url, serve(other) as other_url:
        commands = [worker(url, tmp_path, {"xjtu": vsb_url}, (other_url + "/",)) for _ in range(2)]
        lines, _ = run_cluster(url, db, commands)
    name = "portal_127_0_0_1_" + other_url.rsplit(":", 1)[1]
    archive = open_db(db)
    assert dict(archive.execute("select portal, count(*) from articles group by portal").fetchall()) == {
        "xjtu": 30, name: 30}
    assert sum(1 for line in lines if line.startswith(f"newscrawl: {name} run ")) == 2, lines
    # The home page was read once: by the one worker that discovered the portal.
    assert other.requests["/"] == 1
    # A discovered sample article was read by that worker's discovery and once by the crawl.
    assert max(article_fetches(other).values()) == 2 and sum(n == 2 for n in article_fetches(other).values()) <= 4
