import pytest

from newscrawl.extract.dates import find_date, parse_date


@pytest.mark.parametrize(
    "raw",
    ["2024-12-20 17:19", "2024-12-20 17:19:00", "2024年12月20日 17:19", "发布时间：2024-12-20 17:19", "日期:2024/12/20 17:19"],
)
def test_every_printed_form_gives_the_same_instant(raw):
    assert parse_date(raw) == "2024-12-20T17:19:00+08:00"


@pytest.mark.parametrize("raw", ["2024年12月20日", "[2024-12-20]", "2024.12.20"])
def test_date_only_is_midnight_in_shanghai(raw):
    assert parse_date(raw) == "2024-12-20T00:00:00+08:00"


def test_seconds_kept():
    assert parse_date("2024-12-20 17:19:05") == "2024-12-20T17:19:05+08:00"


def test_impossible_dates_are_none_not_guesses():
    assert parse_date("2024-02-30") is None
    assert parse_date("浏览量：") is None


def test_find_date_returns_the_raw_substring():
    assert find_date("来源:交大新闻网 日期:2024-12-20 17:19 浏览量:") == "2024-12-20 17:19"
