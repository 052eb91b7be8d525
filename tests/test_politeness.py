"""Polite by default: robots.txt, throttling, a User-Agent that names us, per-portal limits."""
from __future__ import annotations

from scrapy.settings import Settings

from newscrawl import settings as project_settings
from newscrawl.profile import Column, Portal
from spiders.base import PortalSpider
from spiders.xjtu import XjtuSpider


def _settings_for(spider_cls) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    spider_cls.update_settings(settings)
    return settings


def test_defaults_are_polite():
    s = _settings_for(XjtuSpider)
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert s.getfloat("DOWNLOAD_DELAY") >= 1 and s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert s.get("USER_AGENT").startswith("NewsCrawl/") and s.get("NEWSCRAWL_CONTACT") in s.get("USER_AGENT")


def test_a_portal_can_ask_for_gentler_limits_on_its_host():
    class SlowSpider(PortalSpider):
        name = "slow"
        portal = Portal(name="slow", title="慢", base_url="https://news.slow.edu.cn",
                        columns=(Column("index/xw.htm", "新闻"),), concurrency=1, delay=5.0)

    slots = _settings_for(SlowSpider).getdict("DOWNLOAD_SLOTS")
    assert slots == {"news.slow.edu.cn": {"concurrency": 1, "delay": 5.0}}


def test_portals_without_limits_leave_the_defaults_alone():
    assert _settings_for(XjtuSpider).getdict("DOWNLOAD_SLOTS") == {}


def _user_agent(**cmdline) -> str:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(cmdline, priority="cmdline")
    XjtuSpider.update_settings(settings)
    return settings.get("USER_AGENT")


def test_the_contact_setting_goes_into_the_user_agent():
    agent = _user_agent(NEWSCRAWL_CONTACT="mailto:archive@example.edu.cn")
    assert agent == "NewsCrawl/0.1 (+mailto:archive@example.edu.cn; university news archiver)"


def test_an_explicit_user_agent_wins():
    assert _user_agent(USER_AGENT="MyArchive/1.0") == "MyArchive/1.0"
