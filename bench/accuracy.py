"""Field accuracy of NewsCrawl, trafilatura and GNE on the real captures with hand-written values.

Run: ``make accuracy`` (or ``python bench/accuracy.py``). Prints one table: per field the
share of pages where the tool's value equals the expected one exactly, and for body_text
the mean character F1 (bag of characters: multiset overlap of the non-whitespace
characters, so paragraph breaks and spacing do not count, order does not either).
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newscrawl.extract import extract  # noqa: E402
from newscrawl.extract.credits import parse_credits  # noqa: E402
from newscrawl.extract.dates import parse_date  # noqa: E402
from newscrawl.extract.page import decode_html  # noqa: E402
from newscrawl.profile import GENERIC_VSB  # noqa: E402
from newscrawl.portals import portals  # noqa: E402

REAL = ROOT / "tests" / "fixtures" / "real"
FIELDS = ("title", "source", "published_at", "published_day", "column", "credits", "body_text")
_NAMES = re.compile(r"[、，,/／;；\s]+")


def pages() -> list[tuple[Path, dict]]:
    found = []
    for exp_path in sorted(REAL.glob("*/*.expected.json")):
        exp = json.loads(exp_path.read_text(encoding="utf-8"))
        if "body_text" in exp:
            found.append((exp_path.with_name(exp_path.name.removesuffix(".expected.json") + ".html"), exp))
    return found


def char_f1(got: str, want: str) -> float:
    got_c, want_c = Counter(re.sub(r"\s", "", got or "")), Counter(re.sub(r"\s", "", want or ""))
    overlap = sum((got_c & want_c).values())
    if not overlap:
        return 1.0 if not got_c and not want_c else 0.0
    precision, recall = overlap / sum(got_c.values()), overlap / sum(want_c.values())
    return 2 * precision * recall / (precision + recall)


def _day(iso: str | None) -> str | None:
    return iso[:10] if iso else None


def _author_names(author: str | None) -> set[str]:
    """An author string as a set of names: what a tool without roles can be compared on."""
    if not author:
        return set()
    parsed = parse_credits(author)
    if parsed:
        return {n for names in parsed.values() for n in names}
    return {n for n in _NAMES.split(author) if n}


def newscrawl(html: str, raw: bytes, url: str, generic: bool = False) -> dict:
    host = urlsplit(url).hostname
    portal = GENERIC_VSB if generic else next(p for p in portals().values() if p.host == host)
    a = extract(raw, url, portal)
    return {"title": a.title, "source": a.source, "published_at": a.published_at, "column": a.column,
            "credits": a.credits, "body_text": a.body_text}


def newscrawl_generic(html: str, raw: bytes, url: str) -> dict:
    """NewsCrawl without the portal's profile: as on a VSB portal it has never seen."""
    return newscrawl(html, raw, url, generic=True)


def trafilatura_tool(html: str, raw: bytes, url: str) -> dict:
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    doc = doc.as_dict() if hasattr(doc, "as_dict") else (doc or {})
    categories = doc.get("categories") or []
    return {"title": doc.get("title") or "", "source": "", "published_at": parse_date(doc.get("date") or ""),
            "column": categories[0] if categories else "", "author": doc.get("author"), "body_text": doc.get("text") or ""}


def gne_tool(html: str, raw: bytes, url: str) -> dict:
    from gne import GeneralNewsExtractor

    doc = GeneralNewsExtractor().extract(html, host=f"{urlsplit(url).scheme}://{urlsplit(url).hostname}")
    return {"title": doc.get("title") or "", "source": "", "published_at": parse_date(doc.get("publish_time") or ""),
            "column": "", "author": doc.get("author"), "body_text": doc.get("content") or ""}


TOOLS = {
    "NewsCrawl": (newscrawl, "newscrawl"),
    "NewsCrawl generic": (newscrawl_generic, "newscrawl"),
    "trafilatura": (trafilatura_tool, "trafilatura"), "GNE": (gne_tool, "gne"),
}


def score(tool, corpus) -> dict[str, float]:
    hits: dict[str, float] = dict.fromkeys(FIELDS, 0.0)
    for path, exp in corpus:
        raw = path.read_bytes()
        try:
            got = tool(decode_html(raw), raw, exp["url"])
        except Exception as exc:  # a tool that fails on a page scores nothing on it
            print(f"  {tool.__name__} failed on {path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        hits["title"] += got["title"].strip() == exp["title"]
        hits["source"] += got["source"] == exp["source"]
        hits["published_at"] += got["published_at"] == exp["published_at"]
        hits["published_day"] += _day(got["published_at"]) == _day(exp["published_at"])
        hits["column"] += got["column"] == exp["column"]
        if "credits" in got:
            hits["credits"] += got["credits"] == exp["credits"]
        else:  # roles unknown to the tool: compare the names only
            hits["credits"] += _author_names(got["author"]) == {n for v in exp["credits"].values() for n in v}
        hits["body_text"] += char_f1(got["body_text"], exp["body_text"])
    return {field: value / len(corpus) for field, value in hits.items()}


def main() -> int:
    corpus = pages()
    results, notes = {}, []
    for name, (tool, package) in TOOLS.items():
        try:
            version = metadata.version(package)
            __import__(package)
        except Exception as exc:
            notes.append(f"{name}: not installed ({exc}); pip install '{package}' (it is in the dev extra)")
            continue
        results[f"{name} {version}"] = score(tool, corpus)
    print(f"Field accuracy on {len(corpus)} real VSB article captures (tests/fixtures/real)")
    print("exact match rate per field; body_text: mean bag-of-characters F1 (whitespace ignored)\n")
    names = list(results)
    width = max(14, *(len(n) for n in names))
    print(f"{'field':<14}" + "".join(f"{n:>{width + 2}}" for n in names))
    for field in FIELDS:
        label = "body_text F1" if field == "body_text" else field
        print(f"{label:<14}" + "".join(f"{results[n][field]:>{width + 2}.3f}" for n in names))
    print("\npublished_day: the date alone (tools that give no time of day can still match).")
    print("source: neither trafilatura nor GNE returns a 来源 field; they score only where it is empty.")
    print("credits: NewsCrawl must give {role: [names]} exactly; the others' author string is")
    print("compared as a set of names with roles ignored.")
    for note in notes:
        print("note:", note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
