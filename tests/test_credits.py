import pytest

from newscrawl.extract.credits import parse_credits


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            "文字:校友部、技术转移中心、天津滨海新区组织部、天津校友会 图片:天津电视台、天津校友会 编辑:徐琛",
            {"文字": ["校友部", "技术转移中心", "天津滨海新区组织部", "天津校友会"], "图片": ["天津电视台", "天津校友会"], "编辑": ["徐琛"]},
        ),
        ("（编辑：付晓歌）", {"编辑": ["付晓歌"]}),
        ("文字：张三 摄影：李四，王五", {"文字": ["张三"], "摄影": ["李四", "王五"]}),
        ("审核：王五 / 初审：李四", {"审核": ["王五"], "初审": ["李四"]}),
        ("责任编辑：赵六 审核:钱七", {"责任编辑": ["赵六"], "审核": ["钱七"]}),
        ("撰稿：党委宣传部/电气工程学院", {"撰稿": ["党委宣传部", "电气工程学院"]}),
        ("初审：甲乙 复审：丙丁 终审：戊己", {"初审": ["甲乙"], "复审": ["丙丁"], "终审": ["戊己"]}),
    ],
)
def test_credit_lines(line, expected):
    assert parse_credits(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "他说：编辑：很好",  # a sentence that mentions a role is body text
        "会议由校长主持。编辑部主任出席",
        "编辑：这是一段很长的句子而不是一个名字列表因为它远远超过了名字的长度",
        "",
    ],
)
def test_body_sentences_are_not_credits(line):
    assert parse_credits(line) is None
