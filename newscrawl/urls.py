"""Canonical article URLs, so one article is one identity however a portal links it."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# VSB serves every article also as content.jsp?urltype=news.NewsContentUrl&wbtreeid=C&wbnewsid=A.
_CONTENT_JSP = re.compile(r"/content\.jsp$", re.I)
# Article pages of VSB (/info/1002/213245.htm) and WebPlus (/2025/0430/c1002a213245/page.htm).
_ARTICLE_PATH = re.compile(r"/info/\d+/\d+\.htm$|/\d{4}/\d{4}/c\d+a\d+/page\.htm$")


def canonical_url(url: str, scheme: str | None = None) -> str:
    """The one form of ``url`` the archive keys on.

    Host lower-cased, default port and fragment dropped, ``index.htm`` folded into its
    folder, VSB's ``content.jsp`` alias turned into ``/info/C/A.htm``, query strings dropped
    from article pages (they only carry tracking), and the scheme forced to the portal's
    (``scheme``) because portals serve the same page on http and https.
    """
    url = canonicalize_url(url.strip(), keep_fragments=False)
    parts = urlsplit(url)
    path, query = parts.path or "/", parts.query
    if _CONTENT_JSP.search(path):
        q = parse_qs(query)
        tree, news = q.get("wbtreeid", [""])[0], q.get("wbnewsid", [""])[0]
        if tree.isdigit() and news.isdigit():
            path, query = f"{path.rsplit('/', 1)[0]}/info/{tree}/{news}.htm", ""
    if _ARTICLE_PATH.search(path):
        query = ""
    if path.endswith("/index.htm"):
        path = path[: -len("index.htm")]
    netloc = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        netloc += f":{parts.port}"
    return urlunsplit(((scheme or parts.scheme).lower(), netloc, path, query, ""))


def url_forms(url: str) -> list[str]:
    """The forms the archive may hold ``url`` under: canonical, as https and as http."""
    forms = []
    for scheme in (None, "https", "http"):
        try:
            forms.append(canonical_url(url, scheme=scheme))
        except ValueError:
            pass
    return forms


def is_article_url(url: str, pattern: str) -> bool:
    return re.search(pattern, urlsplit(canonical_url(url)).path) is not None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def in_scope(url: str, base_url: str, extra_hosts: tuple[str, ...] = ()) -> bool:
    """Is ``url`` a page of the portal at ``base_url``: http(s), its host and its port?

    A portal on default ports may be reached over http or https; one on its own port only
    there. Hosts the profile names (``extra_hosts``) count as the portal's, on default
    ports. Anything unparseable is out of scope.
    """
    try:
        parts, base = urlsplit(url.strip()), urlsplit(base_url)
        port, base_port = _effective_port(parts), _effective_port(base)
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return False
    host = parts.hostname.lower()
    if host in extra_hosts:
        return port in _DEFAULT_PORTS.values()
    if host != (base.hostname or "").lower():
        return False
    if base.port is None or base.port == _DEFAULT_PORTS.get(base.scheme):
        return port in _DEFAULT_PORTS.values()
    return port == base_port


def _effective_port(parts) -> int | None:
    return parts.port or _DEFAULT_PORTS.get(parts.scheme)
