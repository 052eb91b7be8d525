"""Credit lines (文字:… 图片:… 编辑:…) to {role: [names]}, and telling them from body text."""
from __future__ import annotations

import re

# Roles Chinese university portals print; longer first so 责任编辑 wins over 编辑.
ROLES = sorted(
    """文字 撰稿 撰文 作者 记者 图片 图文 摄影 视频 编辑 责任编辑 责编 审核 审稿 审校 审定 初审 复审 终审
    供稿 通讯员 校对 排版 美编 翻译 设计 统筹 监制 出品 策划 采写 剪辑 配音""".split(),
    key=len,
    reverse=True,
)
_ROLE = "|".join(ROLES)
_SEGMENT = re.compile(rf"(?:^|(?<=[\s（(【\[|｜]))({_ROLE})\s*[:：]\s*")
_NAME_SPLIT = re.compile(r"[、，,/／;；\s]+")
_BRACKETS = "（）()【】[]"


def parse_credits(line: str) -> dict[str, list[str]] | None:
    """Credits on ``line``, or None when the line is not purely a credit line.

    Only a line made of nothing but ``role: names`` segments counts, so a body sentence
    that happens to mention "编辑：" is left alone.
    """
    text = line.strip().strip(_BRACKETS).strip()
    matches = list(_SEGMENT.finditer(text))
    if not matches or matches[0].start() != 0:
        return None
    credits: dict[str, list[str]] = {}
    for m, nxt in zip(matches, matches[1:] + [None]):
        chunk = text[m.end() : nxt.start() if nxt else len(text)]
        chunk = chunk.strip().strip(_BRACKETS + "|｜").strip()
        names = [n.strip(_BRACKETS) for n in _NAME_SPLIT.split(chunk)]
        names = [n for n in names if n]
        if any(len(n) > 20 for n in names):  # a sentence, not a name list
            return None
        bucket = credits.setdefault(m.group(1), [])
        bucket.extend(n for n in names if n not in bucket)
    return {role: names for role, names in credits.items() if names} or None


def merge_credits(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for part in parts:
        for role, names in part.items():
            bucket = merged.setdefault(role, [])
            bucket.extend(n for n in names if n not in bucket)
    return merged
