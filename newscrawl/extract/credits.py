"""Credit lines (文字:… 图片:… 编辑:…) to {role: [names]}, and telling them from body text."""
from __future__ import annotations

import re

# Roles Chinese university portals print. Matched longest first, so 责任编辑 wins over 编辑.
ROLES = sorted(
    """文字 撰稿 撰文 作者 记者 实习记者 学生记者 实习生 通讯员 图片 图片来源 图文 文/图 图/文 摄影 摄像 视频 编辑
    编发 责任编辑 责编 执行编辑 网络编辑 文字编辑 图片编辑 美编 主编 审核 审稿 审校 审定 核稿 签发 初审 复审 终审
    供稿 校对 排版 翻译 设计 统筹 监制 出品 策划 采写 剪辑 配音 整理 录入 录入员""".split(),
    key=len,
    reverse=True,
)
_ROLE = "|".join(map(re.escape, ROLES))
# A role starts the line or follows a separator: never the middle of a word (编辑部主任).
_SEGMENT = re.compile(rf"(?:^|(?<=[\s（(【\[|｜;；，,、/]))({_ROLE})\s*[:：]\s*")
# In brackets a byline may leave the colon out: （记者 李四 摄影 王五）, （通讯员 张三）.
_BARE_SEGMENT = re.compile(rf"(?:^|(?<=[\s（(【\[|｜;；，,、/]))({_ROLE})(?:\s*[:：]\s*|\s+)")
# A byline opening the first paragraph (本网讯（记者 李四）5月19日，…) or closing the last (…。（通讯员 张三）).
_LEADING_BYLINE = re.compile(r"^(?P<lead>[^（(。，,]{0,10}讯)?\s*(?P<byline>[（(][^（()）]{3,60}[)）])\s*")
_TRAILING_BYLINE = re.compile(r"\s*(?P<byline>[（(][^（()）]{3,60}[)）])\s*$")
_NAME_SPLIT = re.compile(r"[、，,/／;；\s]+")
_NOTE = re.compile(r"[（(][^（()）]*[)）]")  # 张三（实习） -> 张三: a note, not part of the name
_SENTENCE = re.compile(r"[。！？!?]|[\u4e00-\u9fff]{2,}[：:]")
_BRACKETS = "（）()【】[]"
MAX_NAME = 16  # 天津滨海新区组织部 is long for a name; a clause is longer


def parse_credits(line: str) -> dict[str, list[str]] | None:
    """Credits on ``line``, or None when the line is not purely a credit line.

    Only a line made of nothing but ``role: names`` segments counts, so a body sentence
    that happens to mention "编辑：" is left alone, and so is a line whose "names" read as
    a clause (sentence punctuation, a nested "label:", or longer than a name).
    """
    text = line.strip()
    segment = _SEGMENT
    if text[:1] in _BRACKETS and text[-1:] in _BRACKETS:
        text, segment = text[1:-1].strip(), _BARE_SEGMENT
    matches = list(segment.finditer(text))
    if not matches or matches[0].start() != 0:
        return None
    credits: dict[str, list[str]] = {}
    for m, nxt in zip(matches, matches[1:] + [None]):
        chunk = _NOTE.sub(" ", text[m.end() : nxt.start() if nxt else len(text)])
        chunk = chunk.strip().strip(_BRACKETS + "|｜;；，,、/").strip()
        if _SENTENCE.search(chunk):
            return None
        names = [n.strip(_BRACKETS) for n in _NAME_SPLIT.split(chunk)]
        names = [n for n in names if n]
        if any(len(n) > MAX_NAME for n in names):
            return None
        bucket = credits.setdefault(m.group(1), [])
        bucket.extend(n for n in names if n not in bucket)
    return {role: names for role, names in credits.items() if names} or None


def split_byline(line: str, where: str = "start") -> tuple[dict[str, list[str]], str]:
    """The credits of a bracketed byline at the ``start`` or ``end`` of a body line, and the
    line without it; ({}, line) when there is none (a bracket of other words is left alone).

    本网讯（记者 李四 摄影 王五）5月19日，… -> ({记者: [李四], 摄影: [王五]}, 本网讯5月19日，…)
    """
    found, start, end = find_byline(line, where)
    if not found:
        return {}, line
    return found, (line[:start] + line[end:]).strip()


def find_byline(line: str, where: str = "start") -> tuple[dict[str, list[str]], int, int]:
    """The credits of a bracketed byline at the ``start`` or ``end`` of ``line`` and where it
    stands in the line (what is cut from the text, and from the HTML, with it); ({}, 0, 0)
    when there is none. A 本网讯 lead before the byline stays: it is the article's."""
    m = (_LEADING_BYLINE if where == "start" else _TRAILING_BYLINE).search(line)
    found = parse_credits(m["byline"]) if m else None
    if not found:
        return {}, 0, 0
    start = m.end("lead") if where == "start" and m["lead"] else m.start()
    return found, start, m.end()


def merge_credits(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    """One credits dict from several, names in first-seen order, each once per role."""
    merged: dict[str, list[str]] = {}
    for part in parts:
        for role, names in part.items():
            bucket = merged.setdefault(role, [])
            bucket.extend(n for n in names if n not in bucket)
    return merged
