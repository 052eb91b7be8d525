"""Full-text search over what a page shows (title, body, source, credits): FTS5 trigrams, and a
scan for 1–2 characters."""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass

from sqlite_utils import Database

from archive.query import MAX_INTEGER, Filters, QueryError, has_search_index
from archive.schema import SEARCHED_COLUMNS
from archive.store import ArchiveError

# Trigram tokens: a term of fewer characters matches nothing in the index, so such terms
# are found by a substring scan instead (LIKE, case-insensitive like the index).
MIN_INDEXED = 3
MARK = ("[", "]")
SNIPPET_CHARS = 48

_TERM = re.compile(r'"([^"]*)"|(\S+)')


def parse_query(query: str) -> list[str]:
    """Terms of a plain query: words separated by spaces, or "quoted phrases"; all must match."""
    if query.count('"') % 2:
        raise QueryError(f"unbalanced quote in query {query!r}")
    terms = [m[1] if m[1] is not None else m[2] for m in _TERM.finditer(query)]
    terms = [t for t in terms if t.strip()]
    if not terms:
        raise QueryError("empty query")
    return list(dict.fromkeys(terms))


# A credit line as the page prints it (编辑：徐琛, 文字:校友部、技术转移中心): a role, a colon, names.
_CREDIT_LINE = re.compile(r"^([\u4e00-\u9fff]{1,6})\s*[:：]\s*(\S.*)$")
_NAMES = re.compile(r"[、，,;；/／\s]+")


def _credit_line(db: Database, term: str) -> tuple[str, list] | None:
    """SQL that the article credits every name of ``term`` in its role, when ``term`` is a
    credit line as printed and the archive knows the role; None for any other term. The
    archive keeps credits as data (role -> names), not as the line, so the line itself is
    in no searched text."""
    m = _CREDIT_LINE.match(term)
    if not m or db.execute("select 1 from credits where role = ? limit 1", [m[1]]).fetchone() is None:
        return None
    names = [n for n in _NAMES.split(m[2]) if n]
    tests = ["a.id in (select article_id from credits where role = ? and name = ?)"] * len(names)
    return "(" + " and ".join(tests) + ")", [value for name in names for value in (m[1], name)]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _substring_test(term: str) -> tuple[str, list]:
    """SQL that a searched column contains ``term``, and its parameters: instr() where case
    cannot matter (Chinese, digits: twice as fast), LIKE where it can (ASCII letters, as the index)."""
    if term.lower() == term.upper():
        tests, value = [f"instr(a.{c}, ?)" for c in SEARCHED_COLUMNS], term
    else:
        tests, value = [f"a.{c} like ? escape '\\'" for c in SEARCHED_COLUMNS], _like(term)
    return "(" + " or ".join(tests) + ")", [value] * len(tests)


def index_covers_every_column(db: Database) -> bool:
    """Whether the index holds source and credits too (migration m006): an archive upgraded
    by no crawl since has only title and body there, and is searched by scanning instead."""
    if not has_search_index(db):
        return False
    indexed = {row[1] for row in db.execute("pragma table_info([articles_fts])")}
    return indexed >= set(SEARCHED_COLUMNS)


# Above this many trigrams, or articles holding them, a short term is common: scanning
# newest-first finds a page of matches at once, sooner than the index could list them all.
MAX_SHORT_TERM_TRIGRAMS = 300
MAX_SHORT_TERM_ARTICLES = 2000


def _short_term_candidates(db: Database, term: str) -> tuple[str, list] | None:
    """SQL narrowing the articles that can hold a 1–2 character ``term``, from the index.

    An occurrence starts one of the index's trigrams unless it sits in a text's last two
    characters; the vocabulary gives the trigrams that start with the term, the
    end-of-text indexes (migration m003) the rest. None when the term is too common for
    this to pay, or cannot be looked up this way.
    """
    folded = term.lower()  # the index folds case
    rows = db.execute(
        "select term, doc from articles_fts_vocab where term >= ? and term < ? limit ?",
        [folded, folded + "\U0010ffff", MAX_SHORT_TERM_TRIGRAMS + 1],
    ).fetchall()
    trigrams = [r[0] for r in rows]
    common = len(rows) > MAX_SHORT_TERM_TRIGRAMS or sum(r[1] for r in rows) > MAX_SHORT_TERM_ARTICLES
    if common or folded != term:
        return None
    tails = (
        ["substr(a.{c}, -2) = ?"] if len(term) == 2 else ["substr(a.{c}, -1) = ?", "substr(a.{c}, -2, 1) = ?"]
    )
    clauses = [t.format(c=c) for c in SEARCHED_COLUMNS for t in tails]
    params: list = [term] * len(clauses)
    if trigrams:
        clauses.insert(0, "a.id in (select rowid from articles_fts where articles_fts match ?)")
        params.insert(0, " OR ".join(_phrase(t) for t in trigrams))
    return "(" + " or ".join(clauses) + ")", params


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


@dataclass
class Selection:
    """Which articles a query and filters select, as SQL over ``articles a`` (and ``f``, the index)."""

    source: str
    where: list[str]
    params: list
    ranked: bool  # whether bm25() and snippet() over ``f`` are available
    terms: list[str]

    def sql(self, columns: str, order: str, limit: int | None = None, offset: int = 0) -> tuple[str, list]:
        where = " and ".join(self.where) or "1"
        sql = f"select {columns} from {self.source} where {where} order by {order}"
        params = list(self.params)
        if limit is not None:
            sql += " limit ? offset ?"
            params += [limit, offset]
        return sql, params


def select(db: Database, query: str | None, filters: Filters | None = None, *, raw: bool = False) -> Selection:
    """The articles matching ``query`` (plain terms, or FTS5 syntax when ``raw``) and ``filters``.

    Terms of three characters or more go to the trigram index; shorter ones are matched
    as substrings of the searched columns (title, body, source, credits), so a query of any
    length finds exactly the articles that contain every term.
    """
    where, params = (filters or Filters()).where("a")
    indexed = index_covers_every_column(db)
    if not query:
        return Selection("articles a", where, params, False, [])
    if raw:
        if not has_search_index(db):
            raise ArchiveError("this archive has no search index: raw FTS queries need `newscrawl reextract` to upgrade it")
        return Selection(
            "articles_fts f join articles a on a.id = f.rowid", ["articles_fts match ?"] + where, [query] + params, True, []
        )
    terms = parse_query(query)
    searched = []
    for term in terms:
        credit = _credit_line(db, term)
        if credit:
            where.append(credit[0])
            params += credit[1]
        else:
            searched.append(term)
    if not searched:
        return Selection("articles a", where, params, False, terms)
    long = [t for t in searched if len(t) >= MIN_INDEXED] if indexed else []
    scanned = [t for t in searched if t not in long]
    vocab = indexed and db["articles_fts_vocab"].exists()
    for term in scanned:
        candidates = _short_term_candidates(db, term) if vocab and not long else None
        if candidates is not None:
            where.append(candidates[0])
            params += candidates[1]
        test, values = _substring_test(term)
        where.append(test)
        params += values
    if not long:
        return Selection("articles a", where, params, False, terms)
    match = " ".join(_phrase(t) for t in long)
    return Selection(
        "articles_fts f join articles a on a.id = f.rowid", ["articles_fts match ?"] + where, [match] + params, True, terms
    )


@dataclass
class Hit:
    """One article found. ``column`` and ``url`` are those of the column searched for (an
    article cross-posted under 今日交大 and 综合新闻, found with ``--column 综合新闻``, is
    labelled 综合新闻 and given the URL it had there); ``columns`` are all it appeared under."""

    id: int
    title: str
    portal: str
    column: str
    published_at: str | None
    url: str
    snippet: str
    rank: float | None
    columns: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def search(
    db: Database, query: str, filters: Filters | None = None, *, limit: int = 20, offset: int = 0, raw: bool = False
) -> list[Hit]:
    """Articles matching ``query``, best first (the ``offset`` best left out: a page further
    on), each with a snippet that marks the matches.

    Indexed queries rank by bm25 (a match in the title weighs five times one in the body,
    the source or the credits); queries of only short terms list the newest articles first.
    """
    sel = select(db, query, filters, raw=raw)
    base = "a.id, a.title, a.portal, a.column, a.published_at, a.canonical_url"
    # Snippets are cut from the text here, not by FTS5's snippet(): over trigram tokens it
    # counts trigrams, and cut a six-character match to "[天津科创中]…".
    terms = _raw_terms(query) if raw else sel.terms
    if sel.ranked:
        columns, order = f"{base}, null, bm25(articles_fts, 5.0, 1.0, 1.0, 1.0) as rank", "rank, a.id"
    else:
        columns, order = f"{base}, null, null", "a.published_at desc, a.id desc"
    columns += ", a.body_text, a.source, a.credits"
    sql, params = sel.sql(columns, order, min(limit, MAX_INTEGER), min(offset, MAX_INTEGER))
    rows = _run(db, sql, params, query)
    hits = []
    wanted = (filters or Filters()).column
    for row in rows:
        snip = make_snippet(row[1], row[8], terms, extra=[credit_line(row[10]), row[9] or ""])
        seen = [r[0] for r in db.execute(
            "select column from article_columns where article_id = ? order by first_seen_at, column", [row[0]])]
        column, url = row[3], row[5]
        if wanted:
            column = wanted
            under = db.execute(
                "select url from article_urls where article_id = ? and column = ? order by first_seen_at, url limit 1",
                [row[0], wanted],
            ).fetchone()
            url = under[0] if under else url
        hits.append(Hit(row[0], row[1], row[2], column, row[4], url, " ".join((snip or "").split()), row[7],
                        seen or [row[3]]))
    return hits


def count(db: Database, query: str | None, filters: Filters | None = None, *, raw: bool = False) -> int:
    """How many articles ``query`` and ``filters`` select in all (what "20 of 312" says)."""
    sql, params = select(db, query, filters, raw=raw).sql("count(*)", "1")
    return _run(db, sql, params, query)[0][0]


def _run(db: Database, sql: str, params: list, query: str | None) -> list:
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        # Only a raw query can be malformed; say which part of the input was at fault.
        raise QueryError(f"search query {query!r} rejected: {exc}") from exc


def credit_line(credits_json: str | None) -> str:
    """The credits as the page prints them, 文字：校友部 编辑：徐琛, for a snippet."""
    try:
        credits = json.loads(credits_json or "{}")
    except ValueError:
        return credits_json or ""
    if not isinstance(credits, dict):
        return ""
    return " ".join(f"{role}：{'、'.join(map(str, names))}" for role, names in credits.items() if isinstance(names, list))


_FTS_WORDS = {"AND", "OR", "NOT"}


def _raw_terms(query: str) -> list[str]:
    """The words an FTS5 query looks for, without its operators: what a snippet marks."""
    words = re.findall(r'"([^"]+)"|([^\s()"*^+]+)', query)
    return [q or w for q, w in words if (q or w) not in _FTS_WORDS and not (w or "").upper().startswith("NEAR")]


def make_snippet(title: str, body: str, terms: list[str], width: int = SNIPPET_CHARS, *, extra: list[str] = ()) -> str:
    """A window of the body (or the title, or ``extra``: the credit line, the source) around
    the first match, every match marked.

    The same shape as FTS5's ``snippet()``, for the queries the index cannot answer.
    """
    body = body or ""
    if not terms:
        return body[:width] + ("…" if len(body) > width else "")
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    text = next((t for t in (body, title, *extra) if t and pattern.search(t)), body)
    m = pattern.search(text or "")
    start = max(0, m.start() - width // 3) if m else 0
    end = min(len(text), start + width)
    piece = pattern.sub(lambda x: f"{MARK[0]}{x[0]}{MARK[1]}", text[start:end])
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")
