"""Spider contracts for `scrapy check` (``SPIDER_CONTRACTS``)."""
from __future__ import annotations

from scrapy import Request
from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail

from newscrawl.items import Article


class PortalPathContract(Contract):
    """``@path column`` or ``@path article``: the sample page of a callback, on the portal
    the spider crawls — its first column's list page, or its ``sample_article``. With
    ``scrapy check xjtu -a base_url=http://127.0.0.1:8000`` the checks run against the
    bundled portal (or a mirror) and ask the real site nothing."""

    name = "path"

    def __init__(self, method, *args):
        super().__init__(method, *args)
        self.portal = method.__self__.portal

    def adjust_request_args(self, args):
        which = self.args[0]
        path = {"column": self.portal.columns[0].path, "article": self.portal.sample_article}.get(which, which)
        args["url"] = self.portal.url(path)
        return args


class ArticleContract(Contract):
    """``@article``: the callback gives an article with a title and a body, itself or in the
    request for its related box (which hands it on)."""

    name = "article"

    def post_process(self, output):
        articles = [o for o in output if isinstance(o, Article)]
        articles += [o.cb_kwargs["article"] for o in output if isinstance(o, Request) and "article" in o.cb_kwargs]
        if not articles:
            raise ContractFail("no article in the output")
        missing = [f for f in ("title", "body_text") if not getattr(articles[0], f)]
        if missing:
            raise ContractFail(f"the article has no {', '.join(missing)}")
