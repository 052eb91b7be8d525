"""`newscrawl report --html`: the archive's charts as one self-contained page (inline SVG, no network)."""
from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from archive.export import open_output
from newscrawl.charts import ARTICLES_PER_MONTH, MOST_READ, VIEW_COUNTS, Chart

INSTALL = "pip install 'newscrawl[datasette]'"
# Articles whose view counts over time the report draws, unless it is told which.
MOST_READ_ARTICLES = 5
WIDTH = 720


def chart_rows(db: Database, chart: Chart, **options: str) -> list[dict]:
    """The rows ``chart``'s query gives on ``db`` (optional clauses kept for ``options`` set)."""
    cursor = db.execute(chart.rows_sql(**options), {k: v for k, v in options.items() if v not in (None, "")})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def svg(chart: Chart, rows: list[dict]) -> str:
    """``chart`` over ``rows`` as SVG, drawn by the Vega-Lite compiler (vl-convert), with no
    script and nothing fetched when the page opens."""
    import vl_convert

    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": WIDTH,
        "data": {"values": rows},
        **chart.display,
    }
    if chart is MOST_READ:
        spec["height"] = {"step": 18}
    return vl_convert.vegalite_to_svg(spec)


def report_html(db: Database, *, archive_name: str, articles: list[int] | None = None) -> str:
    """The report page: each chart with its title and description, its SVG inline."""
    if not articles:
        articles = [r[0] for r in db.execute(
            "select id from articles where view_count is not null order by view_count desc, id limit ?",
            [MOST_READ_ARTICLES])]
    views = [r for r in chart_rows(db, VIEW_COUNTS) if int(r["article"].split(" ", 1)[0]) in set(articles)]
    parts = [
        (ARTICLES_PER_MONTH, chart_rows(db, ARTICLES_PER_MONTH), ""),
        (VIEW_COUNTS, views, f"Articles: {', '.join(f'#{a}' for a in articles) or 'none with a view count'}."),
        (MOST_READ, chart_rows(db, MOST_READ), ""),
    ]
    total, first, last = db.execute("select count(*), min(published_at), max(published_at) from articles").fetchone()
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sections = []
    for chart, rows, note in parts:
        body = svg(chart, rows) if rows else "<p class=\"empty\">No data for this chart in the archive.</p>"
        sections.append(
            f'<section class="chart" id="{chart.slug}"><h2>{html.escape(chart.title)}</h2>'
            f"<p>{html.escape(chart.description)} {html.escape(note)}</p>{body}</section>"
        )
    span = f"published {html.escape((first or '?')[:10])} – {html.escape((last or '?')[:10])}" if total else "empty"
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>NewsCrawl report: {html.escape(archive_name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; margin-top: 2em; }}
.chart svg {{ max-width: 100%; height: auto; }} .meta, .empty {{ color: #666; }}
</style></head>
<body>
<h1>NewsCrawl archive {html.escape(archive_name)}</h1>
<p class="meta">{total} articles, {span}; report made {made}.</p>
{"".join(sections)}
</body></html>
"""


def write_report(db: Database, db_path: Path, output: Path, *, force: bool = False, articles: list[int] | None = None) -> None:
    """The report written to ``output`` whole or not at all, never over the archive."""
    page = report_html(db, archive_name=db_path.name, articles=articles)
    with open_output(output, db_path, "w", force=force, encoding="utf-8") as fp:
        fp.write(page)
