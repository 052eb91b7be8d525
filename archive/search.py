"""Full-text search over titles and bodies: FTS5 trigrams, and a scan for 1–2 characters."""
from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass

from sqlite_utils import Database

from archive.query import MAX_INTEGER, Filters, QueryError, has_search_index
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


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _substring_test(term: str) -> str:
    """SQL that ``title`` or ``body_text`` contains ``term``: instr() where case cannot
    matter (Chinese, digits: twice as fast), LIKE where it can (ASCII letters, as the index)."""
    if term.lower() == term.upper():
        return "(instr(a.title, ?) or instr(a.body_text, ?))"
    return "(a.title like ? escape '\\' or a.body_text like ? escape '\\')"


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
    clauses = [t.format(c=c) for c in ("title", "body_text") for t in tails]
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

    def sql(self, columns: str, order: str, limit: int | None = None) -> tuple[str, list]:
        where = " and ".join(self.where) or "1"
        sql = f"select {columns} from {self.source} where {where} order by {order}"
        params = list(self.params)
        if limit is not None:
            sql += " limit ?"
            params.append(limit)
        return sql, params


def select(db: Database, query: str | None, filters: Filters | None = None, *, raw: bool = False) -> Selection:
    """The articles matching ``query`` (plain terms, or FTS5 syntax when ``raw``) and ``filters``.

    Terms of three characters or more go to the trigram index; shorter ones are matched
    as substrings of title or body, so a query of any length finds exactly the articles
    that contain every term.
    """
    where, params = (filters or Filters()).where("a")
    indexed = has_search_index(db)
    if not query:
        return Selection("articles a", where, params, False, [])
    if raw:
        if not indexed:
            raise ArchiveError("this archive has no search index: raw FTS queries need `newscrawl reextract` to upgrade it")
        return Selection(
            "articles_fts f join articles a on a.id = f.rowid", ["articles_fts match ?"] + where, [query] + params, True, []
        )
    terms = parse_query(query)
    long = [t for t in terms if len(t) >= MIN_INDEXED] if indexed else []
    scanned = [t for t in terms if t not in long]
    vocab = indexed and db["articles_fts_vocab"].exists()
    for term in scanned:
        candidates = _short_term_candidates(db, term) if vocab and not long else None
        if candidates is not None:
            where.append(candidates[0])
            params += candidates[1]
        where.append(_substring_test(term))
        params += [term, term] if term.lower() == term.upper() else [_like(term), _like(term)]
    if not long:
        return Selection("articles a", where, params, False, terms)
    match = " ".join(_phrase(t) for t in long)
    return Selection(
        "articles_fts f join articles a on a.id = f.rowid", ["articles_fts match ?"] + where, [match] + params, True, terms
    )


@dataclass
class Hit:
    id: int
    title: str
    portal: str
    column: str
    published_at: str | None
    url: str
    snippet: str
    rank: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def search(
    db: Database, query: str, filters: Filters | None = None, *, limit: int = 20, raw: bool = False
) -> list[Hit]:
    """Articles matching ``query``, best first, each with a snippet that marks the matches.

    Indexed queries rank by bm25 (a match in the title weighs five times one in the body);
    queries of only short terms list the newest articles first.
    """
    sel = select(db, query, filters, raw=raw)
    base = "a.id, a.title, a.portal, a.column, a.published_at, a.canonical_url"
    # Snippets are cut from the text here, not by FTS5's snippet(): over trigram tokens it
    # counts trigrams, and cut a six-character match to "[天津科创中]…".
    terms = _raw_terms(query) if raw else sel.terms
    if sel.ranked:
        columns, order = f"{base}, null, bm25(articles_fts, 5.0, 1.0) as rank", "rank, a.id"
    else:
        columns, order = f"{base}, null, null", "a.published_at desc, a.id desc"
    columns += ", a.body_text"
    sql, params = sel.sql(columns, order, min(limit, MAX_INTEGER))
    try:
        rows = db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        # Only a raw query can be malformed; say which part of the input was at fault.
        raise QueryError(f"search query {query!r} rejected: {exc}") from exc
    hits = []
    for row in rows:
        snip = make_snippet(row[1], row[8], terms)
        hits.append(Hit(*row[:6], snippet=" ".join((snip or "").split()), rank=row[7]))
    return hits


_FTS_WORDS = {"AND", "OR", "NOT"}


def _raw_terms(query: str) -> list[str]:
    """The words an FTS5 query looks for, without its operators: what a snippet marks."""
    words = re.findall(r'"([^"]+)"|([^\s()"*^+]+)', query)
    return [q or w for q, w in words if (q or w) not in _FTS_WORDS and not (w or "").upper().startswith("NEAR")]


def make_snippet(title: str, body: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """A window of the body (or the title) around the first match, every match marked.

    The same shape as FTS5's ``snippet()``, for the queries the index cannot answer.
    """
    if not terms:
        return body[:width] + ("…" if len(body) > width else "")
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    text = body if pattern.search(body or "") else title
    m = pattern.search(text or "")
    start = max(0, m.start() - width // 3) if m else 0
    end = min(len(text), start + width)
    piece = pattern.sub(lambda x: f"{MARK[0]}{x[0]}{MARK[1]}", text[start:end])
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")
