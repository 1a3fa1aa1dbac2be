"""DMN decisions against the process that calls them: the decision exists, its expressions are safe,
its inputs read data the process has, and its outputs are data the process uses."""

import ast
import re

from engine.deploy.lint_refs import names_used
from engine.deploy.problems import BPMN_NS, NS, Problem, label, local_name
from engine.deploy.scriptcheck import script_problems


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


def _process_data(process, used: set[str]) -> set[str]:
    """Names the process reads or sets (results, form data by task id, script assignments)."""
    known = set(used)
    known |= {op.get("resultVariable") for op in process.iterfind(".//spiffworkflow:serviceTaskOperator", NS)}
    known |= {t.get("id") for t in process.iter(f"{{{BPMN_NS}}}userTask")}
    for script in process.iterfind(".//bpmn:script", NS):
        try:
            tree = ast.parse(script.text or "")
        except SyntaxError:
            continue
        known |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return known


class _Columns:
    """What a decision reads (names in its input expressions) and writes (its output names), read once per
    decision however many tasks call it."""

    def __init__(self, decision):
        self.inputs = sorted({n for expr in _children(decision, "inputExpression") for n in _names(_text(expr))})
        self.outputs = [output.get("name") or "" for output in _children(decision, "output")]
        self.roots = {name.split(".")[0] for name in self.outputs}


def _decision_problems(task_id: str, decision_id: str, columns: _Columns, used: set[str],
                       known: set[str]) -> list[Problem]:
    problems = [Problem(task_id, f"决策表 {decision_id} 的输入引用了流程中没有的数据 {name}")
                for name in columns.inputs if name not in known and name not in columns.roots]
    for name in columns.outputs:
        root = name.split(".")[0]
        if not root:
            problems.append(Problem(task_id, f"决策表 {decision_id} 有未命名的输出列"))
        elif root not in used:
            problems.append(Problem(task_id, f"决策表 {decision_id} 的输出 {name} 未被流程使用"))
    return problems


def dmn_problems(process, decisions: dict) -> list[Problem]:
    """Every business rule task names a decision of the bundle whose inputs/outputs match the process."""
    tasks = list(process.iter(f"{{{BPMN_NS}}}businessRuleTask"))
    if not tasks:  # the data the process uses is read only when some task calls a decision
        return []
    problems, columns = [], {}
    used = names_used(process)
    known = _process_data(process, used)
    for task in tasks:
        called = task.find(".//spiffworkflow:calledDecisionId", NS)
        decision_id = (called.text or "").strip() if called is not None else ""
        if not decision_id:
            problems.append(Problem(task.get("id"), f"业务规则任务“{label(task)}”没有指定决策表"))
        elif decision_id not in decisions:
            problems.append(Problem(task.get("id"), f"业务规则任务“{label(task)}”调用的决策表 {decision_id} 不存在"))
        else:
            if decision_id not in columns:
                columns[decision_id] = _Columns(decisions[decision_id])
            # Outputs are merged into the task data after this task; later expressions read them (hence the
            # decision's own output names count as known: checked per name, `known` is never copied per task).
            problems += _decision_problems(task.get("id"), decision_id, columns[decision_id], used, known)
    return problems


# DMNEngine.evaluate replaces a "?" outside quotes with the input's value (same pattern as SpiffWorkflow).
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')


def entry_expressions(input_expr: str, entry: str) -> list[str]:
    """The expressions SpiffWorkflow 3.2.0's DMNEngine.evaluate builds for one input entry of a rule:
    the entry with "?" as the input, "(input) == (entry)", or "input" + "entry" for "< 5" style entries."""
    match = _QUESTION.sub("dmninputexpr", entry)
    if "dmninputexpr" in match:
        return [input_expr, match]
    try:
        ast.parse(match)
    except SyntaxError:
        return [input_expr + match]
    return [f"({input_expr}) == ({match})"]


def _ends(element, suffix: str) -> list:
    """Direct children whose tag ends with `suffix`, in any namespace (how SpiffWorkflow's DMN parser
    picks inputs, rules, entries and their text)."""
    return [c for c in element if isinstance(c.tag, str) and c.tag.endswith(suffix)]


def _texts(element) -> list[str]:
    return [(c.text or "").strip() for c in _ends(element, "text")]


def _rule_sources(rule, inputs: list[list[str]], decision_id: str) -> list[tuple[str, str]]:
    where = f"决策表 {decision_id} 规则 {rule.get('id')} 的"
    found = []
    for index, entry in enumerate(_ends(rule, "inputEntry")):
        column = inputs[index] if index < len(inputs) else ["None"]
        found += [(where + "输入条目", expr) for text in _texts(entry) if text not in ("", "-")
                  for input_expr in column for expr in entry_expressions(input_expr, text)]
    return found + [(where + "输出条目", text) for entry in _ends(rule, "outputEntry") for text in _texts(entry)]


def _cell_sources(decision) -> list[tuple[str, str]]:
    """(where, expression) for every input expression, input entry and output entry of a decision: each
    text SpiffWorkflow could read for it (a superset when a document is ambiguous)."""
    decision_id, found = decision.get("id"), []
    for table in _ends(decision, "decisionTable"):
        inputs = [[t for expr in _ends(i, "inputExpression") for t in _texts(expr) if t] or ["None"]
                  for i in _ends(table, "input")]
        found += [(f"决策表 {decision_id} 的输入表达式", t) for column in inputs for t in column]
        for rule in _ends(table, "rule"):
            found += _rule_sources(rule, inputs, decision_id)
    return found


def dmn_expression_problems(root, decisions: dict) -> list[Problem]:
    """Every expression of every decision of the bundle passes the sandbox policy (reported on the business
    rule tasks that call the decision, or on the decision when no task of the document calls it)."""
    callers: dict[str, list[str]] = {}
    for called in root.iterfind(".//spiffworkflow:calledDecisionId", NS):
        task = called.getparent()
        while task is not None and local_name(task) != "businessRuleTask":
            task = task.getparent()
        if task is not None:
            callers.setdefault((called.text or "").strip(), []).append(task.get("id"))
    problems = []
    for decision_id, decision in decisions.items():
        messages = [m for where, text in _cell_sources(decision) for m in script_problems(text, where, "eval")]
        problems += [Problem(owner, m) for owner in callers.get(decision_id, [decision_id]) for m in messages]
    return problems
