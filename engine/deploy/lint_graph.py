"""Structural lint of a BPMN process: one start event, an end reachable, nothing disconnected, gateways
with conditions and a default. Works on the lxml tree, so every reason is found even when the engine's
own parser would stop at the first."""

from collections import deque

from engine.deploy.problems import Problem, bpmn_children, label, local_name

ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "manualTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
CHOICE_GATEWAYS = {"exclusiveGateway": "排他网关", "inclusiveGateway": "包容网关"}


def _is_event_subprocess(node) -> bool:
    return local_name(node) == "subProcess" and node.get("triggeredByEvent") == "true"


class _Graph:
    """The flow nodes and sequence flows directly inside one container."""

    def __init__(self, container):
        self.container = container
        self.nodes = {n.get("id"): n for n in bpmn_children(container, *FLOW_NODES)}
        self.flows = bpmn_children(container, "sequenceFlow")
        self.flows_from: dict[str, list] = {}  # source id → its flow elements (dangling ones included)
        self.out: dict[str, list] = {i: [] for i in self.nodes}
        self.inc: dict[str, list] = {i: [] for i in self.nodes}
        self.problems: list[Problem] = []
        for flow in self.flows:
            self.flows_from.setdefault(flow.get("sourceRef"), []).append(flow)
            self._add_flow(flow)
        for node_id, node in self.nodes.items():  # an activity "flows" into its boundary events
            attached = node.get("attachedToRef")
            if local_name(node) == "boundaryEvent" and attached in self.nodes:
                self.out[attached].append(node_id)

    def _add_flow(self, flow) -> None:
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        missing = [ref for ref in (source, target) if ref not in self.nodes]
        if missing:
            self.problems.append(Problem(flow.get("id"), f"顺序流引用的元素 {'、'.join(map(str, missing))} 不在同一流程中或不存在"))
            return
        self.out[source].append(target)
        self.inc[target].append(source)

    def starts(self) -> list:
        """The start events directly in this container."""
        return [n for n in self.nodes.values() if local_name(n) == "startEvent"]

    def reach(self, roots: list[str], edges: dict[str, list]) -> set[str]:
        """Node ids reachable from `roots` along `edges` (breadth first)."""
        seen, queue = set(roots), deque(roots)
        while queue:
            for nxt in edges.get(queue.popleft(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen


def _start_problems(graph: _Graph) -> list[Problem]:
    if _is_event_subprocess(graph.container):
        return []
    count = len(graph.starts())
    if count == 1:
        return []
    kind = "流程" if local_name(graph.container) == "process" else "子流程"
    return [Problem(graph.container.get("id"), f"{kind}“{label(graph.container)}”应有且只有一个开始事件，当前为 {count} 个")]


def _connection_problems(graph: _Graph) -> list[Problem]:
    problems = []
    for node_id, node in graph.nodes.items():
        kind = local_name(node)
        if _is_event_subprocess(node) or kind == "boundaryEvent" and node.get("attachedToRef") in graph.nodes:
            continue
        has_in, has_out = bool(graph.inc[node_id]), bool(graph.out[node_id])
        if not has_in and not has_out:
            problems.append(Problem(node_id, f"“{label(node)}”未与任何顺序流相连"))
        elif not has_in and kind != "startEvent":
            problems.append(Problem(node_id, f"“{label(node)}”没有进入的顺序流"))
        elif not has_out and kind != "endEvent" and kind not in ACTIVITIES:
            # An activity without outgoing flows ends its path (BPMN's implicit end); anything else stalls.
            problems.append(Problem(node_id, f"“{label(node)}”没有后续顺序流，流程无法从这里结束"))
    return problems


def _reach_problems(graph: _Graph) -> list[Problem]:
    starts = [n.get("id") for n in graph.starts()]
    if not starts or _is_event_subprocess(graph.container):
        return []
    roots = starts + [i for i, n in graph.nodes.items() if _is_event_subprocess(n)]
    reached = graph.reach(roots, graph.out)
    ends = [i for i, n in graph.nodes.items() if local_name(n) == "endEvent"]
    if not ends:
        kind = "流程" if local_name(graph.container) == "process" else "子流程"
        return [Problem(graph.container.get("id"), f"{kind}“{label(graph.container)}”没有结束事件")]
    ends += [i for i, n in graph.nodes.items() if local_name(n) in ACTIVITIES and not graph.out[i]]
    back = {i: [] for i in graph.nodes}
    for source, targets in graph.out.items():
        for target in targets:
            back[target].append(source)
    finishing = graph.reach(ends, back)
    problems = []
    for node_id, node in graph.nodes.items():
        if node_id not in reached and graph.inc[node_id]:
            problems.append(Problem(node_id, f"“{label(node)}”从开始事件无法到达"))
        elif node_id in reached and node_id not in finishing and graph.out[node_id]:
            problems.append(Problem(node_id, f"从“{label(node)}”无法到达结束事件"))
    return problems


def _condition(flow) -> str:
    expr = next(iter(bpmn_children(flow, "conditionExpression")), None)
    return (expr.text or "").strip() if expr is not None else ""


def _gateway_problems(graph: _Graph) -> list[Problem]:
    problems = []
    by_id = {f.get("id"): f for f in graph.flows}
    for flow in graph.flows:
        source = graph.nodes.get(flow.get("sourceRef"))
        if _condition(flow) and (source is None or local_name(source) not in CHOICE_GATEWAYS):
            problems.append(Problem(flow.get("id"), "带条件的顺序流只能从排他网关或包容网关出发"))
    for node_id, node in graph.nodes.items():
        kind = CHOICE_GATEWAYS.get(local_name(node))
        outgoing = graph.flows_from.get(node_id, []) if kind else []  # indexed once: linear in flows
        if len(outgoing) < 2:
            continue
        default = node.get("default")
        if not default:
            problems.append(Problem(node_id, f"{kind}“{label(node)}”有多个出口，必须指定默认流"))
        elif not any(f is by_id.get(default) for f in outgoing):
            problems.append(Problem(node_id, f"{kind}“{label(node)}”的默认流 {default} 不是它的出口"))
        for flow in outgoing:
            if flow.get("id") != default and not _condition(flow):
                problems.append(Problem(flow.get("id"), f"从{kind}“{label(node)}”出发的非默认顺序流必须有条件表达式"))
    return problems


def containers(process) -> list:
    """The process and every (nested) subprocess inside it."""
    return [process] + [el for el in process.iter() if isinstance(el.tag, str) and local_name(el) in CONTAINERS
                        and el is not process]


def graph_problems(process) -> list[Problem]:
    """Every structural reason, for the process and each of its subprocesses."""
    problems = []
    for container in containers(process):
        graph = _Graph(container)
        problems += graph.problems + _gateway_problems(graph)
        if local_name(container) != "adHocSubProcess":  # its activities need no start event or flows
            problems += _start_problems(graph) + _connection_problems(graph) + _reach_problems(graph)
    return problems
