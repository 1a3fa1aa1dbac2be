"""Element-level diff of two BPMN documents (and their DMN files): added, removed, changed — by element id.

Only what the engine runs is compared (names, lanes, flows, forms, operators, conditions, timers, scripts,
decisions); moving a shape in the diagram is not a change.
"""

from dataclasses import dataclass, field

from engine.core.spiff import parse_xml
from engine.deploy.lint_graph import FLOW_NODES
from engine.deploy.lint_refs import lane_of
from engine.deploy.problems import BPMN_NS, NS, local_name

COMPARED = FLOW_NODES | {"sequenceFlow", "lane", "process", "participant"}
TYPE_NAMES = {
    "startEvent": "开始事件", "endEvent": "结束事件", "userTask": "用户任务", "serviceTask": "服务任务",
    "scriptTask": "脚本任务", "businessRuleTask": "业务规则任务", "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关", "inclusiveGateway": "包容网关", "boundaryEvent": "边界事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件", "subProcess": "子流程",
    "sequenceFlow": "顺序流", "lane": "泳道", "process": "流程", "task": "任务", "callActivity": "调用活动",
}
FIELD_NAMES = {"type": "类型", "name": "名称", "lane": "泳道", "source": "来源", "target": "目标",
               "condition": "条件", "default": "默认流", "formKey": "表单", "assignee": "办理人",
               "dueDays": "办理期限（天）", "startRoles": "发起角色", "operator": "宿主函数", "result": "结果变量", "parameters": "参数",
               "decision": "决策表", "timer": "定时器", "script": "脚本", "attached_to": "附着于",
               "cancel": "中断", "executable": "可执行"}


@dataclass
class ElementChange:
    """One element that differs: its id, type, name and the changed fields as (field, old, new)."""

    element_id: str
    kind: str
    name: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class BundleDiff:
    """Result of comparing a draft with a deployed version."""

    added: list[ElementChange]
    removed: list[ElementChange]
    changed: list[ElementChange]
    dmn_changed: list[tuple[str, str]]  # (file name, "新增" / "删除" / "修改")

    @property
    def empty(self) -> bool:
        """True when nothing the engine runs differs."""
        return not (self.added or self.removed or self.changed or self.dmn_changed)

    def marks(self) -> dict[str, list[str]]:
        """Element ids per category, for colouring the two diagrams."""
        return {"added": [c.element_id for c in self.added], "removed": [c.element_id for c in self.removed],
                "changed": [c.element_id for c in self.changed]}


def _text(element, path: str) -> str:
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _operator(element) -> dict:
    op = element.find(".//spiffworkflow:serviceTaskOperator", NS)
    if op is None:
        return {}
    params = "; ".join(f"{p.get('id')}={p.get('value')}" for p in op.iterfind(".//spiffworkflow:parameter", NS))
    return {"operator": op.get("id") or "", "result": op.get("resultVariable") or "", "parameters": params}


def _timer(element) -> str:
    timer = element.find("bpmn:timerEventDefinition", NS)
    if timer is None:
        return ""
    return "; ".join(f"{local_name(c)}={(c.text or '').strip()}" for c in timer if isinstance(c.tag, str))


def _facts(element, lanes: dict) -> dict[str, str]:
    kind = local_name(element)
    facts = {"type": kind, "name": (element.get("name") or "").strip()}
    if kind in FLOW_NODES:
        lane = lanes.get(element.get("id"))
        facts["lane"] = (lane.get("name") or lane.get("id")) if lane is not None else ""
    if kind == "sequenceFlow":
        facts |= {"source": element.get("sourceRef") or "", "target": element.get("targetRef") or "",
                  "condition": _text(element, "bpmn:conditionExpression")}
    if kind == "process":
        facts["executable"] = element.get("isExecutable") or ""
    props = {p.get("name"): p.get("value") or "" for p in element.iterfind(".//spiffworkflow:property", NS)}
    facts |= {k: props[k] for k in ("formKey", "assignee", "dueDays", "startRoles") if k in props}
    facts |= _operator(element)
    extra = {"default": element.get("default") or "", "decision": _text(element, ".//spiffworkflow:calledDecisionId"),
             "timer": _timer(element), "script": _text(element, "bpmn:script"),
             "attached_to": element.get("attachedToRef") or "", "cancel": element.get("cancelActivity") or ""}
    return facts | {k: v for k, v in extra.items() if v}


def elements(xml: str) -> dict[str, dict[str, str]]:
    """Element id → compared facts, for every flow node, flow, lane and process of a document."""
    root = parse_xml(xml)
    lanes = lane_of(root)
    return {el.get("id"): _facts(el, lanes) for el in root.iter(f"{{{BPMN_NS}}}*")
            if local_name(el) in COMPARED and el.get("id")}


def _change(element_id: str, facts: dict, fields=None) -> ElementChange:
    return ElementChange(element_id, TYPE_NAMES.get(facts["type"], facts["type"]), facts.get("name", ""), fields or [])


def diff_bundles(old_xml: str, old_dmn: dict, new_xml: str, new_dmn: dict) -> BundleDiff:
    """Compare two bundles element by element (ids align elements, as SpiffWorkflow's own diff does)."""
    old, new = elements(old_xml), elements(new_xml)
    added = [_change(i, new[i]) for i in new if i not in old]
    removed = [_change(i, old[i]) for i in old if i not in new]
    changed = []
    for element_id in (i for i in old if i in new):
        keys = sorted(set(old[element_id]) | set(new[element_id]))
        fields = [(FIELD_NAMES.get(k, k), old[element_id].get(k, ""), new[element_id].get(k, ""))
                  for k in keys if old[element_id].get(k, "") != new[element_id].get(k, "")]
        if fields:
            changed.append(_change(element_id, new[element_id], fields))
    dmn = [(n, "新增") for n in sorted(set(new_dmn) - set(old_dmn))]
    dmn += [(n, "删除") for n in sorted(set(old_dmn) - set(new_dmn))]
    dmn += [(n, "修改") for n in sorted(set(old_dmn) & set(new_dmn)) if old_dmn[n] != new_dmn[n]]
    return BundleDiff(added, removed, changed, dmn)
