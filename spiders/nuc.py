"""中北大学 (www.nuc.edu.cn)."""
from newscrawl.profile import Column, Portal
from spiders.base import PortalSpider


class NucSpider(PortalSpider):
    name = "nuc"
    portal = Portal(
        name="nuc",
        title="中北大学",
        sample_article="info/1014/14961.htm",
        base_url="http://www.nuc.edu.cn",
        columns=(Column("index/tzgg.htm", "通知公告"),),
        title_suffix="-中北大学",
    )
