"""A discovered portal as a profile: the source of spiders/<name>.py, or a spider class made on the spot (`crawl --url`)."""
from __future__ import annotations

import json
import keyword
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

from newscrawl.discover.survey import Discovery, discover
from newscrawl.profile import Portal
from spiders.base import PortalSpider

logger = logging.getLogger(__name__)

# Host labels that say nothing about the portal (news.xjtu.edu.cn is xjtu).
_GENERIC_LABELS = {"www", "news", "edu", "cn", "com", "org", "net", "gov", "ac"}
# Modules of spiders/ a profile must not replace.
RESERVED = {"base", "counts"}


def name_for(url: str) -> str:
    """A portal name from the host: news.xjtu.edu.cn -> xjtu, cs.whu.edu.cn -> cs_whu,
    127.0.0.1:8000 -> portal_127_0_0_1_8000."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    labels = [label for label in host.split(".") if label not in _GENERIC_LABELS] or host.split(".")
    if re.fullmatch(r"[\d.]+", host):
        labels = host.split(".") + ([str(parts.port)] if parts.port else [])
    name = re.sub(r"\W+", "_", "_".join(labels), flags=re.ASCII).strip("_").lower() or "portal"
    return name if name[0].isalpha() and not keyword.iskeyword(name) else f"portal_{name}"


def check_name(name: str) -> str | None:
    """Why ``name`` cannot name a profile (spiders/<name>.py, `scrapy crawl <name>`), or None."""
    if not name.isidentifier() or not name.isascii() or keyword.iskeyword(name):
        return f"{name!r} is not a Python identifier (letters, digits and _, not a keyword): it names spiders/{name}.py"
    if name.startswith("_") or name in RESERVED:
        return f"{name!r} is reserved (spiders/{name}.py is part of NewsCrawl)"
    return None


def class_name(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) + "Spider"


def profile_source(portal: Portal, found: Discovery) -> str:
    """spiders/<name>.py for ``portal``, in the shape of spiders/xjtu.py, to be reviewed by a person."""
    host = urlsplit(portal.base_url).netloc
    title = re.sub(r'["\\\x00-\x1f]', "", portal.title)
    lines = [
        f'"""{title} ({host}): found by `newscrawl discover {found.url}`; review the columns."""',
        "from newscrawl.profile import Column, Portal",
        "from spiders.base import PortalSpider",
        "",
        "",
        f"class {class_name(portal.name)}(PortalSpider):",
        f"    name = {_text(portal.name)}",
        "    portal = Portal(",
        f"        name={_text(portal.name)},",
        f"        title={_text(portal.title)},",
        f"        sample_article={_text(portal.sample_article)},",
        f"        base_url={_text(portal.base_url)},",
    ]
    if portal.cms != "vsb":
        lines.append(f"        cms={_text(portal.cms)},")
    lines.append("        columns=(")
    lines += [f"            Column({_text(c.path)}, {_text(c.name)})," for c in portal.columns]
    lines.append("        ),")
    if portal.title_suffix:
        lines.append(f"        title_suffix={_text(portal.title_suffix)},")
    if portal.related_endpoint:
        lines.append(f"        related_endpoint={_text(portal.related_endpoint)},")
    lines.append("    )")
    source = "\n".join(lines) + "\n"
    compile(source, f"spiders/{portal.name}.py", "exec")  # whatever the portal's names hold, the file is Python
    return source


def _text(value: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are Python's)."""
    return json.dumps(value, ensure_ascii=False)


def write_profile(portal: Portal, found: Discovery, directory: Path, force: bool = False) -> Path:
    """Write ``directory/<name>.py``; an existing file is kept unless ``force``."""
    path = Path(directory) / f"{portal.name}.py"
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists: pick another --name, or --force to replace it")
    source = profile_source(portal, found)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def spider_class(url: str, settings=None, name: str | None = None, **options) -> type[PortalSpider]:
    """A PortalSpider subclass for the portal at ``url``, its profile discovered now (under
    the crawl ``settings``), for `newscrawl crawl --url`: ``CrawlerProcess.create_crawler``
    runs it like a declared portal. Raises DiscoveryError when there is nothing to crawl."""
    name = name or name_for(url)
    found = discover(url, settings, **options)
    portal = found.portal(name, unreachable=True)
    for skipped in found.skipped:
        if skipped.kind == "unreachable":
            logger.info("%s: column %s (%s) could not be checked (%s): crawled all the same", name, skipped.name,
                        skipped.url, skipped.reason)
        elif skipped.kind == "other_family":
            # Articles this crawl will not archive: said on every run (as an error, which is
            # what cron mails), until a profile covers them.
            logger.error("%s: column %s (%s) is not crawled: %s (a profile of its own can crawl it: "
                         "newscrawl discover %s --write)", name, skipped.name, skipped.url, skipped.reason, skipped.url)
    return type(class_name(name), (PortalSpider,), {"name": name, "portal": portal, "__module__": __name__,
                                                    "__doc__": f"{portal.title}, discovered at {url}."})
