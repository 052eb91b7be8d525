"""Counter endpoints, pure: the count in a text, the template learned from a render, its checks."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from w3lib.url import canonicalize_url

# VSB's counter endpoint, as /system/resource/js/dynclicks.js calls it.
VSB_ENDPOINT = "/system/resource/code/news/click/dynclicks.jsp?clickid={clickid}&owner={owner}&clicktype={clicktype}"
_NUMBER = re.compile(r"-?\d+")
# The archive stores counts as SQLite INTEGERs (64-bit): a larger number is not a count.
MAX_COUNT = 2**63 - 1


class ViewCountError(Exception):
    """The count of one article could not be read (recorded as a failure; the article is kept)."""


class CountOutOfRange(ViewCountError):
    """A counter showed a number no count can be (negative, or beyond SQLite's INTEGER): the
    portal's data error for this one article, not a sign that the endpoint is wrong."""


def count_in(text: str) -> int | None:
    """The count in a counter's text or an endpoint's answer: its one number, else None.

    A number outside 0..2^63-1 (negative, or more than SQLite can store) raises
    ``CountOutOfRange``: the counter answered, but nothing that can be archived as a count.
    """
    numbers = _NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3})", "", text or ""))
    if len(numbers) != 1:
        return None
    number = numbers[0]
    # Compare lengths before int(): Python refuses to convert strings of over 4,300 digits.
    if len(number.lstrip("-0")) > len(str(MAX_COUNT)) or not 0 <= int(number) <= MAX_COUNT:
        shown = number if len(number) <= 40 else f"{number[:20]}… ({len(number)} characters)"
        raise CountOutOfRange(f"count {shown} out of range")
    return int(number)


def count_or_none(text: str) -> int | None:
    """``count_in`` for comparing: a number out of range equals no count."""
    try:
        return count_in(text)
    except CountOutOfRange:
        return None


def learn_endpoint(counter: dict, shown: int, responses: list[tuple[str, str]]) -> str | None:
    """The URL template of the response that carried ``shown``, the count the page showed.

    The response's path segments and query values equal to one of the page's
    ``_showDynClicks`` arguments become ``{clickid}``, ``{owner}``, ``{clicktype}``; without
    ``{clickid}`` the URL is not per article and so not a counter endpoint.
    """
    for url, body in responses:
        if count_or_none(body) != shown:
            continue
        template = _template(url, counter)
        if "{clickid}" in template:
            return template
    return None


def _template(url: str, counter: dict) -> str:
    # Longest first, whole tokens only: clickid 13245 must not match inside 713245.
    values = sorted(((str(v), k) for k, v in counter.items() if str(v)), key=lambda vk: -len(vk[0]))

    def part(raw: str) -> str:
        raw = raw.replace("{", "{{").replace("}", "}}")
        for value, name in values:
            raw = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "{%s}" % name, raw)
        return raw

    parts = urlsplit(url)
    path = "/".join(part(seg) for seg in parts.path.split("/"))
    query = "&".join(
        f"{part(key)}={part(value)}" if sep else part(key)
        for key, sep, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    base = f"{parts.scheme}://{parts.netloc}".replace("{", "{{").replace("}", "}}")
    return base + path + (f"?{query}" if query else "")


def counter_key(counter: dict) -> tuple:
    """What makes two articles' counters one (a cross-posted article shares its counter)."""
    if counter.get("kind") == "webplus":
        return ("webplus", counter["url"])
    return (str(counter["owner"]), str(counter["clickid"]), str(counter["clicktype"]))


def endpoint_url(template: str, counter: dict, page_url: str) -> str:
    """The counter URL of one article: the template filled from its own ``_showDynClicks``."""
    return urljoin(page_url, template.format(**counter))


def recheck_problem(expected_url: str, shown: int, responses: list[tuple[str, str]]) -> str | None:
    """Why a rendered page contradicts the learned endpoint, or None if it agrees."""
    wanted = canonicalize_url(expected_url)
    bodies = [body for url, body in responses if canonicalize_url(url) == wanted]
    if not bodies:
        return f"the page did not request {expected_url}"
    if count_or_none(bodies[-1]) != shown:
        return f"the page shows {shown} but {expected_url} answered {bodies[-1][:40]!r}"
    return None


def agrees(shown: int, direct: int) -> bool:
    """A direct reading taken just after the browser's may only have grown, and only by a few
    views (a real VSB counter counts every reading, ours included). Counts out of range agree
    with nothing."""
    if not (0 <= shown <= MAX_COUNT and 0 <= direct <= MAX_COUNT):
        return False
    return shown <= direct <= shown + max(2, shown // 100)


# -- the batch counter: a list page's counts in one request ---------------------------------

# VSB's batch counter, as list pages' _showDynClickBatch calls it: the counts, comma-separated,
# in the order of ``clickids``.
VSB_BATCH_ENDPOINT = ("/system/resource/code/news/click/dynclicksbatch.jsp"
                      "?clickids={clickids}&owner={owner}&clicktype={clicktype}")
# _showDynClickBatch(['dynclicks_u5_5588', …], [5588, …], "wbnews", 1391370217)
_BATCH_CALL = re.compile(
    r"""_showDynClickBatch\(\s*\[([^\]]*)\]\s*,\s*\[([^\]]*)\]\s*,\s*["'](\w+)["']\s*,\s*["']?(\d+)["']?\s*\)""")
_QUOTED = re.compile(r"""["']([^"']+)["']""")
_CLICKID = re.compile(r"""["']?(\d+)["']?""")


@dataclass(frozen=True)
class BatchCall:
    """The arguments of one ``_showDynClickBatch(span_ids, clickids, clicktype, owner)``:
    the counters a list page fills with one request."""

    span_ids: tuple[str, ...]
    clickids: tuple[str, ...]
    clicktype: str
    owner: str

    def counters(self) -> list[dict]:
        """Each row's counter, as an article page's ``_showDynClicks`` names it."""
        return [{"clicktype": self.clicktype, "owner": self.owner, "clickid": c} for c in self.clickids]


def find_batch_calls(html: str) -> list[BatchCall]:
    """Every ``_showDynClickBatch`` call of a list page (a page may hold several lists).

    Span ids and clickids are paired by position, as VSB's script pairs them; a call whose
    two lists differ in length is no call we can read.
    """
    calls = []
    for m in _BATCH_CALL.finditer(html or ""):
        span_ids = tuple(_QUOTED.findall(m.group(1)))
        clickids = tuple(c.group(1) for c in _CLICKID.finditer(m.group(2)))
        if clickids and len(span_ids) == len(clickids):
            calls.append(BatchCall(span_ids, clickids, m.group(3), m.group(4)))
    return calls


def batch_tokens(text: str, expected: int) -> list[str] | None:
    """The ``expected`` numbers of a batch counter's answer ("123,45,6"), as text for `count_in`;
    None when the answer is not that many numbers (then the endpoint is not to be trusted)."""
    tokens = [t.strip() for t in (text or "").strip().split(",")]
    if len(tokens) != expected or not all(re.fullmatch(r"-?\d+", t) for t in tokens):
        return None
    return tokens


def learn_batch_endpoint(call: BatchCall, shown: list[int | None], responses: list[tuple[str, str]]) -> str | None:
    """The URL template of the response that carried every count the list page showed, in
    order; its clickid list becomes ``{clickids}`` (the owner and clicktype as for one article).
    None when no response did, or the template would not be per list."""
    if not shown or any(s is None for s in shown):
        return None
    joined = ",".join(call.clickids)
    for url, body in responses:
        tokens = batch_tokens(body, len(shown))
        if tokens is None or [count_or_none(t) for t in tokens] != shown:
            continue
        url = re.sub("%2c", ",", url, flags=re.I)  # a script may have escaped the commas
        template = _template(url, {"clickids": joined, "owner": call.owner, "clicktype": call.clicktype})
        if "{clickids}" in template:
            return template
    return None


def batch_endpoint_url(template: str, clickids: list[str] | tuple[str, ...], owner: str, clicktype: str,
                       page_url: str) -> str:
    """The batch counter URL for ``clickids`` (one owner and clicktype)."""
    return urljoin(page_url, template.format(clickids=",".join(clickids), owner=owner, clicktype=clicktype))
