"""Exporting a selection of articles: JSON lines, a spreadsheet (CSV), or the pages as WARC or WACZ."""
from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, redirect_stdout, suppress
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO, StringIO
from pathlib import Path
from typing import IO, BinaryIO, TextIO
from urllib.parse import urlsplit

from sqlite_utils import Database

from archive.assets import asset_records
from archive.query import Filters
from archive.search import select
from archive.show import load_article
from archive.terminal import dumps

FORMATS = ("jsonl", "csv", "warc", "wacz")
INSTALL_WACZ = "pip install 'newscrawl[wacz]'"

CSV_COLUMNS = (
    "id", "title", "portal", "column", "columns", "published_at", "published_precision", "source", "credits", "body_text",
    "images", "image_captions", "attachments", "view_count", "canonical_url", "urls", "first_seen_at", "last_seen_at",
)
# The stored page is the decoded body: headers that described the bytes on the wire would
# make a WARC reader decode it again. They are kept under this prefix (the pywb convention).
WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
ORIGINAL_PREFIX = "X-Archive-Orig-"
# Files beside the archive that SQLite and the crawl's lock keep: writing one is as bad.
ARCHIVE_SIBLINGS = ("", "-wal", "-shm", "-journal", ".lock")
# What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(Exception):
    """The export cannot be written where it was asked to be (exists, no such directory, disk full)."""


class OutputIsArchive(ExportError):
    """The output named is the archive being read, or one of its files."""


def is_archive_file(output: Path, archive: Path) -> bool:
    """Whether writing ``output`` would write the archive or a file SQLite keeps beside it,
    under any name: the same path once links are resolved, or the same file (a hard link)."""
    for suffix in ARCHIVE_SIBLINGS:
        sibling = Path(f"{archive}{suffix}")
        if output.resolve() == sibling.resolve():
            return True
        with suppress(OSError):
            if os.path.samefile(output, sibling):
                return True
    return False


@contextmanager
def open_output(path: Path, archive: Path, mode: str, *, force: bool = False, **open_args) -> Iterator[IO]:
    """``path`` opened for writing so that it appears whole or not at all.

    The export goes to a temporary file beside ``path`` that is renamed into place once
    complete, and removed when anything fails. Never the archive (``OutputIsArchive``);
    never an existing file unless ``force``. A device or a pipe (``/dev/stdout``) is
    written as it is: there is no file there to replace or to lose.
    """
    temporary = None
    with _writing(path):
        if is_archive_file(path, archive):
            raise OutputIsArchive(f"{path} is the archive being exported (or one of its files): choose another file")
        if path.is_dir():
            raise ExportError(f"{path} is a directory: name a file in it")
        if path.exists() and not path.is_file():
            fp = open(path, mode, **open_args)
        elif os.path.lexists(path) and not force:
            raise ExportError(f"{path} exists: add --force to replace it")
        else:
            final = path.resolve()
            temporary = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
            fp = open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), mode, **open_args)
    try:
        with _writing(path):
            with fp:
                yield fp
                if temporary:
                    fp.flush()
                    os.fsync(fp.fileno())
            if temporary:
                os.replace(temporary, final)
    finally:
        if temporary:
            with suppress(FileNotFoundError):
                os.unlink(temporary)


@contextmanager
def _writing(path: Path):
    """An ``OSError`` while writing ``path`` as one ``ExportError`` naming it (not the temporary file)."""
    try:
        yield
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc


def selected_ids(db: Database, query: str | None = None, filters: Filters | None = None, *, raw: bool = False) -> list[int]:
    """Ids of the articles a query and filters select, oldest first."""
    sql, params = select(db, query, filters, raw=raw).sql("a.id", "a.published_at, a.id")
    return [row[0] for row in db.execute(sql, params)]


def write_jsonl(db: Database, ids: Iterable[int], fp: TextIO) -> int:
    """One article a line, with everything ``newscrawl show --json`` prints."""
    count = 0
    for article_id in ids:
        fp.write(dumps(load_article(db, article_id)) + "\n")
        count += 1
    return count


def csv_row(record: dict) -> dict:
    """An article flattened for a spreadsheet: lists joined by newlines, credits as 角色：名字."""
    row = {
        **{key: record[key] for key in CSV_COLUMNS if key in record and not isinstance(record[key], (list, dict))},
        "columns": "\n".join(c["column"] for c in record["columns"]),
        "credits": "\n".join(f"{role}：{'、'.join(names)}" for role, names in record["credits"].items()),
        "images": "\n".join(im["url"] for im in record["images"]),
        "image_captions": "\n".join(im["caption"] or "" for im in record["images"]),
        "attachments": "\n".join(f"{at['name']} {at['url']}".strip() for at in record["attachments"]),
        "urls": "\n".join(u["url"] for u in record["urls"]),
    }
    return {key: neutralise_formula(value) for key, value in row.items()}


def neutralise_formula(cell):
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(…)``), prefixed with a
    single quote as OWASP recommends, so that it shows as the text it is."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


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


def write_warc(db: Database, ids: Iterable[int], fp: BinaryIO, *, gzip: bool = True, filename: str | None = None) -> int:
    """Every stored page of the articles as a WARC ``response`` record and the ``request``
    that fetched it, both dated when it was fetched; then the article's stored images and
    attachments (``crawl --assets``) the same way, under their original URLs, each URL once.

    Only what the archive stores is written: the counter's and the related box's
    responses and stylesheets are not stored by a crawl, so a replay shows the page (and
    its pictures, when they were kept) without them. The request is rebuilt from the URL
    (method, path, Host): the crawl keeps no request headers. ``filename`` is the name the
    ``warcinfo`` record gives the file (default: ``fp``'s). Returns the number of pages written.
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(fp, gzip=gzip)
    writer.write_record(
        writer.create_warcinfo_record(filename or getattr(fp, "name", "export.warc"), {"software": "newscrawl export", "format": "WARC File Format 1.0"})
    )
    count = 0
    assets_written: set[str] = set()
    for article_id in ids:
        pages = db.execute(
            """select p.url, p.fetched_at, p.status, p.headers, p.html_zlib, a.first_seen_at
               from pages p join articles a on a.id = p.article_id where p.article_id = ? order by p.fetched_at, p.url""",
            [article_id],
        ).fetchall()
        for url, fetched_at, status, headers, html_zlib, first_seen_at in pages:
            body = zlib.decompress(html_zlib)
            _write_exchange(writer, url, warc_date(fetched_at or first_seen_at), body,
                            StatusAndHeaders(_status_line(status), _headers(json.loads(headers or "{}"), len(body)),
                                             protocol="HTTP/1.1"))
            count += 1
        for asset in asset_records(db, article_id):
            if asset["url"] not in assets_written:
                assets_written.add(asset["url"])
                headers = [("Content-Type", asset["content_type"]), ("Content-Length", str(len(asset["content"])))]
                _write_exchange(writer, asset["url"], warc_date(asset["fetched_at"]), asset["content"],
                                StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"))
    return count


def _write_exchange(writer, url: str, date: str, body: bytes, http_headers) -> None:
    """``body`` as the ``response`` to a GET of ``url`` at ``date``, and that request."""
    response = writer.create_warc_record(
        url, "response", payload=BytesIO(body), length=len(body), http_headers=http_headers,
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_record(response)
    writer.write_record(_request_record(writer, url, date, response.rec_headers.get_header("WARC-Record-ID")))


def _request_record(writer, url: str, date: str, response_id: str):
    """The GET that fetched ``url``, tied to its response as WARC-Concurrent-To."""
    from warcio.statusandheaders import StatusAndHeaders

    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc)], protocol="HTTP/1.1",
                               is_http_request=True)
    return writer.create_warc_record(
        url, "request", http_headers=headers,
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
    )


def page_list(db: Database, ids: Iterable[int]) -> Iterator[dict]:
    """Each article as a page of a WACZ's ``pages.jsonl``: the URL of its stored page (the
    canonical one when stored), when that was fetched (``ts``, as in the WARC), its title,
    publication date and text. An article with no stored page has nothing to replay and
    is left out."""
    for article_id in ids:
        row = db.execute(
            """select p.url, coalesce(p.fetched_at, a.first_seen_at), a.title, a.published_at, a.portal, a.column,
                      a.body_text
               from pages p join articles a on a.id = p.article_id where p.article_id = ?
               order by p.url = a.canonical_url desc, p.fetched_at desc limit 1""",
            [article_id],
        ).fetchone()
        if row is None:
            continue
        url, fetched_at, title, published_at, portal, column, text = row
        yield {"id": f"article-{article_id}", "url": url, "ts": warc_date(fetched_at), "title": title,
               "published_at": published_at, "portal": portal, "column": column, "text": text or ""}


def write_wacz(db: Database, ids: Iterable[int], fp: BinaryIO, *, title: str = "NewsCrawl export",
               workdir: Path | None = None) -> int:
    """A WACZ (the WARC of ``write_warc``, its CDX index, and ``pages.jsonl`` listing every
    article with its title, date and text) that ReplayWeb.page and pywb open as they are.

    Built by py-wacz (the ``wacz`` package, which also validates it: ``wacz validate``) in
    a temporary folder in ``workdir`` (the output's, so a large export does not fill /tmp),
    then copied into ``fp``. Returns the number of articles listed as pages.
    """
    try:
        from wacz.main import create_wacz
    except ImportError as exc:
        raise ExportError(f"WACZ export needs the wacz package: run {INSTALL_WACZ}") from exc

    ids = list(ids)
    with tempfile.TemporaryDirectory(prefix=".newscrawl-wacz-", dir=workdir) as tmp:
        warc, pages, wacz = Path(tmp, "newscrawl.warc.gz"), Path(tmp, "pages.jsonl"), Path(tmp, "export.wacz")
        with _writing(warc), warc.open("wb") as out:
            write_warc(db, ids, out, filename=warc.name)
        listed = list(page_list(db, ids))
        header = {"format": "json-pages-1.0", "id": "pages", "title": title, "hasText": True}
        with _writing(pages):
            pages.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in [header, *listed]), encoding="utf-8")
        options = argparse.Namespace(
            inputs=[str(warc)], output=str(wacz), pages=str(pages), copy_pages=True, extra_pages=None,
            detect_pages=False, text=False, hash_type="sha256", log_directory=None, split_seeds=False, file=False,
            ts=None, url=None, date=None, title=title, desc=f"{len(listed)} articles archived by NewsCrawl",
            signing_url=None, signing_token=None,
        )
        said = StringIO()
        with _writing(wacz), redirect_stdout(said):  # py-wacz reports each step on stdout
            failed = create_wacz(options)
        if failed:
            reason = (said.getvalue().strip().splitlines() or ["it gave no reason"])[-1]
            raise ExportError(f"py-wacz could not build the WACZ: {reason}")
        with _writing(wacz), wacz.open("rb") as built:
            shutil.copyfileobj(built, fp)
    return len(listed)


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
