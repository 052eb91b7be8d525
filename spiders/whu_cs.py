"""武汉大学计算机学院 (cs.whu.edu.cn)."""
from newscrawl.profile import Column, Portal
from spiders.base import PortalSpider


class WhuCsSpider(PortalSpider):
    name = "whu_cs"
    portal = Portal(
        name="whu_cs",
        title="武汉大学计算机学院",
        sample_article="info/1074/66441.htm",
        base_url="https://cs.whu.edu.cn",
        columns=(
            Column("xwdt/tzgg.htm", "通知公告"),
            Column("xwdt/tzgg/bkjx.htm", "本科教学"),
        ),
        title_suffix="-武汉大学计算机学院",
    )
