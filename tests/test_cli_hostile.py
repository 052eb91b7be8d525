"""Hostile values on every read command: one line, exit 2 or 1 (0 where the value is fine),
no traceback, output a terminal cannot act on, and the archive byte-identical afterwards."""
from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

import newscrawl.cli.reading_room
from newscrawl.cli import cli
from archive.terminal import printable
from newscrawl.replica import SEED, Site

ROOT = Path(__file__).resolve().parent.parent

HUGE = str(10**30)
NOT_UTF8 = b"\xff\xfe".decode("utf-8", "surrogateescape")  # how Python hands over such argv bytes
NUL = "a\x00b"  # no real argv carries one; a program calling the CLI can
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x9b31m"  # set the window title, clear the screen, C1 CSI
BIDI = "\u202egpj.exe"
LONG = "x" * 100_000
PAGE_URL = "https://news.xjtu.edu.cn/info/1002/213245.htm"


def slot(template: list[str], default: int | tuple, **exceptions: int | tuple):
    """Cases for one place on the command line: ``V`` in ``template`` takes each hostile
    value; the exit code is ``default`` unless ``exceptions`` names the value's code (a
    tuple: any of those)."""
    named = {"empty": "", "blank": " ", "superscript": "²", "arabic": "٣", "fullwidth": "１２", "huge": HUGE,
             "negative": "-1", "zero": "0", "far_future": "9999-12-31", "year_one": "0001-01-01",
             "five_digit_year": "99999", "year_9999": "9999", "escapes": ESCAPES, "bidi": BIDI, "quote": '"',
             "apostrophe": "'", "like_wildcards": "%_\\", "long": LONG, "not_utf8": NOT_UTF8, "nul": NUL,
             "bad_ipv6_url": "https://[x/", "bad_port_url": "http://x:99999/", "file_url": "file:///etc/passwd",
             "fts_syntax": "NEAR(", "double_dash": "--"}
    unknown = set(exceptions) - set(named)
    assert not unknown, unknown
    codes = {name: exceptions.get(name, default) for name in named}
    # Everywhere text is expected, bytes that are not UTF-8 and a NUL are usage errors.
    codes["not_utf8"] = exceptions.get("not_utf8", 2)
    codes["nul"] = exceptions.get("nul", 2)
    return [([named[name] if a == "V" else a for a in template], codes[name], name) for name in named]


# No query at all, an unbalanced quote, or an option that is none (-1).
QUERY = dict(empty=2, blank=2, quote=2, double_dash=2, negative=2)
DATE = dict(far_future=0, year_one=0, year_9999=0, empty=0)  # the rest is not YYYY[-MM[-DD]]; "" is none
# int() reads ٣ and １２; a huge limit means all.
COUNT = dict(arabic=0, fullwidth=0, huge=0, year_9999=0, five_digit_year=0)
# An id or a URL: a number that is no article's id, or a URL that is no article's, is not found.
ID = dict(arabic=0, fullwidth=0, huge=1, zero=1, year_9999=1, five_digit_year=1, bad_ipv6_url=1, bad_port_url=1,
          file_url=1, negative=2)

# The archive's paths: {archive} is the shared one, the others are built by the fixture.
DB_PATHS = {
    "a directory": ("{tmp}", 2),
    "/dev/null": ("/dev/null", 1),
    "/dev/full": ("/dev/full", 1),
    "/dev/zero": ("/dev/zero", 1),
    "missing": ("{tmp}/missing.db", 1),
    "empty name": ("", 2),
    "name not UTF-8": ("{tmp}/" + NOT_UTF8 + ".db", 1),
    "name with NUL": ("{tmp}/" + NUL, 2),
    "name too long": ("{tmp}/" + "x" * 5000, 1),
    "not SQLite": ("{corrupt}", 1),
    "not ours": ("{foreign}", 1),
    "newer schema": ("{newer}", 1),
    "empty file": ("{empty}", 1),
}


def db_slot(command: list[str]):
    return [([*command, "--db", path], code, f"--db {name}") for name, (path, code) in DB_PATHS.items()]


CASES = {
    "summary": [
        *slot(["summary", "--url", "V"], 1, empty=0),
        *db_slot(["summary"]),
    ],
    "search": [
        *slot(["search", "V"], 0, **QUERY),
        *slot(["search", "--raw", "V"], (0, 2), **QUERY),  # FTS5 syntax: fine or not, as FTS5 decides
        *slot(["search", "科创", "--portal", "V"], 0),
        *slot(["search", "科创", "--column", "V"], 0),
        *slot(["search", "科创", "--since", "V"], 2, **DATE),
        *slot(["search", "科创", "--until", "V"], 2, **DATE),
        *slot(["search", "科创", "--credit", "V"], 0, blank=2),
        *slot(["search", "科创", "--limit", "V"], 2, **COUNT),
        *slot(["search", "科创", "--offset", "V"], 2, **COUNT, zero=0),
        *db_slot(["search", "科创"]),
    ],
    "show": [
        *slot(["show", "V"], 2, **ID),
        *slot(["show", "V", "--json"], 2, **ID),
        *db_slot(["show", "1"]),
    ],
    "stats": [
        *slot(["stats", "--runs", "V"], 2, zero=0, **COUNT),
        *db_slot(["stats"]),
    ],
    "export": [
        *slot(["export", "--format", "V", "-o", "{tmp}/out"], 2),
        *slot(["export", "--format", "jsonl", "-o", "{tmp}/out", "--query", "V"], 0, blank=2, quote=2),
        *slot(["export", "--format", "csv", "-o", "{tmp}/out", "--since", "V"], 2, **DATE),
        *slot(["export", "--format", "csv", "-o", "{tmp}/out", "--credit", "V"], 0, blank=2),
        *[(["export", "--format", "jsonl", "-o", path], code, f"-o {name}") for name, (path, code) in {
            "a directory": ("{tmp}", 2),
            "/dev/null": ("/dev/null", 0),
            "/dev/full": ("/dev/full", 1),
            "in a missing directory": ("{tmp}/missing/dir/x.jsonl", 1),
            "under a file": ("{corrupt}/x.jsonl", 1),
            "empty name": ("", 2),
            "name not UTF-8": ("{tmp}/" + NOT_UTF8 + ".jsonl", 0),  # a file name may be any bytes
            "name with NUL": ("{tmp}/" + NUL, 2),
            "name too long": ("{tmp}/" + "x" * 5000, 1),
            "an existing file": ("{corrupt}", 1),
            "the archive": ("{archive}", 2),
            "the archive's WAL": ("{archive}-wal", 2),
        }.items()],
        *db_slot(["export", "--format", "jsonl", "-o", "{tmp}/out"]),
    ],
    "datasette": [
        # ٣ becomes a free port in Arabic-Indic digits (see below); 12 and 9999 may be taken.
        *slot(["datasette", "--port", "V"], 2, arabic=0, fullwidth=(0, 1), year_9999=(0, 1)),
        ([*["datasette", "--port", "{busy_port}"]], 1, "a port in use"),
        *db_slot(["datasette", "--port", "{port}"]),
    ],
    "extract": [
        *slot(["extract", "{page}", "--url", "V"], 2),
        *slot(["extract", "{page}", "--url", PAGE_URL, "--portal", "V"], 2, empty=0),  # "": the generic rules
        *[(["extract", path, "--url", PAGE_URL], code, f"FILE {name}") for name, (path, code) in {
            "a directory": ("{tmp}", 2),
            "/dev/null": ("/dev/null", 1),
            "/dev/zero": ("/dev/zero", 1),  # endless: refused after 64 MiB
            "missing": ("{tmp}/missing.htm", 2),
            "empty name": ("", 2),
            "name with NUL": ("{tmp}/" + NUL, 2),
            "not a page": ("{corrupt}", 1),
            "a saved page": ("{page}", 0),
        }.items()],
    ],
    "reextract": [
        *slot(["reextract", "--dry-run", "--portal", "V"], 0),
        *db_slot(["reextract", "--dry-run"]),
    ],
}
READERS = {"summary", "search", "show", "stats", "export", "datasette"}
# The value that int() reads as a port: a free port written in Arabic-Indic digits.
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _params():
    for command, cases in CASES.items():
        for i, (args, code, name) in enumerate(cases):
            yield pytest.param(command, args, code, id=f"{command}-{i}-{name}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def files(news_db, tmp_path_factory):
    """The shared archive's hash, and the files the hostile paths point at."""
    base = tmp_path_factory.mktemp("hostile")
    corrupt = base / "corrupt.db"
    corrupt.write_bytes(b"not a database at all " * 200)
    foreign = base / "foreign.db"
    Database(foreign)["notes"].insert({"text": "hello"})
    newer = base / "newer.db"
    newer.write_bytes(news_db.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) values ('newscrawl', 'm999_future', '')")
    conn.close()
    empty = base / "empty.db"
    empty.write_bytes(b"")
    page = base / "213245.htm"
    page.write_bytes(Site(articles=5).handle(SEED.path)[2])
    return {"corrupt": corrupt, "foreign": foreign, "newer": newer, "empty": empty, "page": page,
            "archive": news_db, "hash": sha256(news_db)}


@pytest.fixture
def served(monkeypatch):
    """`newscrawl datasette` up to the point of serving: what it would serve is recorded."""
    calls = []
    monkeypatch.setattr(newscrawl.cli.reading_room, "serve_datasette", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command, args, code", list(_params()))
def test_hostile_value(command, args, code, files, news_db, tmp_path, served, request):
    port = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        values = {"tmp": str(tmp_path), "port": str(port), "busy_port": str(busy.getsockname()[1]),
                  **{k: str(v) for k, v in files.items()}}
        if command == "reextract":  # a writer: its own copy
            values["archive"] = str(request.getfixturevalue("writable_db"))
        argv = [_fill(a, values) for a in args]
        if argv[:2] == ["datasette", "--port"] and argv[2] == "٣":
            argv[2] = str(port).translate(ARABIC_DIGITS)
        if "--db" not in argv and command != "extract":  # before the values, which may be "--"
            argv[1:1] = ["--db", values["archive"]]
        result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    out, err = result.stdout, result.stderr
    assert "Traceback" not in out + err
    assert result.exit_code in (code if isinstance(code, tuple) else (code,)), err or out[-500:]
    if result.exit_code:
        assert err.count("\n") == 1 and err.startswith("Error: "), err
        assert "internal error" not in err, err  # every failure has a message of its own
    assert printable(out) == out and printable(err) == err  # nothing a terminal acts on
    if command in READERS:
        assert sha256(news_db) == files["hash"]


@pytest.mark.parametrize("command", [[], *([c] for c in CASES), ["crawl"]], ids=lambda c: " ".join(c) or "newscrawl")
def test_help_is_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0 and result.output.startswith("Usage: ") and not result.stderr


def _fill(arg: str, values: dict) -> str:
    for key, value in values.items():
        arg = arg.replace("{" + key + "}", value)
    return arg


def test_every_command_meets_every_kind_of_hostile_value():
    """Each command gets unicode digits, huge numbers, far dates, bytes that are not UTF-8,
    directories, devices and missing files (the counts are the figures issue 11 asks for)."""
    counts = Counter({command: len(cases) for command, cases in CASES.items()})
    assert min(counts.values()) >= 20, counts
    for command, cases in CASES.items():
        values = {a for args, _, _ in cases for a in args}
        assert {"²", "٣", HUGE, "9999-12-31", NOT_UTF8, NUL, "/dev/null", "{tmp}"} <= values, command


# -- a few through a real process: argv as bytes, as a shell passes it -----------------------


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newscrawl.cli", *args], cwd=ROOT, capture_output=True, timeout=60, **kwargs)


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["search", "科创", "--until", "9999"], 0, b""),
        (["show", "²"], 2, "'²' is neither an article id".encode()),
        (["search", b"\xff\xfe"], 2, b"is not UTF-8 text"),
        (["show", b"\xff"], 2, b"is not UTF-8 text"),
        (["search", "科创", "--portal", b"xj\xc3"], 2, b"is not UTF-8 text"),
        (["export", "--format", "jsonl", "-o", "/dev/full"], 1, b"cannot write /dev/full: No space left on device"),
        (["export", "--format", "jsonl", "-o", "missing/dir/x.jsonl"], 1, b"cannot write missing/dir/x.jsonl: No such file or directory"),
        (["stats", "--runs", HUGE], 0, b""),
    ],
)
def test_in_a_real_process(news_db, files, args, code, message):
    done = run(*args, "--db", str(news_db))
    assert done.returncode == code, done.stderr
    assert b"Traceback" not in done.stdout + done.stderr
    if code:
        assert done.stderr.count(b"\n") == 1 and message in done.stderr
    assert sha256(news_db) == files["hash"]


def test_a_file_name_that_is_not_utf8_is_still_a_file_name(news_db, tmp_path):
    out = os.fsencode(tmp_path) + b"/\xff\xfe.jsonl"
    done = run("export", "--format", "jsonl", "-o", out, "--db", str(news_db))
    assert done.returncode == 0, done.stderr
    assert os.path.getsize(out) > 0 and b"\\udcff\\udcfe.jsonl" in done.stdout  # named, escaped


def test_an_archive_named_in_bytes_that_are_not_utf8_opens(news_db, tmp_path):
    db = os.fsencode(tmp_path) + b"/\xff.db"
    Path(os.fsdecode(db)).write_bytes(news_db.read_bytes())
    done = run("search", "科创", "--db", db)
    assert done.returncode == 0 and "天津科创中心正式揭牌" in done.stdout.decode()


def test_datasette_missing_names_the_install_command(news_db):
    done = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['datasette'] = None\nfrom newscrawl.cli import main; main()",
         "datasette", "--db", str(news_db)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1 and done.stderr == "Error: Datasette or its plugins are not installed: run pip install 'newscrawl[datasette]'\n"


def test_debug_shows_the_traceback(news_db):
    quiet = run("show", "1", "--db", "/dev/null")
    loud = run("--debug", "show", "1", "--db", "/dev/null")
    assert quiet.returncode == loud.returncode == 1
    assert b"Traceback" not in quiet.stderr and b"Traceback" in loud.stderr and b"ArchiveError" in loud.stderr


# -- what the archive holds cannot attack the terminal that shows it --------------------------

HOSTILE_TITLE = "\x1b]0;owned\x07\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07标题\x9b2J\u202eevil\u2066x\u2069\x7f\r"


@pytest.fixture
def hostile_db(writable_db):
    """The archive after a portal put escape sequences in a title, a body, a column and a run."""
    with sqlite3.connect(writable_db) as conn:
        conn.execute("update articles set title = ?, body_text = ?, source = ? where id = 1",
                     [HOSTILE_TITLE + "天津科创中心", "正文" + HOSTILE_TITLE, HOSTILE_TITLE])
        conn.execute("update article_columns set column = ? where rowid = (select min(rowid) from article_columns)", [HOSTILE_TITLE])
        conn.execute("update crawl_runs set status = ?, portal = ?", [HOSTILE_TITLE, HOSTILE_TITLE])
        conn.execute("update failures set kind = ?", [HOSTILE_TITLE])
    conn.close()
    return writable_db


@pytest.mark.parametrize(
    "command",
    [["show", "1"], ["search", "天津科创"], ["search", "正文"], ["stats"], ["summary", "--url", "https://news.xjtu.edu.cn/info/1002/1001.htm"]],
)
def test_terminal_sees_no_control_characters(newscrawl, hostile_db, command):
    out = newscrawl(*command, db=hostile_db).output
    assert "owned" in out  # the text is shown ...
    unsafe = {c for c in out if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}
    assert not unsafe  # ... with nothing in it a terminal would act on
    assert "\\x1b]0;owned\\x07" in out and "\\u202eevil" in out


def test_json_output_is_exact_and_still_inert(newscrawl, hostile_db):
    import json

    out = newscrawl("show", "1", "--json", db=hostile_db).output
    assert json.loads(out)["title"] == HOSTILE_TITLE + "天津科创中心"
    assert printable(out) == out and "天津科创中心" in out
