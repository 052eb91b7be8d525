"""中北大学大数据学院 (cst.nuc.edu.cn)."""
from newscrawl.profile import Column, Portal
from spiders.base import PortalSpider


class NucCstSpider(PortalSpider):
    name = "nuc_cst"
    portal = Portal(
        name="nuc_cst",
        title="中北大学大数据学院",
        sample_article="info/1039/5248.htm",
        base_url="http://cst.nuc.edu.cn",
        columns=(
            Column("xwzx/xyxw.htm", "学院新闻"),
            Column("xwzx/tzgg.htm", "通知公告"),
        ),
        title_suffix="-大数据学院",
    )
