"""`make demo`: a fresh archive and the same figures on every run; the seed article as on the real page."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from lxml import html

from newscrawl.extract.text import text_lines
from newscrawl.replica import SEED, Site

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = 20
PORTAL = re.compile(r"http://127\.0\.0\.1:\d+")
# What the real page prints, written out by hand from the seed page.
CREDITS = {
    "文字": ["校友部", "技术转移中心", "天津滨海新区组织部", "天津校友会"],
    "图片": ["天津电视台", "天津校友会"],
    "编辑": ["徐琛"],
}


def demo(db: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "newscrawl.demo", "--articles", str(ARTICLES), "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    return db, demo(db), demo(db)


def test_every_run_prints_the_same_figures(two_runs):
    _, first, second = two_runs
    assert f"{ARTICLES} articles in" in first and f"{ARTICLES} of {ARTICLES} articles have a view count" in first
    assert PORTAL.sub("PORTAL", first) == PORTAL.sub("PORTAL", second)


def test_a_second_run_starts_from_a_fresh_archive(two_runs):
    db, _, second = two_runs
    with sqlite3.connect(db) as conn:
        urls = [url for (url,) in conn.execute("select url from article_urls")]
        articles = conn.execute("select count(*) from articles").fetchone()[0]
    conn.close()
    # Only the second run's portal: the first run's URLs (another port) are gone.
    assert {PORTAL.match(url).group() for url in urls} == {PORTAL.search(second).group()}
    assert articles == ARTICLES


def test_the_seed_article_is_archived_as_the_real_page_prints_it(two_runs):
    db, _, second = two_runs
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("select a.* from articles a join article_urls u on u.article_id = a.id where u.url = ?",
                           [PORTAL.search(second).group() + SEED.path]).fetchone()
        credit_rows = conn.execute("select role, name from credits where article_id = ? order by role, position",
                                   [row["id"]]).fetchall()
    conn.close()
    assert row["body_text"].startswith("为深化校地企一体联动")
    assert json.loads(row["credits"]) == CREDITS
    assert len(credit_rows) == 7
    assert '"编辑": ["徐琛"]' in second and "body_text: 为深化校地企一体联动" in second


def test_the_seed_page_reads_as_the_real_one():
    """The portal's seed page, read line by line from the breadcrumb to the 相关文章 box, is
    the text of the real page (seed_article.txt, copied from it): headings, credits and all."""
    page = html.fromstring(Site(articles=5).handle(SEED.path)[2].decode("utf-8"))
    real = resources.files("newscrawl.replica").joinpath("seed_article.txt").read_text(encoding="utf-8")
    assert text_lines(page.find_class("main")[0]) == [line for line in real.split("\n") if line]


def test_the_seed_page_marks_up_headings_and_credits_as_vsb_does():
    body = Site(articles=5).handle(SEED.path)[2].decode("utf-8")
    assert '<p style="text-indent:2em;"><strong>启动科创中心,推进校地高质量发展</strong></p>' in body
    assert ('<p style="text-align: right;">文字:校友部、技术转移中心、天津滨海新区组织部、天津校友会<br>'
            "图片:天津电视台、天津校友会<br>编辑:徐琛</p>") in body
    assert "<img" not in body.split('id="vsb_content"', 1)[1].split("</form>", 1)[0]
