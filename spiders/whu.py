"""武汉大学新闻网 (news.whu.edu.cn)."""
from newscrawl.profile import Column, Portal
from spiders.base import PortalSpider


class WhuSpider(PortalSpider):
    name = "whu"
    portal = Portal(
        name="whu",
        title="武汉大学新闻网",
        sample_article="info/1002/45084.htm",
        base_url="https://news.whu.edu.cn",
        columns=(
            Column("wdzx/wdyw.htm", "武大要闻"),
            Column("wdzx/zhxw.htm", "综合新闻"),
            Column("wdzx/hzjl.htm", "合作交流"),
            Column("wdzx/yxcz.htm", "一线传真"),
            Column("kydt.htm", "学术动态"),
            Column("mtwd.htm", "媒体武大"),
        ),
        title_suffix="-武汉大学新闻网",
    )
