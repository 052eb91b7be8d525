"""西安交通大学新闻网 (news.xjtu.edu.cn)."""
from newscrawl.profile import Column, Portal
from spiders.base import PortalSpider


class XjtuSpider(PortalSpider):
    name = "xjtu"
    portal = Portal(
        name="xjtu",
        title="西安交通大学新闻网",
        sample_article="info/1002/213245.htm",
        base_url="https://news.xjtu.edu.cn",
        columns=(
            Column("index/jdyw.htm", "今日交大"),
            Column("index/zhxw.htm", "综合新闻"),
            Column("index/xsdt.htm", "学术动态"),
            Column("index/mtjd.htm", "媒体交大"),
        ),
        title_suffix="-西安交通大学新闻网",
        related_endpoint="system/resource/code/news/related.jsp?owner={owner}&newsid={newsid}",
    )
