"""DMN decisions against the process that calls them: the decision exists, its expressions are safe,
its inputs read data the process has, and its outputs are data the process uses."""

import ast

from engine.scriptcheck import script_problems
from engine.workbench.lint_refs import names_used
from engine.workbench.problems import BPMN_NS, NS, Problem, label, local_name


def _children(element, name: str) -> list:
    return [c for c in element.iter() if isinstance(c.tag, str) and local_name(c) == name]


def _text(element) -> str:
    text = next(iter(_children(element, "text")), None)
    return (text.text or "").strip() if text is not None else ""


def _names(text: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def _entry_problems(text: str, where: str) -> list[str]:
    # SpiffWorkflow evaluates entries as Python; "?" stands for the input value and a bare comparison
    # such as "< 5" gets the input prepended, so both spellings are checked.
    if text in ("", "-"):
        return []
    text = text.replace("?", "dmninputexpr")
    found = script_problems(text, where)
    if found and all("语法错误" in m for m in found):
        found = script_problems(f"dmninputexpr {text}", where)
    return found


def _process_data(process) -> set[str]:
    """Names the process reads or sets (results, form data by task id, script assignments)."""
    known = set(names_used(process))
    known |= {op.get("resultVariable") for op in process.iterfind(".//spiffworkflow:serviceTaskOperator", NS)}
    known |= {t.get("id") for t in process.iter(f"{{{BPMN_NS}}}userTask")}
    for script in process.iterfind(".//bpmn:script", NS):
        try:
            tree = ast.parse(script.text or "")
        except SyntaxError:
            continue
        known |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return known


def _decision_problems(task, decision, used: set[str], known: set[str]) -> list[Problem]:
    task_id, decision_id = task.get("id"), decision.get("id")
    problems = []
    for expr in _children(decision, "inputExpression"):
        text = _text(expr)
        problems += [Problem(task_id, m) for m in script_problems(text, f"决策表 {decision_id} 的输入表达式")]
        for name in sorted(_names(text) - known):
            problems.append(Problem(task_id, f"决策表 {decision_id} 的输入引用了流程中没有的数据 {name}"))
    for kind in ("inputEntry", "outputEntry"):
        for entry in _children(decision, kind):
            problems += [Problem(task_id, m) for m in _entry_problems(_text(entry), f"决策表 {decision_id} 的规则")]
    for output in _children(decision, "output"):
        root = (output.get("name") or "").split(".")[0]
        if not root:
            problems.append(Problem(task_id, f"决策表 {decision_id} 有未命名的输出列"))
        elif root not in used:
            problems.append(Problem(task_id, f"决策表 {decision_id} 的输出 {output.get('name')} 未被流程使用"))
    return problems


def dmn_problems(process, decisions: dict) -> list[Problem]:
    """Every business rule task names a decision of the bundle whose inputs/outputs match the process."""
    problems = []
    used, known = names_used(process), _process_data(process)
    for task in process.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        called = task.find(".//spiffworkflow:calledDecisionId", NS)
        decision_id = (called.text or "").strip() if called is not None else ""
        if not decision_id:
            problems.append(Problem(task.get("id"), f"业务规则任务“{label(task)}”没有指定决策表"))
        elif decision_id not in decisions:
            problems.append(Problem(task.get("id"), f"业务规则任务“{label(task)}”调用的决策表 {decision_id} 不存在"))
        else:
            # Outputs are merged into the task data after this task; later expressions read them.
            known_here = known | {(o.get("name") or "").split(".")[0] for o in _children(decisions[decision_id], "output")}
            problems += _decision_problems(task, decisions[decision_id], used, known_here)
    return problems
