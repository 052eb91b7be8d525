"""Spider contracts for `scrapy check` (``SPIDER_CONTRACTS``)."""
from __future__ import annotations

from scrapy.contracts import Contract


class PortalPathContract(Contract):
    """``@path index/jdyw.htm``: the sample page of a callback, as a path on the portal the
    spider crawls. With ``scrapy check xjtu -a base_url=http://127.0.0.1:8000`` the checks
    run against the bundled portal (or a mirror) and ask the real site nothing."""

    name = "path"

    def __init__(self, method, *args):
        super().__init__(method, *args)
        self.spider = method.__self__

    def adjust_request_args(self, args):
        args["url"] = self.spider.portal.url(self.args[0])
        return args
