"""`newscrawl extract FILE --url URL`: the tool for a saved page when a template changes."""
from __future__ import annotations

import json

from click.testing import CliRunner

from newscrawl.cli import cli
from newscrawl.replica import SEED, Site

URL = "https://news.xjtu.edu.cn/info/1002/213245.htm"


def _saved_seed(tmp_path):
    _, _, body = Site(articles=5).handle(SEED.path)
    page = tmp_path / "213245.htm"
    page.write_bytes(body)
    return page


def test_prints_the_article_as_json(tmp_path):
    result = CliRunner().invoke(cli, ["extract", str(_saved_seed(tmp_path)), "--url", URL, "--portal", "xjtu"])
    assert result.exit_code == 0, result.output
    item = json.loads(result.output)
    assert item["url"] == URL and item["portal"] == "xjtu" and item["column"] == "今日交大"
    assert item["title"] == SEED.title and item["published_at"] == "2024-12-20T17:19:00+08:00"
    assert item["credits"]["编辑"] == ["徐琛"] and item["body_text"] == SEED.body_text


def test_unknown_portal_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(cli, ["extract", str(_saved_seed(tmp_path)), "--url", URL, "--portal", "nope"])
    assert result.exit_code != 0 and "unknown portal 'nope'" in result.output
    assert "Traceback" not in result.output


def test_a_page_that_is_not_an_article_is_one_clear_line(tmp_path):
    page = tmp_path / "list.htm"
    page.write_text("<html><body><ul><li>nothing here</li></ul></body></html>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(page), "--url", URL])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
