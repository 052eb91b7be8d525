"""The archive's charts, once: each a SQL query and a Vega-Lite view, for Datasette and the report."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# How many of the most-read articles a month lists, and how many months back.
TOP_PER_MONTH = 3
MONTHS_OF_MOST_READ = 12


@dataclass(frozen=True)
class Chart:
    """One chart: ``sql`` gives its rows, ``display`` the Vega-Lite mark and encoding over them.

    ``sql`` may hold datasette-dashboards' optional clauses (``[[ and a.portal = :portal ]]``),
    kept when the filter is set and dropped when not; ``rows_sql`` resolves them for callers
    that are not Datasette.
    """

    slug: str
    title: str
    description: str
    sql: str
    display: dict = field(default_factory=dict)

    def rows_sql(self, **options: str) -> str:
        def keep(match: re.Match) -> str:
            names = re.findall(r":([a-zA-Z0-9_]+)", match[1])
            return match[1] if all(options.get(n) not in (None, "") for n in names) else ""

        return re.sub(r"\[\[(.*?)\]\]", keep, self.sql, flags=re.S)


ARTICLES_PER_MONTH = Chart(
    "articles-per-month",
    "Articles per month, by column",
    "Articles published each month under each column; an article posted under two columns counts in both.",
    """select substr(a.published_at, 1, 7) as month, a.portal || ' · ' || c.column as column, count(*) as articles
from article_columns c join articles a on a.id = c.article_id
where a.published_at is not null [[ and a.portal = :portal ]]
group by month, a.portal, c.column
order by month, column""",
    {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "title": "month published"},
            "y": {"field": "articles", "type": "quantitative", "title": "articles", "stack": True},
            "color": {"field": "column", "type": "nominal", "title": "column"},
        },
    },
)

VIEW_COUNTS = Chart(
    "view-counts",
    "View counts over time",
    "Each reading of the articles' view counters, as the crawls found them.",
    """select v.observed_at, v.count as views, a.id || ' · ' || a.title as article
from view_counts v join articles a on a.id = v.article_id
where v.count is not null [[ and a.id = cast(:article as integer) ]]
order by v.observed_at""",
    {
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": {
            "x": {"field": "observed_at", "type": "temporal", "title": "read at (UTC)"},
            "y": {"field": "views", "type": "quantitative", "title": "views"},
            "color": {"field": "article", "type": "nominal", "title": "article"},
        },
    },
)

MOST_READ = Chart(
    "most-read",
    "Most-read articles per month",
    f"The {TOP_PER_MONTH} articles of each month with the highest view count, for the last "
    f"{MONTHS_OF_MOST_READ} months that have any.",
    f"""with ranked as (
  select substr(published_at, 1, 7) as month, id, title, view_count as views,
         row_number() over (partition by substr(published_at, 1, 7) order by view_count desc, id) as rank
  from articles
  where view_count is not null and published_at is not null [[ and portal = :portal ]]
), months as (
  select distinct month from ranked order by month desc limit {MONTHS_OF_MOST_READ}
)
select month, rank, month || ' #' || rank || ' ' || title as article, views, id
from ranked where rank <= {TOP_PER_MONTH} and month in (select month from months)
order by month desc, rank""",
    {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "article", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "views", "type": "quantitative", "title": "views (latest reading)"},
            "color": {"field": "month", "type": "ordinal", "title": "month", "legend": None},
        },
    },
)

CHARTS = (ARTICLES_PER_MONTH, VIEW_COUNTS, MOST_READ)

DASHBOARD = "reading-room"


def dashboards(database: str) -> dict:
    """datasette-dashboards' configuration for the archive Datasette names ``database``."""
    charts = {
        chart.slug: {
            "title": chart.title,
            "db": database,
            "query": chart.sql,
            "library": "vega-lite",
            "display": chart.display,
        }
        for chart in CHARTS
    }
    return {
        DASHBOARD: {
            "title": "Charts of the archive",
            "description": "What the archive holds, month by month, and what people read. "
            "Choose a portal, or an article for its view counts over time.",
            "layout": [[ARTICLES_PER_MONTH.slug, ARTICLES_PER_MONTH.slug], [VIEW_COUNTS.slug, MOST_READ.slug]],
            "filters": {
                "portal": {"name": "Portal", "type": "select", "db": database,
                           "query": "select distinct portal from articles order by portal"},
                "article": {"name": "Article (id · title)", "type": "select", "db": database,
                            "query": "select id || ' · ' || title from articles where view_count is not null "
                                     "order by view_count desc, id"},
            },
            "charts": charts,
        }
    }
