import pytest

from newscrawl.extract.credits import parse_credits, split_byline


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
        ("（通讯员 张三）", {"通讯员": ["张三"]}),  # in brackets a byline leaves the colon out
        ("（记者 李四 摄影 王五）", {"记者": ["李四"], "摄影": ["王五"]}),
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
        "记者 李四",  # without brackets, a colon is what makes a role a label
        "（图片来自网络）",
        "",
    ],
)
def test_body_sentences_are_not_credits(line):
    assert parse_credits(line) is None


@pytest.mark.parametrize(
    "line, expected",
    [
        ("文字：张三 摄影：李四 编辑：王五", {"文字": ["张三"], "摄影": ["李四"], "编辑": ["王五"]}),
        ("文字:张三 摄影:李四", {"文字": ["张三"], "摄影": ["李四"]}),  # ASCII colons
        ("编辑 ： 王五", {"编辑": ["王五"]}),  # spaces around the colon
        ("摄影：张三、李四，王五,赵六/钱七；孙八 周九", {"摄影": ["张三", "李四", "王五", "赵六", "钱七", "孙八", "周九"]}),
        ("文字：张三；摄影：李四", {"文字": ["张三"], "摄影": ["李四"]}),  # roles split by a semicolon
        ("摄影：张三（实习）、李四(学生记者)", {"摄影": ["张三", "李四"]}),  # notes in brackets are not names
        ("（文/图：张三）", {"文/图": ["张三"]}),
        ("【责任编辑：李四】", {"责任编辑": ["李四"]}),
        ("实习生：肖淙文", {"实习生": ["肖淙文"]}),  # news.whu's byline
        ("作者：研招办", {"作者": ["研招办"]}),
        ("通讯员：王五 校对：赵六 排版：钱七", {"通讯员": ["王五"], "校对": ["赵六"], "排版": ["钱七"]}),
        ("供稿：计算机学院 视频：新闻中心", {"供稿": ["计算机学院"], "视频": ["新闻中心"]}),
    ],
)
def test_more_credit_forms(line, expected):
    assert parse_credits(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "组 长：何兆益",  # a committee list in a notice (yjszs 1792), not a byline
        "联系人：张老师",
        "二、复试时间:2021年4月25日8:30",
        "编辑：他说得对。",  # sentence punctuation: a clause, not names
        "编辑：详见附件：报名表",  # a nested label
        "学院各系（所）：",
        "编辑部主任：张三",  # a role word inside a longer word
    ],
)
def test_prose_with_a_colon_is_not_credits(line):
    assert parse_credits(line) is None


@pytest.mark.parametrize(
    "line, where, credits, rest",
    [
        ("本网讯（记者 李四 摄影 王五）5月19日，论坛举行。", "start", {"记者": ["李四"], "摄影": ["王五"]}, "本网讯5月19日，论坛举行。"),
        ("（通讯员 张三）近日，我校举行运动会。", "start", {"通讯员": ["张三"]}, "近日，我校举行运动会。"),
        ("会议圆满结束。（通讯员 张三）", "end", {"通讯员": ["张三"]}, "会议圆满结束。"),
        ("近日，我校（含分校）举行运动会。", "start", {}, "近日，我校（含分校）举行运动会。"),
        ("详见通知（附件一）", "end", {}, "详见通知（附件一）"),
    ],
)
def test_bylines_at_the_edges_of_a_body_line(line, where, credits, rest):
    assert split_byline(line, where) == (credits, rest)
