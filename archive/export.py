"""Exporting a selection of articles: JSON lines, a spreadsheet (CSV), or the pages as WARC."""
from __future__ import annotations

import csv
import json
import zlib
from collections.abc import Iterable
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
from typing import BinaryIO, TextIO

from sqlite_utils import Database

from archive.query import Filters
from archive.search import select
from archive.show import load_article

FORMATS = ("jsonl", "csv", "warc")

CSV_COLUMNS = (
    "id", "title", "portal", "column", "columns", "published_at", "source", "credits", "body_text",
    "images", "image_captions", "attachments", "view_count", "canonical_url", "urls", "first_seen_at", "last_seen_at",
)
# The stored page is the decoded body: headers that described the bytes on the wire would
# make a WARC reader decode it again. They are kept under this prefix (the pywb convention).
WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
ORIGINAL_PREFIX = "X-Archive-Orig-"


def selected_ids(db: Database, query: str | None = None, filters: Filters | None = None, *, raw: bool = False) -> list[int]:
    """Ids of the articles a query and filters select, oldest first."""
    sql, params = select(db, query, filters, raw=raw).sql("a.id", "a.published_at, a.id")
    return [row[0] for row in db.execute(sql, params)]


def write_jsonl(db: Database, ids: Iterable[int], fp: TextIO) -> int:
    """One article a line, with everything ``newscrawl show --json`` prints."""
    count = 0
    for article_id in ids:
        fp.write(json.dumps(load_article(db, article_id), ensure_ascii=False) + "\n")
        count += 1
    return count


def csv_row(record: dict) -> dict:
    """An article flattened for a spreadsheet: lists joined by newlines, credits as 角色：名字."""
    return {
        **{key: record[key] for key in CSV_COLUMNS if key in record and not isinstance(record[key], (list, dict))},
        "columns": "\n".join(c["column"] for c in record["columns"]),
        "credits": "\n".join(f"{role}：{'、'.join(names)}" for role, names in record["credits"].items()),
        "images": "\n".join(im["url"] for im in record["images"]),
        "image_captions": "\n".join(im["caption"] or "" for im in record["images"]),
        "attachments": "\n".join(f"{at['name']} {at['url']}".strip() for at in record["attachments"]),
        "urls": "\n".join(u["url"] for u in record["urls"]),
    }


def write_csv(db: Database, ids: Iterable[int], fp: TextIO) -> int:
    """A CSV a spreadsheet opens as is (write ``fp`` as ``utf-8-sig`` so Excel reads Chinese)."""
    writer = csv.DictWriter(fp, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for article_id in ids:
        writer.writerow(csv_row(load_article(db, article_id)))
        count += 1
    return count


def warc_date(stamp: str) -> str:
    """An ISO 8601 time as WARC-Date wants it: UTC, ``YYYY-MM-DDThh:mm:ssZ``."""
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_warc(db: Database, ids: Iterable[int], fp: BinaryIO, *, gzip: bool = True) -> int:
    """Every stored page of the articles as a WARC ``response`` record, dated when it was fetched.

    Returns the number of records written besides the leading ``warcinfo``.
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(fp, gzip=gzip)
    writer.write_record(
        writer.create_warcinfo_record(getattr(fp, "name", "export.warc"), {"software": "newscrawl export", "format": "WARC File Format 1.0"})
    )
    count = 0
    for article_id in ids:
        pages = db.execute(
            """select p.url, p.fetched_at, p.status, p.headers, p.html_zlib, a.first_seen_at
               from pages p join articles a on a.id = p.article_id where p.article_id = ? order by p.fetched_at, p.url""",
            [article_id],
        ).fetchall()
        for url, fetched_at, status, headers, html_zlib, first_seen_at in pages:
            body = zlib.decompress(html_zlib)
            http_headers = StatusAndHeaders(_status_line(status), _headers(json.loads(headers or "{}"), len(body)), protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=http_headers,
                warc_headers_dict={"WARC-Date": warc_date(fetched_at or first_seen_at)},
            )
            writer.write_record(record)
            count += 1
    return count


def _status_line(status: int | None) -> str:
    status = status or 200
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _headers(stored: dict, length: int) -> list[tuple[str, str]]:
    headers = []
    for name, value in stored.items():
        headers.append((ORIGINAL_PREFIX + name if name.lower() in WIRE_HEADERS else name, str(value)))
    return headers + [("Content-Length", str(length))]
