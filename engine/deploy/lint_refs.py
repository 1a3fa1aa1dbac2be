"""What a process refers to: lanes → roles, user-task forms, allow-listed host functions and scripts,
timer expressions, DMN decisions and the data they read and write."""

import ast
import re
from datetime import datetime

from engine.core.forms import form_exists
from engine.core.scripting import HOST_FUNCTIONS
from engine.deploy.files import parse_untrusted
from engine.deploy.lint_zh import xml_error
from engine.deploy.problems import BPMN_NS, NS, Problem, label, local_name
from engine.deploy.scriptcheck import site_problems

TIMER_KINDS = {"timeDuration": "持续时间", "timeDate": "时间点", "timeCycle": "循环周期"}
PROCESS_KEY = re.compile(r"[a-z][a-z0-9_]{1,59}")


def lane_of(root) -> dict[str, object]:
    """Flow node id → its lane element (document-wide, as SpiffWorkflow assigns them)."""
    return {ref.text.strip(): ref.getparent() for ref in root.iterfind(".//bpmn:flowNodeRef", NS) if ref.text}


def effective_lane(node, lanes: dict):
    """The node's lane, or the lane of the nearest subprocess around it (SpiffWorkflow inherits it)."""
    while node is not None:
        if node.get("id") in lanes:
            return lanes[node.get("id")]
        node = node.getparent()
    return None


def lane_problems(root, role_names: dict[str, str]) -> tuple[dict[str, str], list[Problem]]:
    """Lane name → role code for every lane; a lane no role matches is a problem (DESIGN §3)."""
    mapping, problems = {}, []
    for lane in root.iterfind(".//bpmn:lane", NS):
        name = (lane.get("name") or "").strip()
        if name in role_names:
            mapping[name] = role_names[name]
        else:
            problems.append(Problem(lane.get("id"), f"泳道“{name or '未命名'}”没有对应的角色"))
    return mapping, problems


def _properties(task) -> dict:
    return {p.get("name"): p.get("value") for p in task.iterfind(".//spiffworkflow:property", NS)}


def user_task_problems(process, lanes: dict, mapping: dict) -> list[Problem]:
    """Every user task has a name, an existing form and someone to do it (a role lane or an assignee)."""
    problems = []
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        task_id, props = task.get("id"), _properties(task)
        if not (task.get("name") or "").strip():
            problems.append(Problem(task_id, "用户任务没有名称"))
        if not props.get("formKey"):
            problems.append(Problem(task_id, f"用户任务“{label(task)}”没有指定表单（formKey）"))
        elif not form_exists(props["formKey"]):
            problems.append(Problem(task_id, f"用户任务“{label(task)}”引用的表单 {props['formKey']} 不存在"))
        lane = effective_lane(task, lanes)
        if not props.get("assignee") and (lane is None or (lane.get("name") or "").strip() not in mapping):
            problems.append(Problem(task_id, f"用户任务“{label(task)}”不在任何角色泳道中，也没有指定办理人"))
    return problems


def service_problems(process) -> list[Problem]:
    """Service tasks call allow-listed host functions; ids never clash with operator/parameter ids."""
    problems = []
    element_ids = {el.get("id") for el in process.getroottree().getroot().iter(f"{{{BPMN_NS}}}*") if el.get("id")}
    for task in process.iter(f"{{{BPMN_NS}}}serviceTask"):
        op = task.find(".//spiffworkflow:serviceTaskOperator", NS)
        if op is None:
            problems.append(Problem(task.get("id"), f"服务任务“{label(task)}”没有指定宿主函数"))
            continue
        if op.get("id") not in HOST_FUNCTIONS:
            problems.append(Problem(task.get("id"), f"服务任务调用了不在允许清单中的宿主函数 {op.get('id')}"))
        # SpiffWorkflow looks elements up by id, extension elements included: a clash breaks parsing.
        clashes = [op.get("id")] + [p.get("id") for p in op.iterfind(".//spiffworkflow:parameter", NS)]
        for clash in sorted({c for c in clashes if c in element_ids}):
            problems.append(Problem(clash, f"流程元素 id {clash} 与宿主函数或参数同名，请改用其他 id"))
    return problems


def script_lint(root) -> list[Problem]:
    """Every expression and script of the document (all processes, subprocesses, shared definitions)
    passes the sandbox policy; every script task has a script."""
    problems = []
    for task in root.iter(f"{{{BPMN_NS}}}scriptTask"):
        script = task.find("bpmn:script", NS)
        if script is None or not (script.text or "").strip():
            problems.append(Problem(task.get("id"), f"脚本任务“{label(task)}”没有脚本"))
    return problems + [Problem(element_id, message) for element_id, message in site_problems(root)]


def _literal_timer_problem(kind: str, value: str) -> str | None:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition as Timer

    try:
        if kind == "timeDuration":
            Timer.parse_iso_duration(value)
        elif kind == "timeDate":
            datetime.fromisoformat(value)
        else:
            Timer.parse_iso_recurring_interval(value)
    except Exception:  # SpiffWorkflow raises bare Exception for bad durations
        return f"定时器{TIMER_KINDS[kind]} {value!r} 不是有效的 ISO 8601 表达式"
    return None


def _expression(text: str):
    try:
        return ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def timer_problems(process) -> list[Problem]:
    """Each timer has one expression that parses (a literal must be valid ISO 8601)."""
    problems = []
    for timer in process.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        event_id = timer.getparent().get("id")
        exprs = [c for c in timer if isinstance(c.tag, str) and local_name(c) in TIMER_KINDS]
        text = (exprs[0].text or "").strip() if exprs else ""
        if len(exprs) != 1 or not text:
            problems.append(Problem(event_id, "定时器应有且只有一个时间表达式（持续时间、时间点或循环周期）"))
            continue
        node = _expression(text)  # what the expression may use is checked with every other site
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            problem = _literal_timer_problem(local_name(exprs[0]), node.value)
            problems += [Problem(event_id, problem)] if problem else []
    return problems


def process_problems(root, process_key: str):
    """The process to deploy: present, executable, snake_case id; returns (process element, problems)."""
    problems = []
    if not PROCESS_KEY.fullmatch(process_key or ""):
        problems.append(Problem(process_key or "", "流程 id 应以小写字母开头，只含小写字母、数字和下划线"))
    found = list(root.iterfind(".//bpmn:process", NS))
    process = next((p for p in found if p.get("id") == process_key), None)
    if process is None:
        ids = "、".join(p.get("id") or "?" for p in found) or "无"
        problems.append(Problem(process_key or "", f"文件中没有 id 为 {process_key} 的流程（文件中的流程：{ids}）"))
    elif process.get("isExecutable") != "true":
        problems.append(Problem(process_key, "流程未标记为可执行（isExecutable=\"true\"）"))
    return process, problems


def names_used(process) -> set[str]:
    """Names the process's expressions read (conditions, parameters, scripts, timers)."""
    texts = [c.text for c in process.iter(f"{{{BPMN_NS}}}conditionExpression")]
    texts += [p.get("value") for p in process.iterfind(".//spiffworkflow:parameter", NS)]
    texts += [s.text for s in process.iterfind(".//bpmn:script", NS)]
    texts += [t.text for t in process.iterfind(".//bpmn:timerEventDefinition/*", NS)]
    return {n.id for t in texts if t for n in _safe_walk(t) if isinstance(n, ast.Name)}


def _safe_walk(text: str):
    try:
        return list(ast.walk(ast.parse(text)))
    except SyntaxError:
        return []


def parse_dmn(dmn_files: dict[str, str]) -> tuple[dict[str, object], list[Problem]]:
    """Decision id → decision element of every DMN file; unreadable files are problems."""
    decisions, problems = {}, []
    for name, xml in sorted(dmn_files.items()):
        try:
            root = parse_untrusted(xml)
        except Exception as exc:  # every parser failure becomes a listed reason
            problems.append(Problem(name, f"DMN 文件无法解析：{xml_error(exc)}"))
            continue
        if local_name(root) != "definitions" or "dmn" not in root.tag.lower():
            problems.append(Problem(name, "不是 DMN 决策表文件"))
            continue
        decisions.update({d.get("id"): d for d in root.iter() if isinstance(d.tag, str) and local_name(d) == "decision"})
    return decisions, problems
