"""Workers on Redis and one writer (newscrawl/cluster/): real redis-server, real worker and
writer processes, the bundled portal on 127.0.0.1 with latency."""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from newscrawl.cluster import keys as k
from newscrawl.cluster.local import redis_server
from newscrawl.cluster.writer import Writer
from newscrawl.demo import cron_command
from newscrawl.replica import Site, serve
from tests.conftest import ROOT, open_db

pytestmark = pytest.mark.skipif(not Path("/usr/bin/redis-server").exists() and not os.path.exists("/usr/local/bin/redis-server"),
                                reason="redis-server is not installed (.ci/run installs it)")

QUEUE = k.QUEUE_KEY % {"spider": "xjtu"}
LEASE = "3"  # seconds: a killed worker's requests come back quickly


def start_worker(base_url: str, url: str, tmp_path: Path, *extra: str) -> subprocess.Popen:
    """`newscrawl crawl xjtu --redis URL` as a worker; its --db must never be opened."""
    cmd = cron_command(base_url, tmp_path / "worker-never-opens.db", "--redis", url, "-s", "VIEW_COUNTS=direct",
                       "-s", f"CLUSTER_LEASE={LEASE}", "-s", "CLUSTER_WRITER_WAIT=60", *extra)
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def start_writer(url: str, db: Path, *, until_done: bool = True) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "newscrawl.cli", "ingest", "--redis", url, "--db", str(db)]
    return subprocess.Popen(cmd + (["--until-done"] if until_done else []), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition, seconds: float = 60, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"{what} not reached within {seconds} s")


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def crawl(base_url: str, url: str, db: Path, tmp_path: Path, workers: int, *extra: str):
    """One cluster run: the writer (seeding Redis first), then ``workers`` workers; returns
    the workers' summary lines and the writer's."""
    writer = start_writer(url, db)
    client = redis.StrictRedis.from_url(url)
    wait_for(lambda: client.exists(k.SEEDED), what="the writer seeding Redis")
    procs = [start_worker(base_url, url, tmp_path, "-v", *extra) for _ in range(workers)]
    lines = []
    for proc in procs:
        code, _, err = finish(proc)
        assert code == 0, err[-3000:]
        lines.append(next(line for line in err.splitlines() if line.startswith("newscrawl: xjtu run")))
    code, out, err = finish(writer)
    assert code == 0, err[-3000:]
    return lines, out


def article_paths(site: Site) -> dict[str, int]:
    return {path: n for path, n in site.requests.items() if path.startswith("/info/")}


@pytest.fixture(scope="module")
def cluster_crawl(tmp_path_factory):
    """Three workers and one writer crawl a portal of 120 articles (50 ms per article page)."""
    tmp_path = tmp_path_factory.mktemp("cluster")
    site = Site(articles=120, seed=3, latency=0.05)
    db = tmp_path / "cluster.db"
    with redis_server() as url, serve(site) as base_url:
        lines, writer_line = crawl(base_url, url, db, tmp_path, 3)
        yield site, base_url, url, db, tmp_path, lines, writer_line


def test_three_workers_archive_every_article_once(cluster_crawl):
    site, base_url, url, db, tmp_path, lines, writer_line = cluster_crawl
    archive = open_db(db)
    assert archive.execute("select count(*) from articles").fetchone()[0] == len(site.articles) == 120
    # The portal saw each article URL once, whichever worker asked.
    paths = article_paths(site)
    assert paths and set(paths.values()) == {1}
    assert archive.execute("select count(*) from article_urls").fetchone()[0] == len(paths)
    # The workers' summaries add up to the archive's run, which the writer recorded.
    new = sum(int(line.split(" ok: ")[1].split(" new")[0]) for line in lines)
    assert new == 120, lines
    run = archive.execute("select status, new_articles, duplicate_articles, requests from crawl_runs").fetchall()
    assert len(run) == 1 and run[0][:2] == ("ok", 120) and run[0][3] == sum(site.requests.values())
    assert "120 new" in writer_line
    # Workers never open the archive.
    assert not (tmp_path / "worker-never-opens.db").exists()
    assert archive.execute("pragma integrity_check").fetchone()[0] == "ok"
    client = redis.StrictRedis.from_url(url)
    assert client.llen(k.OUTBOX) == client.llen(k.PROCESSING) == 0
    assert client.zcard(QUEUE + ":leases") == client.zcard(QUEUE) == 0


def test_a_second_run_fetches_no_article_again(cluster_crawl):
    site, base_url, url, db, tmp_path, _, _ = cluster_crawl
    before = dict(site.requests)
    articles_before = article_paths(site)
    redis.StrictRedis.from_url(url).flushall()  # a new Redis: the writer tells it what the archive holds
    lines, _ = crawl(base_url, url, db, tmp_path, 2)
    assert article_paths(site) == articles_before  # no article page asked for again
    assert any(n > before.get(path, 0) for path, n in site.requests.items() if path.startswith("/index/"))  # list pages were
    assert all(" 0 new" in line for line in lines), lines
    # (A worker that starts after the others ended the run starts the next one: one more
    # walk of the list pages, and again nothing new.)
    runs = open_db(db).execute("select status, new_articles from crawl_runs order by id").fetchall()
    assert runs[0] == ("ok", 120) and set(runs[1:]) == {("ok", 0)}, runs


def test_killed_worker_and_writer_lose_and_double_nothing(tmp_path):
    site = Site(articles=150, seed=11, latency=0.1)
    db = tmp_path / "cluster.db"
    with redis_server() as url, serve(site) as base_url:
        client = redis.StrictRedis.from_url(url)
        writer = start_writer(url, db, until_done=False)
        wait_for(lambda: client.exists(k.SEEDED), what="the writer seeding Redis")
        doomed, survivor = (start_worker(base_url, url, tmp_path) for _ in range(2))
        run_new = lambda: sum(int(client.hget(key, "new") or 0) for key in client.keys(f"{k.PREFIX}:xjtu:run:*"))  # noqa: E731
        wait_for(lambda: run_new() >= 30, what="30 articles archived")
        doomed.send_signal(signal.SIGKILL)
        writer.send_signal(signal.SIGKILL)
        doomed.wait(), writer.wait()
        leased = client.zcard(QUEUE + ":leases")  # the dead worker's, and the survivor's
        assert leased or client.zcard(QUEUE)
        # A new writer; a new worker joins the run and takes the dead worker's requests when their leases expire.
        writer = start_writer(url, db)
        late = start_worker(base_url, url, tmp_path)
        for proc in (survivor, late):
            code, _, err = finish(proc)
            assert code == 0, err[-3000:]
        code, _, err = finish(writer)
        assert code == 0, err[-3000:]
        assert client.llen(k.OUTBOX) == client.llen(k.PROCESSING) == 0
    archive = open_db(db)
    assert archive.execute("select count(*) from articles").fetchone()[0] == 150
    assert archive.execute("pragma integrity_check").fetchone()[0] == "ok"
    # Every URL the portal served is one article's; no article stored twice under two rows.
    served = {base_url + p for p in article_paths(site)}
    stored = {r[0] for r in archive.execute("select url from article_urls")}
    assert stored == served
    assert archive.execute("select count(*) from (select content_hash from articles group by content_hash having count(*) > 1)"
                           ).fetchone()[0] == 0
    # Only what the killed worker had in progress (leased) was fetched again.
    again = [p for p, n in article_paths(site).items() if n > 1]
    assert len(again) <= leased and max(article_paths(site).values()) <= 2


def test_a_restarted_writer_does_not_store_twice_what_it_had_committed(tmp_path):
    """The window of a writer killed after its SQLite commit and before it let the entry go."""
    from tests.archive_data import make_articles

    db = tmp_path / "cluster.db"
    with redis_server() as url:
        client = redis.StrictRedis.from_url(url)
        article = make_articles()[0]
        article.view_count, article.view_count_method = 100, "direct"  # a replay would add a second reading
        entry = pickle.dumps({"kind": "article", "portal": "xjtu", "spider": "xjtu", "run": "xjtu#1", "worker": "w",
                              "article": article, "sent_at": 0})
        client.lpush(k.PROCESSING, entry)  # taken by the killed writer …
        first = Writer(url, str(db))
        first.open()
        first.archive.save(article)  # … which committed it, and was killed
        first.close()
        writer = Writer(url, str(db))
        writer.open()
        client.lpush(k.OUTBOX, pickle.dumps({"kind": "worker_finished", "portal": "xjtu", "spider": "xjtu",
                                             "run": "xjtu#1", "worker": "w", "requests": 1, "failures": {},
                                             "status": "ok", "reason": ""}))
        report = writer.drain(until_idle=True, idle_seconds=0)
        writer.close()
        assert report.replayed == 1 and not report.results
        assert client.llen(k.PROCESSING) == 0
    archive = open_db(db)
    for table in ("articles", "article_urls", "view_counts", "pages"):
        assert archive.execute(f"select count(*) from {table}").fetchone()[0] == 1, table


def test_the_portal_sees_its_rate_limit_across_all_workers(tmp_path):
    rate = 5  # requests a second: DOWNLOAD_DELAY 0.2 s, for the cluster as a whole
    site = Site(articles=12, seed=5)
    with redis_server() as url, serve(site) as base_url:
        crawl(base_url, url, tmp_path / "cluster.db", tmp_path, 3, "-s", f"DOWNLOAD_DELAY={1 / rate}",
              "-s", "RANDOMIZE_DOWNLOAD_DELAY=False")
    times = sorted(t for t, _ in site.request_log)
    assert len(times) > 6 * rate
    # Three workers, each free to send `rate` a second, send that many together. (A
    # request leaves its worker a little after its reserved moment when that worker is
    # busy parsing, so the next one may follow it closer: one such request fits in any
    # span on top of the rate.)
    assert len(times) <= (times[-1] - times[0]) * rate + 2
    window = 5.0
    busiest = max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))
    assert busiest <= window * rate + 1, busiest


def test_an_unreachable_redis_is_one_line_and_exit_1(tmp_path):
    nowhere = "redis://127.0.0.1:1/0"
    worker = subprocess.run([sys.executable, "-m", "newscrawl.cli", "crawl", "xjtu", "--redis", nowhere, "--db",
                             str(tmp_path / "x.db"), "--base-url", "http://127.0.0.1:1"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert worker.returncode == 1 and "cannot reach Redis at redis://127.0.0.1:1/0" in worker.stderr
    assert len(worker.stderr.strip().splitlines()) == 1, worker.stderr
    writer = subprocess.run([sys.executable, "-m", "newscrawl.cli", "ingest", "--redis", nowhere, "--db",
                             str(tmp_path / "x.db")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert writer.returncode == 1 and writer.stderr.startswith("newscrawl ingest: cannot reach Redis")
    assert not (tmp_path / "x.db").exists()


def test_the_portal_never_sees_more_than_its_concurrency_across_all_workers(tmp_path):
    limit = 2  # CONCURRENT_REQUESTS_PER_DOMAIN: each worker alone would send 2 at once, three would send 6
    site = Site(articles=40, seed=7, latency=0.1)
    with redis_server() as url, serve(site) as base_url:
        crawl(base_url, url, tmp_path / "cluster.db", tmp_path, 3, "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={limit}")
        assert not redis.StrictRedis.from_url(url).exists(f"{k.PREFIX}:slots:{base_url.split('//')[1]}")  # all given back
    assert len(open_db(tmp_path / "cluster.db").execute("select id from articles").fetchall()) == 40
    # The portal's own count of requests it was answering at once (latency included).
    assert site.peak_in_flight == limit


def test_a_dead_workers_host_slots_come_back_when_their_leases_run_out():
    from newscrawl.cluster.limiter import _ACQUIRE

    with redis_server() as url:
        client = redis.StrictRedis.from_url(url)
        acquire = client.register_script(_ACQUIRE)
        key = f"{k.PREFIX}:slots:127.0.0.1:8080"
        take = lambda holder, lease_ms=60_000: acquire(keys=[key], args=[2, lease_ms, holder])  # noqa: E731 (limit 2)
        assert take("dead:1", lease_ms=300) == 1 and take("alive:1") == 1
        assert take("alive:2") == 0  # both slots held
        # The dead worker never gives its slot back nor renews it: its lease runs out.
        wait_for(lambda: take("alive:2") == 1, seconds=10, what="the dead worker's slot back")
        assert {m.decode() for m in client.zrange(key, 0, -1)} == {"alive:1", "alive:2"}
