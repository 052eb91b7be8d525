"""重庆交通大学研究生招生信息网 (yjszs.cqjtu.edu.cn)."""
from newscrawl.profile import Column, Portal
from spiders.base import PortalSpider


class CqjtuYjszsSpider(PortalSpider):
    name = "cqjtu_yjszs"
    portal = Portal(
        name="cqjtu_yjszs",
        title="重庆交通大学研究生招生信息网",
        sample_article="info/1052/1853.htm",
        base_url="http://yjszs.cqjtu.edu.cn",
        columns=(
            Column("tzgg.htm", "通知公告"),
            Column("kdxx.htm", "考点信息"),
            Column("zsxx1/ssyjs.htm", "硕士研究生"),
            Column("zsxx1/bsyjs.htm", "博士研究生"),
        ),
        title_suffix="-重庆交通大学-研究生招生信息网",
    )
