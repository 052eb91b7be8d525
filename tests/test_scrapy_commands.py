"""Scrapy's own commands behave as Scrapy users expect: feed exports write clean articles,
and `shell`, `fetch`, `parse`, `check` work against the bundled portal without ever
touching the archive (only a crawl archives)."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from newscrawl.demo import SEED_PATH, crawl_command
from newscrawl.items import EXPORTED_FIELDS
from newscrawl.replica import Site, serve
from tests.conftest import ROOT, open_db


@pytest.fixture(scope="module")
def portal():
    with serve(Site(articles=40, seed=4)) as base_url:
        yield base_url


def scrapy(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_feed_exports_write_every_archived_article_as_data(portal, tmp_path):
    db = tmp_path / "news.db"
    done = subprocess.run(crawl_command(portal, db, "-s", "VIEW_COUNTS=off", "-O", str(tmp_path / "a.jsonl"),
                                        "-O", str(tmp_path / "a.csv")), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "TypeError" not in done.stderr
    # One line per page fetched: an article posted in two columns is two lines, one article.
    archived = {r["url"] for r in open_db(db)["article_urls"].rows}
    lines = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {a["url"] for a in lines} == archived and len(lines) == len(archived)
    assert all(tuple(a) == EXPORTED_FIELDS for a in lines)  # no raw page, no headers
    seed = next(a for a in lines if a["url"].endswith(SEED_PATH))
    assert isinstance(seed["credits"], dict) and seed["credits"]["编辑"] == ["徐琛"]
    rows = list(csv.DictReader((tmp_path / "a.csv").open(encoding="utf-8")))
    assert len(rows) == len(lines)
    seed_row = next(r for r in rows if r["url"].endswith(SEED_PATH))
    assert json.loads(seed_row["credits"]) == seed["credits"]  # JSON, not a Python repr
    assert json.loads(seed_row["images"]) == seed["images"]


def _untouched(tmp_path):
    assert not any(tmp_path.iterdir()), f"the archive was touched: {list(tmp_path.iterdir())}"


def test_shell_reads_a_page_and_leaves_the_archive_alone(portal, tmp_path):
    done = scrapy("shell", portal + SEED_PATH, "-c", "response.css('h1::text, title::text').get()",
                  "-s", f"ARCHIVE_PATH={tmp_path / 'news.db'}", "--nolog")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "天津科创中心" in done.stdout
    _untouched(tmp_path)


def test_fetch_prints_the_page_and_records_no_run(portal, tmp_path):
    done = scrapy("fetch", "--nolog", portal + SEED_PATH, "-s", f"ARCHIVE_PATH={tmp_path / 'news.db'}")
    assert done.returncode == 0 and "天津科创中心" in done.stdout
    _untouched(tmp_path)


def test_parse_dispatches_list_and_article_pages(portal, tmp_path):
    common = ("--spider=xjtu", "-a", f"base_url={portal}", "-s", f"ARCHIVE_PATH={tmp_path / 'news.db'}", "--nolog")
    listing = scrapy("parse", *common, portal + "/index/jdyw.htm")
    assert listing.returncode == 0 and "/info/" in listing.stdout  # the list's article requests
    article = scrapy("parse", *common, "--depth", "2", portal + SEED_PATH)
    assert article.returncode == 0 and "西安交通大学国家技术转移中心天津科创中心启动仪式举行" in article.stdout
    _untouched(tmp_path)


def test_check_runs_the_spider_contracts_on_the_bundled_portal(portal, tmp_path):
    done = scrapy("check", "xjtu", "-a", f"base_url={portal}", "-s", f"ARCHIVE_PATH={tmp_path / 'news.db'}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Ran 3 contracts" in done.stderr and "OK" in done.stderr
    _untouched(tmp_path)


def test_the_same_contracts_hold_on_the_bundled_webplus_portal(tmp_path):
    from newscrawl.replica.webplus import WebPlusSite

    with serve(WebPlusSite(articles=40, seed=4)) as base_url:
        done = scrapy("check", "webplus_demo", "-a", f"base_url={base_url}", "-s", f"ARCHIVE_PATH={tmp_path / 'news.db'}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Ran 3 contracts" in done.stderr and "OK" in done.stderr
