"""Deploy-time check of every expression and script in a BPMN document, with the sandbox's own policy
(engine/sandbox.py: the same code compiles them at run time).

The sites are every place SpiffWorkflow 3.2.0 evaluates text, in every process and subprocess of the
file and in the definitions they share (messages, signals, errors, escalations, correlation properties).
"""

from dataclasses import dataclass

from engine.core import sandbox
from engine.core.scripting import SCRIPT_GLOBALS
from engine.deploy.problems import BPMN_NS, SPIFF_NS, local_name

# (namespace, local name) of elements whose text SpiffWorkflow evaluates → (label, mode)
_TEXT_SITES = {
    (BPMN_NS, "script"): ("脚本", "exec"),
    (SPIFF_NS, "preScript"): ("前置脚本", "exec"),
    (SPIFF_NS, "postScript"): ("后置脚本", "exec"),
    (BPMN_NS, "conditionExpression"): ("条件", "eval"),
    (BPMN_NS, "condition"): ("条件事件的条件", "eval"),
    (BPMN_NS, "timeDuration"): ("定时器表达式", "eval"),
    (BPMN_NS, "timeDate"): ("定时器表达式", "eval"),
    (BPMN_NS, "timeCycle"): ("定时器表达式", "eval"),
    (BPMN_NS, "loopCardinality"): ("多实例循环次数", "eval"),
    (BPMN_NS, "completionCondition"): ("完成条件", "eval"),
    (BPMN_NS, "loopCondition"): ("循环条件", "eval"),
    (BPMN_NS, "formalExpression"): ("消息关联表达式", "eval"),
    (BPMN_NS, "messagePath"): ("消息关联表达式", "eval"),
    (SPIFF_NS, "messagePayload"): ("消息内容表达式", "eval"),
    (SPIFF_NS, "payloadExpression"): ("事件内容表达式", "eval"),
    (SPIFF_NS, "expression"): ("流程变量关联表达式", "eval"),
}
_CONTAINER_SUFFIXES = ("EventDefinition", "LoopCharacteristics", "Expression", "extensionElements")


@dataclass(frozen=True)
class Site:
    """One text SpiffWorkflow evaluates: the element it belongs to, what it is, the source and the mode."""

    element_id: str
    label: str
    source: str
    mode: str


def script_problems(source: str, where: str, mode: str = "exec") -> list[str]:
    """Reasons (Chinese) why a script ('exec') or expression ('eval') may not run; empty when it may."""
    if not (source or "").strip():
        return []
    return [f"{where}：{reason}" for reason in sandbox.check(source, mode, frozenset(SCRIPT_GLOBALS))]


def owner_id(element) -> str:
    """The id of the BPMN element a site belongs to: the nearest ancestor that is a task, event, flow,
    process or shared definition (not an event definition, loop setting or extension element)."""
    node = element.getparent()
    while node is not None:
        tag = node.tag if isinstance(node.tag, str) else ""
        name = local_name(node)
        if tag.startswith(f"{{{BPMN_NS}}}") and node.get("id") and not name.endswith(_CONTAINER_SUFFIXES):
            return node.get("id")
        node = node.getparent()
    return ""


def expression_sites(root) -> list[Site]:
    """Every expression and script of the document (all processes, subprocesses and shared definitions)."""
    sites = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        key = (element.tag[1:].split("}")[0] if element.tag.startswith("{") else "", local_name(element))
        if key in _TEXT_SITES and (element.text or "").strip():
            label, mode = _TEXT_SITES[key]
            sites.append(Site(owner_id(element), label, element.text, mode))
        elif key == (SPIFF_NS, "parameter") and (element.get("value") or "").strip():
            sites.append(Site(owner_id(element), f"服务参数 {element.get('id')}", element.get("value"), "eval"))
        elif key == (BPMN_NS, "correlationPropertyRetrievalExpression"):
            # SpiffWorkflow evaluates the text of its first child node, whatever it is (even a comment).
            sites += [Site(owner_id(element), "消息关联表达式", child.text, "eval")
                      for child in element if (child.text or "").strip()]
    return sites


def site_problems(root) -> list[tuple[str, str]]:
    """(element id, Chinese reason) for every expression or script of the document the policy refuses."""
    found = [(site.element_id, message) for site in expression_sites(root)
             for message in script_problems(site.source, site.label, site.mode)]
    return list(dict.fromkeys(found))
