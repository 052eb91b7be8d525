"""A crawl is as wide as asked: limits bound related links too, a full crawl still reaches
related-only articles, and columns and dates read the same in every command."""
from __future__ import annotations

import pytest

from newscrawl.replica import COLUMNS, Site, serve
from newscrawl.replica.content import PER_PAGE
from tests.conftest import newscrawl_crawl, open_db

JDYW = next(c for c in COLUMNS if c.slug == "jdyw")


@pytest.fixture(scope="module")
def portal():
    site = Site(articles=160, seed=31)
    assert any(not a.listed for a in site.articles)  # related-only articles exist
    with serve(site) as base_url:
        yield site, base_url


def archived_paths(db_path, base_url) -> set[str]:
    return {r["url"].removeprefix(base_url) for r in open_db(db_path)["article_urls"].rows}


def test_a_limited_crawl_archives_the_first_page_of_its_column_and_nothing_else(portal, tmp_path):
    site, base_url = portal
    db_path = tmp_path / "news.db"
    done = newscrawl_crawl(base_url, db_path, "--columns", "jdyw", "--max-pages", "1", "-s", "VIEW_COUNTS=off")
    assert done.returncode == 0, done.stderr
    first_page = {path for path, _ in site.lists[JDYW.id][:PER_PAGE]}
    assert archived_paths(db_path, base_url) == first_page


def test_related_same_column_stays_in_the_column(portal, tmp_path):
    site, base_url = portal
    db_path = tmp_path / "news.db"
    done = newscrawl_crawl(base_url, db_path, "--columns", "今日交大", "--max-pages", "1", "--related", "same-column",
                           "-s", "VIEW_COUNTS=off")
    assert done.returncode == 0, done.stderr
    paths = archived_paths(db_path, base_url)
    assert {path for path, _ in site.lists[JDYW.id][:PER_PAGE]} <= paths
    assert all(p.startswith(f"/info/{JDYW.id}/") for p in paths)


def test_a_full_crawl_after_a_limited_one_still_reaches_related_only_articles(portal, tmp_path):
    site, base_url = portal
    db_path = tmp_path / "news.db"
    assert newscrawl_crawl(base_url, db_path, "--columns", "jdyw", "--max-pages", "1", "-s", "VIEW_COUNTS=off").returncode == 0
    assert newscrawl_crawl(base_url, db_path, "-s", "VIEW_COUNTS=off").returncode == 0
    db = open_db(db_path)
    assert db["articles"].count == len(site.articles)
    assert archived_paths(db_path, base_url) >= {a.path for a in site.articles}
    assert db["frontier"].count == 0


def test_a_column_by_slug_finds_what_its_name_finds(newscrawl):
    by_name = newscrawl("search", "--column", "今日交大", "--json", "--limit", "100")
    by_slug = newscrawl("search", "--column", "jdyw", "--json", "--limit", "100")
    assert by_name.exit_code == 0 and by_name.output == by_slug.output and by_name.output.strip() != "[]"


def test_crawl_takes_dates_as_search_does(portal, tmp_path):
    site, base_url = portal
    db_path = tmp_path / "news.db"
    year = max(a.published for a in site.articles).year
    done = newscrawl_crawl(base_url, db_path, "--since", str(year), "--until", f"{year}-12", "-s", "VIEW_COUNTS=off")
    assert done.returncode == 0, done.stderr
    published = [r["published_at"] for r in open_db(db_path)["articles"].rows]
    assert published and all(p.startswith(str(year)) for p in published)
