"""`newscrawl discover` against both bundled portals on 127.0.0.1: CMS, columns, samples, the profile it writes,
a crawl with that profile, how few requests it made, and one-line errors for hostile home pages."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from newscrawl.cli import cli
from newscrawl.demo import LOCAL_OVERRIDES, crawl_command
from newscrawl.profile import Portal
from newscrawl.replica import COLUMNS, Faults, Site, WebPlusSite, serve
from newscrawl.settings import NEWSCRAWL_CONTACT, USER_AGENT_TEMPLATE
from spiders.webplus_demo import WebplusDemoSpider
from spiders.xjtu import XjtuSpider
from tests.conftest import ROOT, open_db
from tests.hostile_portal import recording

BUNDLED = {"vsb": (Site, XjtuSpider.portal), "webplus": (WebPlusSite, WebplusDemoSpider.portal)}
QUICK = ("-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_BACKOFF_BASE=0")


def watched(site_class):
    """``site_class`` that also notes the User-Agent of every request."""

    class Watched(site_class):
        def handle(self, raw_path, headers=None):
            self.agents = getattr(self, "agents", set()) | {(headers or {}).get("User-Agent")}
            return super().handle(raw_path, headers)

    return Watched


def discover(*args: str):
    return CliRunner().invoke(cli, ["discover", *args], catch_exceptions=False)


@pytest.fixture(scope="module", params=sorted(BUNDLED))
def discovered(request, tmp_path_factory):
    """One bundled portal, served, discovered once with --write --json: (cms, site, base_url,
    what discover printed, the profile's directory)."""
    site_class, _ = BUNDLED[request.param]
    site = watched(site_class)(articles=40, seed=5)
    out = tmp_path_factory.mktemp("profiles")
    with serve(site) as base_url:
        result = discover(base_url + "/", "--name", f"found_{request.param}", "--write", "--spiders-dir", str(out),
                          "--json", *QUICK)
        assert result.exit_code == 0, result.output
        yield request.param, site, base_url, json.loads(result.stdout), out


def load_profile(path) -> type:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return next(v for v in vars(module).values() if isinstance(v, type) and getattr(v, "name", None) == path.stem)


def test_discover_recognises_the_cms_and_finds_every_column(discovered):
    cms, site, base_url, found, _ = discovered
    bundled = BUNDLED[cms][1]
    assert (found["cms"], found["recognised_by"], found["title"]) == (cms, "markers", bundled.title)
    assert [(c["name"], c["path"], c["list_url"]) for c in found["columns"]] == [
        (c.name, c.path, f"{base_url}/{c.path}") for c in bundled.columns]
    assert found["skipped"] == []


def test_each_sample_is_the_first_listed_article_and_extracts(discovered):
    cms, site, base_url, found, _ = discovered
    column_id = {c.name: c.id for c in COLUMNS}
    for column in found["columns"]:
        newest_path, newest = site.lists[column_id[column["name"]]][0]  # first on the column's first list page
        assert column["sample_url"] == base_url + newest_path
        assert (column["sample_title"], column["sample_error"]) == (newest.title, "")


def test_requests_stayed_on_the_portal_were_few_and_named_newscrawl(discovered):
    cms, site, base_url, found, _ = discovered
    columns = found["columns"]
    expected = {"/robots.txt", "/"} | {"/" + c["path"] for c in columns} | {
        c["sample_url"].removeprefix(base_url) for c in columns}
    assert dict(site.requests) == {path: 1 for path in expected}  # the replica's own request log
    assert len(found["requests"]) == 2 + 2 * len(columns) == 10
    assert site.agents == {USER_AGENT_TEMPLATE.format(contact=NEWSCRAWL_CONTACT)}


def test_written_profile_imports_and_has_the_bundled_columns(discovered):
    cms, site, base_url, found, out = discovered
    spider = load_profile(out / f"found_{cms}.py")
    portal, bundled = spider.portal, BUNDLED[cms][1]
    assert isinstance(portal, Portal) and spider.name == portal.name == f"found_{cms}"
    assert (portal.cms, portal.columns, portal.base_url, portal.title) == (cms, bundled.columns, base_url, bundled.title)
    assert portal.sample_article == found["columns"][0]["sample_url"].removeprefix(base_url + "/")
    assert (out / f"found_{cms}.py").read_text(encoding="utf-8").startswith('"""' + bundled.title)


def test_scrapy_list_shows_the_written_profile_and_its_contracts_pass(discovered):
    cms, _, _, _, out = discovered
    done = subprocess.run([sys.executable, "-m", "scrapy", "list", "-s", f"SPIDER_MODULES=spiders,found_{cms}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=_path(out))
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"found_{cms}" in done.stdout.split() and "xjtu" in done.stdout.split()
    # Scrapy's contracts (newscrawl/contracts.py) read the profile's sample article and a list page.
    checked = subprocess.run([sys.executable, "-m", "scrapy", "check", f"found_{cms}", "-s", f"SPIDER_MODULES=spiders,found_{cms}",
                              "-s", "DOWNLOAD_DELAY=0"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=_path(out))
    assert checked.returncode == 0 and "OK" in checked.stderr, checked.stderr[-2000:]


def _path(*dirs) -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*map(str, dirs), str(ROOT)])}


def test_a_crawl_with_the_written_profile_archives_the_portal(tmp_path):
    site = Site(articles=40, seed=6)
    with serve(site) as base_url:
        assert discover(base_url + "/", "--name", "found", "--write", "--spiders-dir", str(tmp_path), *QUICK).exit_code == 0
        db = tmp_path / "news.db"
        done = subprocess.run(crawl_command(base_url, db, "-s", "VIEW_COUNTS=off", "-s", "SPIDER_MODULES=spiders,found",
                                            spider="found"),
                              cwd=ROOT, capture_output=True, text=True, timeout=300, env=_path(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    archived = {r["url"] for r in open_db(db).query("select url from article_urls")}
    assert {base_url + art.path for art in site.articles} <= archived  # related-only ones too: the box was found
    assert any(not art.listed for art in site.articles)
    assert {r["portal"] for r in open_db(db)["articles"].rows} == {"found"}


def test_spider_class_crawls_a_portal_without_a_profile(tmp_path):
    """What `newscrawl crawl --url` runs: the class spider_class() makes, in Scrapy's CrawlerProcess."""
    site = WebPlusSite(articles=30, seed=8)
    db = tmp_path / "news.db"
    script = textwrap.dedent(f"""
        import os, sys
        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
        from scrapy.crawler import CrawlerProcess
        from scrapy.utils.project import get_project_settings
        from newscrawl.discover import spider_class
        from newscrawl.run import outcome_of
        settings = get_project_settings()
        settings.set("ARCHIVE_ENABLED", True, priority="command")
        settings.setdict({{**{LOCAL_OVERRIDES!r}, "ARCHIVE_PATH": sys.argv[2], "VIEW_COUNTS": "off"}}, priority="cmdline")
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(spider_class(sys.argv[1], settings))
        process.crawl(crawler)
        process.start()
        print(crawler.spidercls.name, outcome_of(crawler).status)
    """)
    with serve(site) as base_url:
        done = subprocess.run([sys.executable, "-c", script, base_url + "/main.htm", str(db)], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    port = base_url.rsplit(":", 1)[1]
    assert done.stdout.split() == [f"portal_127_0_0_1_{port}", "ok"]
    rows = list(open_db(db)["articles"].rows)
    assert len(rows) == len(site.articles) and {r["extraction"] for r in rows} == {"webplus"}


def test_robots_txt_is_obeyed(tmp_path):
    class Guarded(Site):
        def _route(self, path, query):
            if path == "/robots.txt":
                return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /index/xsdt\n"
            return super()._route(path, query)

    site = Guarded(articles=30, seed=1)
    with serve(site) as base_url:
        result = discover(base_url, "--json", *QUICK)
    found = json.loads(result.stdout)
    assert [c["path"] for c in found["columns"]] == ["index/jdyw.htm", "index/zhxw.htm", "index/mtjd.htm"]
    assert [(s["name"], "robots.txt" in s["reason"]) for s in found["skipped"]] == [("学术动态", True)]
    assert not any(p.startswith("/index/xsdt") for p in site.requests)


def test_write_refuses_to_replace_a_profile_and_bad_names(tmp_path):
    (tmp_path / "mine.py").write_text("# mine\n", encoding="utf-8")
    site = Site(articles=20, seed=2)
    with serve(site) as base_url:
        kept = discover(base_url, "--name", "mine", "--write", "--spiders-dir", str(tmp_path), *QUICK)
        assert kept.exit_code == 1 and "exists" in kept.output and not site.requests  # refused before asking
        for bad in ("not-a-name", "class", "base", "_private", "名字"):
            assert discover(base_url, "--name", bad, "--write", "--spiders-dir", str(tmp_path)).exit_code == 2
        replaced = discover(base_url, "--name", "mine", "--write", "--force", "--spiders-dir", str(tmp_path), *QUICK)
    assert replaced.exit_code == 0, replaced.output
    assert load_profile(tmp_path / "mine.py").portal.columns == XjtuSpider.portal.columns


class OddHome(Site):
    """The bundled VSB portal with another home page (and whatever else ``pages`` names)."""

    def __init__(self, pages: dict[str, tuple[int, str, bytes]]):
        super().__init__(articles=20, seed=4)
        self.pages = pages

    def _route(self, path, query):
        if path in self.pages:
            status, kind, body = self.pages[path]
            return status, {"Content-Type": kind}, body
        return super()._route(path, query)


VSB_HEAD = '<head><title>某某大学新闻网</title><script src="/system/resource/js/counter.js"></script></head><!--Announced by Visual SiteBuilder 9-->'


def html(body: str) -> tuple[int, str, bytes]:
    return 200, "text/html; charset=UTF-8", f"<html>{VSB_HEAD}<body>{body}</body></html>".encode()


def test_odd_navigation_javascript_duplicates_offsite_and_dead_columns():
    with recording() as elsewhere:
        nav = ('<div class="nav"><ul><li><a href="/index.htm">首页</a></li><li><a href="javascript:void(0)">菜单</a></li>'
               '<li><a href="/index/jdyw.htm">今日交大</a></li><li><a href="index/jdyw.htm#top">今日交大</a></li>'
               f'<li><a href="{elsewhere.base_url}/index/zhxw.htm">综合新闻</a></li><li><a href="/index/gone.htm">旧栏目</a></li>'
               '<li><a href="mailto:news@example.edu.cn">投稿</a></li><li><a href="/index/mtjd.htm"><img src="x.png"></a></li>'
               '<li><a href="http://[bad/index/x.htm">坏链接</a></li><li><a href="/index/xsdt.htm"> 学术\n动态 </a></li></ul></div>')
        site = OddHome({"/": html(nav)})
        with serve(site) as base_url:
            result = discover(base_url, "--json", *QUICK)
        assert elsewhere.received == []
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [(c["name"], c["path"]) for c in found["columns"]] == [("今日交大", "index/jdyw.htm"), ("学术 动态", "index/xsdt.htm")]
    assert [(s["name"], s["reason"]) for s in found["skipped"]] == [("旧栏目", "its list page answered HTTP 404")]


@pytest.mark.parametrize("pages, message", [
    ({"/": html("<ul><li><a href='/index/jdyw.htm'>今日交大</a></li></ul>")}, "no column navigation on the home page"),
    ({"/": (404, "text/html", b"<h1>404</h1>")}, "the home page answered HTTP 404"),
    ({"/": (200, "application/json", b'{"columns": ["/index/jdyw.htm"]}')}, "the home page is not HTML (application/json)"),
    ({"/": (200, "text/html", b"")}, "the home page is empty"),
    ({"/": (200, "text/html", b"<html><body><nav><a href='/about.htm'>About</a></nav></body></html>")},
     "not a VSB or WebPlus portal"),
    ({"/": html("<div class='nav'><a href='/index/empty.htm'>空栏目</a></div>"),
      "/index/empty.htm": html("<p>本栏目暂无内容</p>")}, "none of the 1 column(s) in the navigation lists vsb articles"),
    ({"/": (302, "text/html", b"")}, "the home page answered HTTP 302"),
], ids=["no_nav", "404", "json", "empty", "not_vsb_or_webplus", "columns_without_articles", "redirect_without_location"])
def test_hostile_home_pages_are_one_line_errors(pages, message):
    with serve(OddHome(pages)) as base_url:
        result = discover(base_url + "/", *QUICK)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_offsite_only_navigation_sends_nothing_off_the_portal():
    with recording() as elsewhere:
        nav = "".join(f'<a href="{elsewhere.base_url}/index/{slug}.htm">栏目</a>' for slug in ("jdyw", "zhxw"))
        with serve(OddHome({"/": html(f"<nav>{nav}</nav>")})) as base_url:
            result = discover(base_url + "/", *QUICK)
        assert result.exit_code == 1 and "navigation links to no vsb list page on the portal (2 off the portal)" in result.stderr
        assert elsewhere.received == []


def test_a_redirect_off_the_portal_is_not_followed():
    with recording() as elsewhere:
        class Away(Site):
            def _route(self, path, query):
                if path == "/":
                    return 302, {"Location": elsewhere.base_url + "/index.htm"}, b""
                return super()._route(path, query)

        with serve(Away(articles=10, seed=1)) as base_url:
            result = discover(base_url + "/", *QUICK)
        assert result.exit_code == 1 and "is off the portal" in result.stderr and result.stderr.count("\n") == 1
        assert elsewhere.received == []


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/", "http://", "http://127.0.0.1:99999/"])
def test_a_malformed_url_is_a_usage_error(url):
    result = discover(url)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def test_an_unreachable_portal_is_one_line():
    with serve(Site(articles=5)) as base_url:
        pass  # the port is free again: nothing listens there
    result = discover(base_url + "/", *QUICK)
    assert result.exit_code == 1 and result.stderr == f"Error: cannot reach {base_url}/: connection refused\n"


def test_the_navigation_of_a_real_vsb_template():
    """cst.nuc.edu.cn's own page as the home page: its 网站导航 names 47 pages, most of them
    about the school; only a page with list rows counts as a column, and at most 30 are asked for."""
    real = ROOT / "tests/fixtures/real/cst.nuc.edu.cn"
    page = (real / "list-xwzx-xyxw-page1.html").read_bytes()
    about = html("<div class='side'><a href='/info/1038/5588.htm'>我院新闻</a></div><p>学院简介……</p>")
    site = OddHome({"/": (200, "text/html", page), "/dqgz/djdt.htm": (200, "text/html", page), "/xygk/xyjj.htm": about,
                    "/info/1038/5588.htm": (200, "text/html", (real / "article-1038-1009-lanqiaobei.html").read_bytes())})
    with serve(site) as base_url:
        result = discover(base_url + "/", "--json", *QUICK)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [(c["name"], c["path"], c["sample_url"]) for c in found["columns"]] == [
        ("党建动态", "dqgz/djdt.htm", base_url + "/info/1038/5588.htm")]
    assert found["columns"][0]["sample_title"] and not found["columns"][0]["sample_error"]
    reasons = {s["name"]: s["reason"] for s in found["skipped"]}
    assert reasons["学院概况"] == "not a vsb list page (no list rows, no pager)"
    assert reasons["党群工作"] == "its list page answered HTTP 404"
    assert sum("not checked" in r for r in reasons.values()) > 0
    assert len(found["requests"]) == len(site.requests) == 2 + 30 + 1


def test_a_gbk_portal_keeps_its_column_names():
    with serve(Site(articles=20, seed=3, charset="gbk")) as base_url:
        result = discover(base_url + "/", "--json", *QUICK)
    assert [c["name"] for c in json.loads(result.stdout)["columns"]] == [c.name for c in XjtuSpider.portal.columns]


def test_names_no_python_can_hold_still_make_a_profile_that_loads(tmp_path):
    odd = ['今日"交大"\\', "综合'''新闻", '学术\n动态 #"""{0}']
    nav = "".join(f'<a href="/index/{slug}.htm">{name}</a>' for slug, name in zip(("jdyw", "zhxw", "xsdt"), odd))
    with serve(OddHome({"/": html(f'<div id="menu">{nav}</div>')})) as base_url:
        result = discover(base_url, "--name", "odd", "--write", "--spiders-dir", str(tmp_path), *QUICK)
    assert result.exit_code == 0, result.output
    assert [c.name for c in load_profile(tmp_path / "odd.py").portal.columns] == ['今日"交大"\\', "综合'''新闻", '学术 动态 #"""{0}']


@pytest.mark.parametrize("setting, site, message", [
    ("DOWNLOAD_TIMEOUT=1", Site(articles=5, faults=Faults(hang_paths={"/": 9}, hang_seconds=3)), "timed out"),  # every retry too
    ("DOWNLOAD_MAXSIZE=2000", Site(articles=5), "is larger than DOWNLOAD_MAXSIZE (2000 bytes)"),
], ids=["hangs", "too_large"])
def test_a_home_page_that_hangs_or_is_too_large_is_one_line(setting, site, message):
    with serve(site) as base_url:
        result = discover(base_url + "/", "-s", setting, *QUICK)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_the_user_agent_names_the_contact_the_user_gives():
    site = watched(Site)(articles=10, seed=2)
    with serve(site) as base_url:
        assert discover(base_url, "-s", "NEWSCRAWL_CONTACT=mailto:archive@example.edu.cn", *QUICK).exit_code == 0
    assert site.agents == {USER_AGENT_TEMPLATE.format(contact="mailto:archive@example.edu.cn")}
