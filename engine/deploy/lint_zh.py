"""The validators' own messages (the BPMN XSD via lxml, the XML parser, SpiffWorkflow's parser) in Chinese:
the common ones translated, any other wrapped in a Chinese sentence with the original after it; and the
list deduplicated (a parser failure restating what a rule of ours already said about the element goes)."""

import re

from lxml import etree

from engine.deploy.problems import Problem

NAMESPACES = {"http://www.omg.org/spec/BPMN/20100524/MODEL": "bpmn",
              "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow",
              "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi",
              "http://www.omg.org/spec/DD/20100524/DC": "dc", "http://www.omg.org/spec/DD/20100524/DI": "di"}
TYPES = {"xs:boolean": "布尔值（true/false）", "xs:ID": "元素 id（以字母或下划线开头，不含空格）",
         "xs:IDREF": "元素 id 引用", "xs:QName": "限定名", "xs:integer": "整数", "xs:anyURI": "URI"}
ELEMENT = r"Element '(?P<el>[^']+)'"


def short(text: str) -> str:
    """`{namespace}name` written as `prefix:name`."""
    return re.sub(r"\{([^}]+)\}", lambda m: NAMESPACES.get(m.group(1), m.group(1)) + ":", text)


def _listed(text: str) -> str:
    return "、".join(part.strip() for part in short(text).split(",") if part.strip())


XSD = [
    (ELEMENT + r", attribute '(?P<at>[^']+)': The attribute '[^']+' is not allowed",
     lambda m: f"元素 {short(m['el'])} 不允许有属性 {m['at']}"),
    (ELEMENT + r", attribute '(?P<at>[^']+)': '(?P<v>[^']*)' is not a valid value of the (?:atomic|list) type "
               r"'(?P<t>[^']+)'",
     lambda m: f"元素 {short(m['el'])} 的属性 {m['at']} 的值“{m['v']}”不是有效的{TYPES.get(m['t'], m['t'])}"),
    (ELEMENT + r": The attribute '(?P<at>[^']+)' is required but missing",
     lambda m: f"元素 {short(m['el'])} 缺少必需的属性 {m['at']}"),
    (ELEMENT + r": This element is not expected\. Expected is(?: one of)? \( (?P<ex>.+) \)",
     lambda m: f"此处不应出现元素 {short(m['el'])}（此处允许：{_listed(m['ex'])}）"),
    (ELEMENT + r": This element is not expected",
     lambda m: f"此处不应出现元素 {short(m['el'])}"),
    (ELEMENT + r": Missing child element\(s\)\. Expected is(?: one of)? \( (?P<ex>.+) \)",
     lambda m: f"元素 {short(m['el'])} 缺少子元素（应有：{_listed(m['ex'])}）"),
    (ELEMENT + r": Character content other than whitespace is not allowed",
     lambda m: f"元素 {short(m['el'])} 中不允许出现文字内容"),
    (ELEMENT + r": Duplicate key-sequence \['(?P<v>[^']*)'\]",
     lambda m: f"id“{m['v']}”重复使用（元素 {short(m['el'])}）"),
    (ELEMENT + r".*No match found for key-sequence \['(?P<v>[^']*)'\]",
     lambda m: f"元素 {short(m['el'])} 引用的 id“{m['v']}”不存在"),
]
XML = [
    (r"Premature end of data in tag (?P<tag>\S+) line (?P<line>\d+)",
     lambda m: f"文件不完整：第 {m['line']} 行的标签 {m['tag']} 没有结束"),
    (r"Start tag expected, '<' not found", lambda m: "不是 XML 文件（应以“<”开始）"),
    (r"Opening and ending tag mismatch: (?P<a>\S+) line (?P<line>\d+) and (?P<b>[^\s,]+)",
     lambda m: f"第 {m['line']} 行的开始标签 {m['a']} 与结束标签 {m['b']} 不匹配"),
    (r"Extra content at the end of the document", lambda m: "文件结尾有多余的内容"),
    (r"Attribute (?P<at>\S+) redefined", lambda m: f"属性 {m['at']} 重复定义"),
    (r"Namespace prefix (?P<p>\S+) .*is not defined", lambda m: f"命名空间前缀 {m['p']} 未定义"),
]
SPIFF = [
    (r'No DMN Diagram available with id "(?P<id>[^"]*)"', lambda m: f"找不到决策表 {m['id']}"),
    (r"Non-default exclusive outgoing sequence flow without condition",
     lambda m: "排他网关的非默认出口顺序流没有条件表达式"),
    (r"There is no support implemented for this task type", lambda m: "不支持这种任务类型"),
    (r"Process (?P<id>\S+) is not executable", lambda m: f"流程 {m['id']} 未标记为可执行"),
    (r"No start event found", lambda m: "没有开始事件"),
    (r"A Service Task must have an operator", lambda m: "服务任务没有指定宿主函数（operator）"),
    (r"Invalid Script Task\.\s+No Script Provided", lambda m: "脚本任务没有脚本"),
    (r"Unknown Time Specification", lambda m: "无法识别的定时器设置"),
    (r"Time Specification Error", lambda m: "定时器设置有误"),
    (r"Duplicate process ID: (?P<id>\S+)", lambda m: f"流程 id {m['id']} 重复"),
    (r"The process '(?P<id>[^']+)' was not found", lambda m: f"找不到流程 {m['id']}"),
    (r"Cannot resolve (?:dataInputAssociation|dataOutputAssociation) (?P<n>\S+)",
     lambda m: f"无法解析数据关联 {m['n']}"),
    (r"No \"calledElement\" attribute for Call Activity", lambda m: "调用活动没有指定被调用的流程（calledElement）"),
    (r"Conditional event definition with missing condition", lambda m: "条件事件没有条件"),
]


def _translate(table, message: str) -> str | None:
    for pattern, render in table:
        found = re.search(pattern, message)
        if found:
            return render(found)
    return None


def xsd_message(message: str) -> str:
    """One XSD violation (lxml's English) in Chinese; an unknown one wrapped, with its original text."""
    return _translate(XSD, message) or f"不符合架构定义（校验器原文：{short(message)}）"


def xml_message(message: str) -> str:
    """An XML syntax error (lxml's English) in Chinese, the unknown ones wrapped."""
    line = re.search(r"line (\d+), column (\d+)", message)
    where = f"（第 {line.group(1)} 行第 {line.group(2)} 列）" if line else ""
    return (_translate(XML, message) or f"XML 格式错误（解析器原文：{message}）") + where


def spiff_message(exc: Exception) -> str:
    """A SpiffWorkflow parser failure in Chinese, the unknown ones wrapped with their original text."""
    text = str(exc).strip().rstrip(".").strip()
    return _translate(SPIFF, text) or f"解析器报告错误（原文：{text}）"


def deduplicated(problems: list[Problem], engine: list[Problem]) -> list[Problem]:
    """The rules' problems without repeats, then the parser's about elements no rule has spoken of."""
    seen, kept = set(), []
    for problem in problems:
        if (problem.element_id, problem.message) not in seen:
            seen.add((problem.element_id, problem.message))
            kept.append(problem)
    spoken = {p.element_id for p in kept if p.element_id}
    return kept + [p for p in engine if not (p.element_id and p.element_id in spoken)]


def xml_error(exc: Exception) -> str:
    """Why a file could not be parsed: lxml's syntax errors translated, our own (Chinese) reasons as they are."""
    return xml_message(str(exc)) if isinstance(exc, etree.XMLSyntaxError) else str(exc)
