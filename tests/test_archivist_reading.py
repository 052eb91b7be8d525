"""The reading commands checked as an archivist citing sources would: against the bundled
portals' own data, after real crawls (VSB and WebPlus, `--assets`), a second crawl once the
portal changed (new articles, a day later, an edited article) and a `newscrawl counts` refresh."""
from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from newscrawl.cli import cli
from newscrawl.demo import cron_command
from newscrawl.replica import Site, serve
from newscrawl.replica import webplus
from newscrawl.replica.content import ReplicaArticle
from newscrawl.replica.webplus import WebPlusSite
from tests.test_archive_datasette import free_port, get_json, start_datasette, stop

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Portal:
    """A bundled portal as crawled: the site (ground truth), where it was served, its spider."""

    site: Site
    base_url: str
    name: str
    edited: ReplicaArticle

    def urls(self, art: ReplicaArticle) -> list[str]:
        paths = webplus.article_paths(art) if isinstance(self.site, WebPlusSite) else art.paths
        return [self.base_url + p for p in paths]

    def attachments(self, art: ReplicaArticle) -> list[tuple[str, str]]:
        pairs = webplus.attachments(art) if isinstance(self.site, WebPlusSite) else art.attachments
        return [(self.base_url + path, name) for path, name in pairs]

    def body(self, art: ReplicaArticle) -> str:
        return webplus.body_text(art) if isinstance(self.site, WebPlusSite) else art.body_text


def _run(*args: str) -> None:
    done = subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def _edit(site: Site, suffix: str) -> ReplicaArticle:
    """An editor changes an article a few days old: a new title and a paragraph added."""
    newest_first = sorted((a for a in site.articles if a.listed and a.alias_id is None),
                          key=lambda a: a.published, reverse=True)
    art = newest_first[5]
    art.title += suffix
    art.blocks.append(("p", "编者按：本文发布后补充了说明。"))
    return art


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Both bundled portals crawled with --assets, changed, crawled again, counts refreshed."""
    db = tmp_path_factory.mktemp("archivist") / "archive.db"
    vsb, wp = Site(articles=40, seed=1), WebPlusSite(articles=20, seed=5)
    with serve(vsb) as vsb_url, serve(wp) as wp_url:
        _run(*cron_command(vsb_url, db, "--assets"))
        _run(*cron_command(wp_url, db, "--assets", portal="webplus_demo"))
        for site in (vsb, wp):
            site.add_articles(2)
            site.advance_day(2)
        portals = {"xjtu": Portal(vsb, vsb_url, "xjtu", _edit(vsb, "（更新）")),
                   "webplus_demo": Portal(wp, wp_url, "webplus_demo", _edit(wp, "（修订）"))}
        _run(*cron_command(vsb_url, db, "--assets", "--refresh-days", "1000"))
        _run(*cron_command(wp_url, db, "--assets", "--refresh-days", "1000", portal="webplus_demo"))
        vsb.advance_day(1)
        _run(sys.executable, "-m", "newscrawl.cli", "counts", "xjtu", "--db", str(db), "--base-url", vsb_url)
    return db, portals


def newscrawl(db: Path, *args: str):
    result = CliRunner().invoke(cli, [*args, "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def show_json(db: Path, key: str) -> dict:
    return json.loads(newscrawl(db, "show", key, "--json"))


def every_article(portals):
    return [(p, art) for p in portals.values() for art in p.site.articles]


def test_every_field_is_what_the_portal_published(crawled):
    db, portals = crawled
    for portal, art in every_article(portals):
        urls = portal.urls(art)
        record = show_json(db, urls[0])
        where = f"{portal.name} {urls[0]}"
        assert record["portal"] == portal.name, where
        assert record["title"] == art.title, where
        assert {u["url"] for u in record["urls"]} == set(urls), where
        assert sorted(c["column"] for c in record["columns"]) == sorted(art.column_names), where
        # As the page printed it: to the minute, in the portal's zone (Asia/Shanghai, +08:00).
        assert (record["published_at"], record["published_precision"]) == (art.published_iso, "minute"), where
        assert record["source"] == art.source, where
        assert record["credits"] == art.credits, where
        assert record["body_text"] == portal.body(art), where
        assert [(i["url"], i["caption"] or "") for i in record["images"]] == \
            [(portal.base_url + src, caption) for src, caption in art.images], where
        assert [(a["url"], a["name"]) for a in record["attachments"]] == portal.attachments(art), where
        stored = {a["url"]: a for a in record["assets"]}
        assert set(stored) == {i["url"] for i in record["images"]} | {a["url"] for a in record["attachments"]}, where
        assert record["view_count"] == portal.site.view_count(art) == record["view_counts"][-1]["count"], where
        if isinstance(portal.site, Site) and not isinstance(portal.site, WebPlusSite):
            by_id = portal.site.by_id
            assert sorted(record["related"]) == sorted(portal.base_url + by_id[r].path for r in art.related), where


def test_stored_files_are_the_bytes_the_portal_served(crawled):
    db, portals = crawled
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    checked = 0
    for portal, art in every_article(portals):
        record = show_json(db, portal.urls(art)[0])
        for asset in record["assets"]:
            path = urllib.parse.urlsplit(asset["url"])
            status, headers, body = portal.site.handle(path.path + (f"?{path.query}" if path.query else ""))
            (content,) = conn.execute("select content from assets where sha256 = ?", [asset["sha256"]]).fetchone()
            assert content == body and asset["sha256"] == hashlib.sha256(body).hexdigest() and asset["size"] == len(body)
            checked += 1
    assert checked > 10


def test_an_edited_article_keeps_its_earlier_version(crawled):
    db, portals = crawled
    for portal in portals.values():
        record = show_json(db, portal.urls(portal.edited)[0])
        assert record["title"] == portal.edited.title
        (old,) = record["revisions"]
        assert portal.edited.title.startswith(old["title"]) and old["title"] != portal.edited.title
        assert "编者按" not in old["body_text"] and "编者按" in record["body_text"]
        text = newscrawl(db, "show", str(record["id"]))
        assert f"title was: {old['title']}" in text and "+ 编者按：本文发布后补充了说明。" in text


def test_view_counts_over_time_are_each_reading(crawled):
    db, portals = crawled
    vsb = portals["xjtu"]
    for art in [a for a in vsb.site.articles if a.alias_id is None][:10]:
        counts = [v["count"] for v in show_json(db, vsb.urls(art)[0])["view_counts"]]
        step = art.clickid % 7 + 1  # what the replica adds a day
        if art in vsb.site.articles[-2:]:
            continue
        assert counts == [art.base_views, art.base_views + 2 * step, art.base_views + 3 * step]


def test_a_cross_posted_articles_counter_is_one_reading_a_moment(crawled):
    db, portals = crawled
    vsb = portals["xjtu"]
    for art in [a for a in vsb.site.articles if a.alias_id is not None]:
        readings = [(v["observed_at"], v["count"]) for v in show_json(db, vsb.urls(art)[0])["view_counts"]]
        assert len(readings) == len(set(readings)), readings
        assert [count for _, count in readings][-1] == vsb.site.view_count(art)


def test_the_run_history_says_what_each_run_was_and_did(crawled):
    db, portals = crawled
    runs = sorted(json.loads(newscrawl(db, "stats", "--json"))["crawl_runs"], key=lambda r: r["id"])
    assert [(r["portal"], r["kind"]) for r in runs] == [
        ("xjtu", "crawl"), ("webplus_demo", "crawl"), ("xjtu", "refresh 1000 days"),
        ("webplus_demo", "refresh 1000 days"), ("xjtu", "counts")]
    vsb, wp = portals["xjtu"].site, portals["webplus_demo"].site
    assert [r["new_articles"] for r in runs[:4]] == [len(vsb.articles) - 2, len(wp.articles) - 2, 2, 2]
    assert [r["updated_articles"] for r in runs[:4]] == [0, 0, 1, 1]
    assert runs[4]["view_counts_read"] == len(vsb.articles) and runs[4]["status"] == "ok"
    text = newscrawl(db, "stats")
    assert f"#{runs[4]['id']} xjtu counts " in text and f"{len(vsb.articles)} view counts read" in text


def test_search_finds_exactly_the_articles_that_hold_every_term(crawled):
    db, portals = crawled

    def text(portal, art):
        credits = " ".join("、".join(names) for names in art.credits.values())
        return " ".join((art.title, portal.body(art), art.source, credits))

    for query in ("学院", "徐琛", "校", "的", "学术交流会", "天津科创中心", "编者按", "活动 兴庆校区", "没有这样的词语"):
        want = {(p.name, p.urls(a)[0]) for p, a in every_article(portals) if all(t in text(p, a) for t in query.split())}
        hits = json.loads(newscrawl(db, "search", query, "--limit", "1000", "--json"))
        got = set()
        for hit in hits:
            urls = {u["url"] for u in show_json(db, str(hit["id"]))["urls"]}
            got |= {(hit["portal"], u) for u in urls}
        assert {w for w in want} <= got and len(hits) == len(want), query
        if len(want) > 3:
            last = newscrawl(db, "search", query, "--limit", "3").splitlines()[-1]
            assert last == f"3 of {len(want)} articles; --limit {len(want)} shows them all, --offset 3 the next {min(len(want) - 3, 3)}"


def test_show_prints_published_at_as_precisely_as_the_page(crawled):
    """The page printed 2024-12-29 05:56: no seconds it never said, and its zone."""
    db, portals = crawled
    art = portals["xjtu"].site.articles[3]
    text = newscrawl(db, "show", portals["xjtu"].urls(art)[0])
    (line,) = [l for l in text.splitlines() if l.startswith("Published")]
    assert line.split()[-1] == art.published.strftime("%Y-%m-%dT%H:%M+08:00")


def test_show_lists_the_related_articles_by_their_archive_id(crawled):
    db, portals = crawled
    vsb = portals["xjtu"]
    art = next(a for a in vsb.site.articles if len(a.related) >= 2)
    text = newscrawl(db, "show", vsb.urls(art)[0])
    assert "\nRelated articles (" in text
    section = text.split("\nRelated articles (", 1)[1]
    for related_id in art.related:
        related = vsb.site.by_id[related_id]
        archive_id = show_json(db, vsb.base_url + related.path)["id"]
        assert f"#{archive_id}  {related.title}" in section
    record = show_json(db, vsb.urls(art)[0])
    assert {r["url"] for r in record["related_articles"]} == set(record["related"])
    assert all(r["id"] and r["title"] for r in record["related_articles"])


def test_csv_says_how_precise_each_date_is(crawled, tmp_path):
    db, portals = crawled
    newscrawl(db, "export", "--format", "csv", "-o", str(tmp_path / "a.csv"))
    with open(tmp_path / "a.csv", encoding="utf-8-sig", newline="") as fp:
        rows = list(csv.DictReader(fp))
    assert len(rows) == sum(len(p.site.articles) for p in portals.values())
    assert {r["published_precision"] for r in rows} == {"minute"}


def test_jsonl_export_is_show_json_line_by_line(crawled, tmp_path):
    db, _ = crawled
    newscrawl(db, "export", "--format", "jsonl", "-o", str(tmp_path / "a.jsonl"))
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["published_at"] for r in records] == sorted(r["published_at"] for r in records)
    for record in records[::7]:
        assert record == show_json(db, str(record["id"]))


@pytest.fixture(scope="module")
def reading_room(crawled):
    db, portals = crawled
    proc, base = start_datasette(db, free_port())
    try:
        yield base + "/" + db.stem, db, portals
    finally:
        stop(proc)


def _count(url: str) -> int:
    return get_json(url)["filtered_table_rows_count"]


def test_reading_room_column_counts_every_article_posted_under_it(reading_room):
    """A cross-posted article is under both its columns, in Datasette as in `newscrawl search`."""
    base, db, portals = reading_room
    art = next(a for a in portals["xjtu"].site.articles if a.alias_id is not None)
    second = art.column_names[1]
    data = get_json(f"{base}/articles.json?_size=0")
    facet = {v["value"]: v["count"] for v in data["facet_results"]["column"]["results"]}
    cli_total = int(newscrawl(db, "search", "--column", second, "--limit", "1").splitlines()[-1].split()[2])
    assert facet[second] == cli_total
    toggle = next(v["toggle_url"] for v in data["facet_results"]["column"]["results"] if v["value"] == second)
    assert "_column=" + urllib.parse.quote(second) in toggle
    listed = get_json(f"{base}/articles.json?_column={urllib.parse.quote(second)}&_size=max&_col=title&_shape=objects")
    assert listed["filtered_table_rows_count"] == cli_total
    assert art.title in {row["title"] for row in listed["rows"]}


def test_reading_room_article_page_links_each_column_and_related_article(reading_room):
    base, db, portals = reading_room
    vsb = portals["xjtu"]
    art = next(a for a in vsb.site.articles if a.alias_id is not None and a.related)
    record = show_json(db, vsb.urls(art)[0])
    page = urllib.request.urlopen(f"{base}/articles/{record['id']}").read().decode()
    for column in art.column_names:
        href = re.search(rf'<a href="([^"]+)">{column}</a>', page)[1]
        rows = get_json(base + "/articles.json" + href.split("/articles", 1)[1].replace("&amp;", "&") + "&_size=max&_shape=objects")
        assert record["id"] in [row["id"] for row in rows["rows"]], column
    for related in record["related_articles"]:
        assert f'href="/{db.stem}/articles/{related["id"]}"' in page
    assert art.published.strftime("%Y-%m-%d %H:%M") in page
