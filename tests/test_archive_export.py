"""`newscrawl export`: JSON lines, CSV and WARC, with the search filters."""
import csv
import json
from datetime import datetime

from warcio.archiveiterator import ArchiveIterator

from archive.query import open_readonly


def test_jsonl_has_one_full_article_a_line(newscrawl, tmp_path):
    out = tmp_path / "out.jsonl"
    result = newscrawl("export", "--format", "jsonl", "-o", str(out))
    assert result.output == f"wrote 12 articles to {out}\n"
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    first = next(r for r in records if r["id"] == 1)
    assert first["credits"] == {"文字": ["校友部"], "摄影": ["王某"]}
    assert [c["column"] for c in first["columns"]] == ["今日交大", "综合新闻"]


def test_export_takes_the_search_filters_and_query(newscrawl, tmp_path):
    out = tmp_path / "out.jsonl"
    newscrawl("export", "--format", "jsonl", "-o", str(out), "--query", "科创中心", "--credit", "摄影=王某", "--since", "2024")
    assert sorted(json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()) == [1, 11]


def test_csv_opens_in_a_spreadsheet(newscrawl, tmp_path):
    out = tmp_path / "out.csv"
    newscrawl("export", "--format", "csv", "-o", str(out), "--portal", "tju")
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,title,")  # the BOM tells Excel it is UTF-8
    with out.open(encoding="utf-8-sig", newline="") as fp:
        rows = list(csv.DictReader(fp))
    assert [r["title"] for r in rows] == ["天大举行运动会", "天津大学与交大共建科创中心"]
    assert rows[1]["credits"] == "文字：新闻中心\n摄影：王某"


def test_warc_reads_back_with_the_fetch_date_status_and_headers(newscrawl, news_db, tmp_path):
    out = tmp_path / "out.warc.gz"
    result = newscrawl("export", "--format", "warc", "-o", str(out), "--portal", "xjtu")
    assert result.output == f"wrote 10 pages to {out} (from 10 articles)\n"
    with out.open("rb") as fp:
        records = list(_read(fp))
    assert records[0][0] == "warcinfo"
    responses = {uri: rest for kind, uri, *rest in records if kind == "response"}
    assert len(responses) == 10
    date, status, headers, body = responses["https://news.xjtu.edu.cn/info/1002/1001.htm"]
    db = open_readonly(news_db)
    fetched_at, html = db.execute("select fetched_at, html_zlib from pages where url = ?", ["https://news.xjtu.edu.cn/info/1002/1001.htm"]).fetchone()
    assert datetime.fromisoformat(date.replace("Z", "+00:00")) == datetime.fromisoformat(fetched_at)
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    # The stored body is decoded: the wire encoding is kept, renamed, so readers do not gunzip it.
    assert headers["X-Archive-Orig-Content-Encoding"] == "gzip" and "Content-Encoding" not in headers
    assert body.decode("utf-8").startswith("<!DOCTYPE html>") and "天津科创中心正式揭牌" in body.decode("utf-8")


def _read(fp):
    for record in ArchiveIterator(fp):
        if record.rec_type != "response":
            yield record.rec_type, None
            continue
        headers = dict(record.http_headers.headers)
        yield (
            "response",
            record.rec_headers.get_header("WARC-Target-URI"),
            record.rec_headers.get_header("WARC-Date"),
            record.http_headers.statusline,
            headers,
            record.content_stream().read(),
        )


def test_warc_pairs_each_response_with_its_request(newscrawl, tmp_path):
    out = tmp_path / "out.warc.gz"
    newscrawl("export", "--format", "warc", "-o", str(out), "--portal", "tju")
    with out.open("rb") as fp:
        records = [(r.rec_type, r.rec_headers, r.http_headers) for r in ArchiveIterator(fp)]
    responses = {h.get_header("WARC-Record-ID"): h for kind, h, _ in records if kind == "response"}
    requests = [(h, http) for kind, h, http in records if kind == "request"]
    assert len(responses) == len(requests) == 2
    for headers, http in requests:
        response = responses[headers.get_header("WARC-Concurrent-To")]
        assert headers.get_header("WARC-Target-URI") == response.get_header("WARC-Target-URI")
        assert headers.get_header("WARC-Date") == response.get_header("WARC-Date")
        assert http.protocol == "GET" and http.get_header("Host") == "news.tju.edu.cn"
        assert http.statusline.split(" ")[0] in response.get_header("WARC-Target-URI")
