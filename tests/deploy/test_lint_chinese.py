"""The validators' own messages (BPMN XSD, XML parser, SpiffWorkflow) reach the process owner in Chinese and
once: the broken corpus plus hand-broken variants of the valid base file list no English sentence and no
reason twice; the SpiffWorkflow parser's restatement of a rule's finding is dropped."""

import re
from pathlib import Path

import pytest

from engine.core import sandbox
from engine.deploy.lint import lint_bundle
from engine.deploy.lint_zh import spiff_message, xml_message, xsd_message

CORPUS = Path(__file__).resolve().parent / "bpmn_lint"
BASE = (CORPUS / "ok_base.bpmn").read_text(encoding="utf-8")
ENGLISH = re.compile(r"\b(?:is|not|the|of|for|with|no|found|expected|allowed|element|attribute|missing|"
                     r"premature|support|condition|process|required|content|valid|value|type)\b", re.IGNORECASE)
VARIANTS = {
    "unknown element": BASE.replace("<bpmn:endEvent", "<bpmn:endEventX").replace("</bpmn:endEvent>",
                                                                             "</bpmn:endEventX>"),
    "cut off": BASE[: len(BASE) // 2],
    "not xml": "this is not xml",
    "bad boolean": BASE.replace('isExecutable="true"', 'isExecutable="maybe"'),
    "stray attribute": BASE.replace("<bpmn:userTask", '<bpmn:userTask foo="1"', 1),
    "bad id": BASE.replace('id="review"', 'id="1review"'),
}


def _cases():
    for path in sorted(CORPUS.glob("broken_*.bpmn")):
        yield path.stem, path.read_text(encoding="utf-8")
    yield from VARIANTS.items()


def _readable(message: str) -> str:
    """The message without the parts that are the user's own (quoted values, ids, element names)."""
    message = re.sub(r"[“\"'][^”\"']*[”\"']", "", message)
    return re.sub(r"[A-Za-z_][\w:.-]*(?:_\w+|:\w+)", "", message)


@pytest.mark.parametrize(("name", "xml"), list(_cases()), ids=[n for n, _ in _cases()])
def test_every_reason_is_chinese_and_listed_once(session, name, xml):
    _, problems = lint_bundle(session, "lint_case", xml, {})
    assert problems, name
    messages = [str(p) for p in problems]
    assert len(messages) == len(set(messages)), messages
    english = [m for m in messages if ENGLISH.search(_readable(m))]
    assert english == [], english


def test_the_parsers_restatement_of_a_rule_is_dropped(session):
    xml = (CORPUS / "broken_flow_without_condition.bpmn").read_text(encoding="utf-8")
    problems = lint_bundle(session, "lint_case", xml, {})[1]
    about_f4 = [p.message for p in problems if p.element_id == "f4"]
    assert about_f4 == ["从排他网关“结论”出发的非默认顺序流必须有条件表达式"]


def test_translations_and_the_wrapped_unknown():
    assert xsd_message("Element '{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask', attribute 'foo': "
                       "The attribute 'foo' is not allowed.") == "元素 bpmn:userTask 不允许有属性 foo"
    assert xml_message("Opening and ending tag mismatch: task line 3 and process, line 9, column 12") == \
        "第 3 行的开始标签 task 与结束标签 process 不匹配（第 9 行第 12 列）"
    assert spiff_message(ValueError("Process p1 is not executable.")) == "流程 p1 未标记为可执行"
    assert spiff_message(ValueError("Something new went wrong.")) == "解析器报告错误（原文：Something new went wrong）"
    assert xsd_message("Element 'x': Something unheard of.").startswith("不符合架构定义（校验器原文：")


@pytest.mark.parametrize(("script", "reason"), [
    ("a = (1", "括号“(”没有闭合"), ("x ==", "语法不正确"), ('a = "abc', "字符串缺少结束引号"),
    ("if x\n  y", "此处缺少“:”"), (" x = 1", "缩进不正确"), ("1 = x", "赋值号“=”左边不是变量"),
])
def test_script_syntax_errors_are_told_in_chinese(script, reason):
    (message,) = sandbox.check(script, mode="exec")
    assert message.startswith("脚本语法错误（第 1 行）：" + reason), message
    assert not ENGLISH.search(_readable(message)), message
