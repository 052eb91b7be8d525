"""武汉大学经济与管理学院 (ems.whu.edu.cn)."""
from newscrawl.profile import Column, Portal
from spiders.base import PortalSpider


class WhuEmsSpider(PortalSpider):
    name = "whu_ems"
    portal = Portal(
        name="whu_ems",
        title="武汉大学经济与管理学院",
        sample_article="info/1588/250571.htm",
        base_url="https://ems.whu.edu.cn",
        columns=(Column("tzgg.htm", "通知公告"),),
        title_suffix="-武汉大学经济与管理学院",
    )
