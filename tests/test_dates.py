import pytest

from newscrawl.extract.dates import date_precision, find_date, fits_url_day, parse_date, url_day


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


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024-12-20 17:19", "2024-12-20T17:19:00+08:00"),
        ("2024-12-20 17:19:05", "2024-12-20T17:19:05+08:00"),
        ("2024年12月20日", "2024-12-20T00:00:00+08:00"),
        ("2024年12月20日 17:19", "2024-12-20T17:19:00+08:00"),
        ("发布时间：2024-12-20", "2024-12-20T00:00:00+08:00"),
        ("[2024-12-20]", "2024-12-20T00:00:00+08:00"),
        ("2024/12/20", "2024-12-20T00:00:00+08:00"),
        ("2024.12.20", "2024-12-20T00:00:00+08:00"),
        ("发布时间 ：2024-09-09 阅读：", "2024-09-09T00:00:00+08:00"),  # ems.whu's info line
        ("2021-03-24浏览次数：", "2021-03-24T00:00:00+08:00"),  # yjszs: no space before the counter
        ("2021.3.25", "2021-03-25T00:00:00+08:00"),  # single-digit month and day
        ("时间：2020年02月15日 15:59", "2020-02-15T15:59:00+08:00"),
        ("2024-04-23T10:05:00+08:00", "2024-04-23T10:05:00+08:00"),  # <meta article:published_time>
        ("2024-04-23T02:05:00Z", "2024-04-23T10:05:00+08:00"),  # an offset moves the clock
        ("2024-12-20 17:19-18:30", "2024-12-20T17:19:00+08:00"),  # a time range: no offset
    ],
)
def test_printed_forms_normalise_to_iso_in_shanghai(raw, expected):
    assert parse_date(raw) == expected


def test_other_zones_get_their_own_offset():
    assert parse_date("2024-07-01 09:00", "Europe/London") == "2024-07-01T09:00:00+01:00"


@pytest.mark.parametrize("raw", ["第2024期", "电话：027-68752883", "共299条 1/30"])
def test_numbers_that_are_not_dates(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    "raw, precision",
    [
        ("2025-04-17", "day"),  # stored at midnight, but the page never said 00:00
        ("2025年4月17日", "day"),
        ("2025-04-17 00:00", "minute"),  # a printed midnight is a minute
        ("时间：2020年02月15日 15:59", "minute"),
        ("2024年12月20日 17:19:05", "second"),
        ("2024-04-23T10:05:00+08:00", "second"),
        ("第2024期", None),
    ],
)
def test_precision_says_what_the_page_printed(raw, precision):
    assert date_precision(raw) == precision


@pytest.mark.parametrize(
    "url, day",
    [
        ("https://news.example.edu.cn/2025/0430/c1002a213245/page.htm", "2025-04-30"),
        ("https://x.edu.cn/2024/0912/c1002a200301/page.psp", "2024-09-12"),
        ("https://x.edu.cn/2025/1340/c1002a1/page.htm", None),  # no such day
        ("https://x.edu.cn/info/1002/45084.htm", None),  # VSB says no day
        ("https://x.edu.cn/2025/04/30/hello/", None),  # not a WebPlus article
    ],
)
def test_the_day_a_webplus_url_says_the_article_was_made(url, day):
    assert (str(url_day(url)) if url_day(url) else None) == day


@pytest.mark.parametrize(
    "raw, fits",
    [
        ("2025年4月30日", True),  # the signature, the day it was made
        ("2025-05-06", True),  # published a few days later
        ("2025-04-29", False),  # before it was made: another date the text mentions
        ("2025-07-01 17:00", False),  # a deadline two months on
    ],
)
def test_a_guessed_date_must_fit_the_day_the_url_says(raw, fits):
    assert fits_url_day(raw, "https://x.edu.cn/2025/0430/c1002a213245/page.htm") is fits
    assert fits_url_day(raw, "https://x.edu.cn/news/77.html")  # a URL without a day rules nothing out
