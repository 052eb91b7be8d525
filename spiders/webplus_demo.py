"""示例大学新闻网: the bundled WebPlus/苏迪 portal (`python -m newscrawl.replica --cms webplus`).

Its base_url is a placeholder: crawl the replica with ``-a base_url=http://127.0.0.1:PORT``.
"""
from newscrawl.profile import Column, Portal
from spiders.base import PortalSpider


class WebplusDemoSpider(PortalSpider):
    name = "webplus_demo"
    portal = Portal(
        name="webplus_demo",
        title="示例大学新闻网",
        sample_article="2024/1218/c1002a213245/page.htm",
        base_url="https://www.example-webplus.edu.cn",
        cms="webplus",
        columns=(
            Column("1002/list.htm", "今日交大"),
            Column("1003/list.htm", "综合新闻"),
            Column("1004/list.htm", "学术动态"),
            Column("1005/list.htm", "媒体交大"),
        ),
    )
