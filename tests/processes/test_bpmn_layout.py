"""The layout of every shipped diagram (processes/<procedure>/*.bpmn, globbed: a new file is checked automatically).

The rule, one for all files:

- every sequence flow runs left to right: its target's shape starts right of its source's shape
  (target x > source x) and no segment of its edge runs leftwards;
- except a loop-back: a flow whose target can reach its source (it closes a cycle) may run right to
  left when it goes back (its target lies wholly left of its source), and then it is drawn as an
  orthogonal detour — it leaves its source vertically (through the top or bottom border) and goes
  around: no segment of it passes through any shape, its own ends included;
- every flow node sits inside its lane (a node of a subprocess inside its subprocess), boundary events on
  their task's border, and no two shapes of one container overlap;
- every edge starts on its source's border and ends on its target's border (a rectangle's outline; for
  an event or a gateway the middle of a side of its bounds, where the circle or diamond touches them);
- every edge is orthogonal (no diagonal segment) and passes through no shape but its own two.

Each check lists every violating element with its id, so one run shows everything to fix.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.core.spiff import parse_xml
from engine.deploy.versions import shipped_bpmn

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"
FILES = shipped_bpmn()
ROUND = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
         "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway")
TOLERANCE = 1.0  # px: hand-written coordinates are integers, bpmn-js rounds to whole pixels


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def contains(self, other: "Box") -> bool:
        return (self.x <= other.x and other.x + other.w <= self.x + self.w
                and self.y <= other.y and other.y + other.h <= self.y + self.h)

    def overlaps(self, other: "Box") -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)


@dataclass
class Diagram:
    name: str
    shapes: dict[str, Box] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)          # node id → BPMN tag (without namespace)
    container: dict[str, str] = field(default_factory=dict)      # node id → its lane, or its subprocess
    hosts: dict[str, str] = field(default_factory=dict)          # boundary event → the activity it sits on
    flows: dict[str, tuple[str, str]] = field(default_factory=dict)  # flow id → (source, target)
    edges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


NOT_NODES = ("sequenceFlow", "laneSet", "documentation", "extensionElements", "property", "ioSpecification",
             "dataObject", "dataObjectReference", "multiInstanceLoopCharacteristics", "incoming", "outgoing")


def _read_scope(diagram: Diagram, scope) -> None:
    """The flows and flow nodes directly inside a process or subprocess."""
    inside = scope.tag == f"{BPMN}subProcess"
    for child in scope:
        kind = child.tag[len(BPMN):] if isinstance(child.tag, str) and child.tag.startswith(BPMN) else None
        if kind == "sequenceFlow":
            diagram.flows[child.get("id")] = (child.get("sourceRef"), child.get("targetRef"))
        elif kind and kind not in NOT_NODES and child.get("id"):
            diagram.kinds[child.get("id")] = kind
            if inside:
                diagram.container[child.get("id")] = scope.get("id")
            if kind == "boundaryEvent":
                diagram.hosts[child.get("id")] = child.get("attachedToRef")


def load(path: Path) -> Diagram:
    """The diagram of one BPMN file: shapes, the container of every node, flows and their waypoints."""
    root = parse_xml(path.read_text(encoding="utf-8"))
    diagram = Diagram(path.stem)
    for shape in root.iter(f"{BPMNDI}BPMNShape"):
        b = shape.find(f"{DC}Bounds")
        diagram.shapes[shape.get("bpmnElement")] = Box(*(float(b.get(k)) for k in ("x", "y", "width", "height")))
    for edge in root.iter(f"{BPMNDI}BPMNEdge"):
        diagram.edges[edge.get("bpmnElement")] = [(float(w.get("x")), float(w.get("y")))
                                                  for w in edge.iter(f"{DI}waypoint")]
    for lane in root.iter(f"{BPMN}lane"):
        for ref in lane.iterfind(f"{BPMN}flowNodeRef"):
            diagram.container[ref.text.strip()] = lane.get("id")
    for scope in [*root.iter(f"{BPMN}process"), *root.iter(f"{BPMN}subProcess")]:
        _read_scope(diagram, scope)
    return diagram


def _successors(diagram: Diagram) -> dict[str, set[str]]:
    """Who follows whom: sequence flows, and an activity to the boundary events on it."""
    following: dict[str, set[str]] = {}
    for source, target in diagram.flows.values():
        following.setdefault(source, set()).add(target)
    for event, host in diagram.hosts.items():
        following.setdefault(host, set()).add(event)
    return following


def reaches(diagram: Diagram, start: str, goal: str) -> bool:
    """Whether `goal` can follow `start` (following flows and boundary events)."""
    following, seen, todo = _successors(diagram), {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in following.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def closes_cycle(diagram: Diagram, flow_id: str) -> bool:
    """A loop-back: the flow's target can reach its source."""
    source, target = diagram.flows[flow_id]
    return reaches(diagram, target, source)


def _segments(points):
    return list(zip(points, points[1:], strict=False))


def _passes_through(p, q, box: Box) -> bool:
    """An axis-parallel segment p→q passes through the inside of a box (touching its border is fine)."""
    x, y, w, h = box.x + TOLERANCE, box.y + TOLERANCE, box.w - 2 * TOLERANCE, box.h - 2 * TOLERANCE
    (x1, y1), (x2, y2) = p, q
    if y1 == y2:
        return y < y1 < y + h and min(x1, x2) < x + w and max(x1, x2) > x
    return x < x1 < x + w and min(y1, y2) < y + h and max(y1, y2) > y


def on_border(point, box: Box, kind: str) -> bool:
    """The point lies on the shape's outline: anywhere on a rectangle's border; for a round shape (event,
    gateway) at the middle of a side of its bounds."""
    px, py = point
    if kind in ROUND:
        docks = [(box.cx, box.y), (box.cx, box.y + box.h), (box.x, box.cy), (box.x + box.w, box.cy)]
        return any(abs(px - dx) <= TOLERANCE and abs(py - dy) <= TOLERANCE for dx, dy in docks)
    inside_x = box.x - TOLERANCE <= px <= box.x + box.w + TOLERANCE
    inside_y = box.y - TOLERANCE <= py <= box.y + box.h + TOLERANCE
    on_vertical = abs(px - box.x) <= TOLERANCE or abs(px - (box.x + box.w)) <= TOLERANCE
    on_horizontal = abs(py - box.y) <= TOLERANCE or abs(py - (box.y + box.h)) <= TOLERANCE
    return (on_vertical and inside_y) or (on_horizontal and inside_x)


def direction_problems(diagram: Diagram) -> list[str]:
    """Flows that run right to left without closing a cycle, and loop-backs not drawn as a detour."""
    problems = []
    for flow_id, (source, target) in diagram.flows.items():
        src, dst, points = diagram.shapes[source], diagram.shapes[target], diagram.edges[flow_id]
        leftwards = any(q[0] < p[0] for p, q in _segments(points))
        if dst.x > src.x and not leftwards:
            continue
        why = "its target starts left of its source" if dst.x <= src.x else "its edge turns back leftwards"
        if not closes_cycle(diagram, flow_id):
            problems.append(f"{flow_id} ({source} → {target}) runs right to left ({why}) but closes no cycle")
            continue
        if dst.x + dst.w > src.x:
            problems.append(f"{flow_id} ({source} → {target}) runs right to left ({why}) but does not go back: "
                            f"a loop-back's target lies wholly left of its source")
            continue
        (x1, y1), (x2, y2) = points[0], points[1]
        vertical_exit = x1 == x2 and y1 != y2 and (
            abs(y1 - src.y) <= TOLERANCE or abs(y1 - (src.y + src.h)) <= TOLERANCE)
        if not vertical_exit:
            problems.append(f"{flow_id} ({source} → {target}) is a loop-back that does not leave "
                            f"{source} vertically (through its top or bottom border)")
        for p, q in _segments(points):
            for node in (source, target):
                if _passes_through(p, q, diagram.shapes[node]):
                    problems.append(f"{flow_id} ({source} → {target}) is a loop-back that cuts back through {node}")
    return problems


def placement_problems(diagram: Diagram) -> list[str]:
    """Nodes outside their lane or subprocess, boundary events off their task's border, overlapping shapes."""
    problems = [f"{node} has no shape" for node in diagram.kinds if node not in diagram.shapes]
    for node, container in diagram.container.items():
        if node not in diagram.shapes:
            continue
        box, around = diagram.shapes[node], diagram.shapes[container]
        if node in diagram.hosts:  # drawn on its task's border: its centre is what must be inside
            if not around.contains(Box(box.cx, box.cy, 0, 0)):
                problems.append(f"boundary event {node} is not inside {container}")
        elif not around.contains(box):
            problems.append(f"{node} is not inside {container}")
    for event, host in diagram.hosts.items():
        box, on = diagram.shapes[event], diagram.shapes[host]
        if not (box.overlaps(on) and not on.contains(box)):
            problems.append(f"boundary event {event} is not drawn on the border of {host}")
    return problems + _overlaps(diagram)


def _overlaps(diagram: Diagram) -> list[str]:
    placed = [n for n in diagram.kinds if n in diagram.shapes and n not in diagram.hosts]
    problems = []
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            nested = diagram.container.get(a) == b or diagram.container.get(b) == a
            if not nested and diagram.shapes[a].overlaps(diagram.shapes[b]):
                problems.append(f"{a} overlaps {b}")
    return problems


def _edge_problems(diagram: Diagram, flow_id: str, points) -> list[str]:
    source, target = diagram.flows[flow_id]
    problems = []
    if not on_border(points[0], diagram.shapes[source], diagram.kinds[source]):
        problems.append(f"{flow_id} does not start on the border of {source} (at {points[0]})")
    if not on_border(points[-1], diagram.shapes[target], diagram.kinds[target]):
        problems.append(f"{flow_id} does not end on the border of {target} (at {points[-1]})")
    around = {diagram.container.get(source), diagram.container.get(target)}  # a subprocess the flow is inside
    others = [n for n in diagram.kinds if n in diagram.shapes and n not in (source, target) and n not in around]
    for p, q in _segments(points):
        if p[0] != q[0] and p[1] != q[1]:
            problems.append(f"{flow_id} has a diagonal segment {p} → {q}")
            continue
        problems += [f"{flow_id} ({source} → {target}) passes through {node}"
                     for node in others if _passes_through(p, q, diagram.shapes[node])]
    return problems


def edge_problems(diagram: Diagram) -> list[str]:
    """Edges missing, diagonal, not starting/ending on their shapes' borders, or passing through a shape."""
    problems = []
    for flow_id in diagram.flows:
        points = diagram.edges.get(flow_id) or []
        if len(points) < 2:
            problems.append(f"{flow_id} has no edge with at least two waypoints")
        else:
            problems += _edge_problems(diagram, flow_id, points)
    return problems


def _report(path: Path, problems: list[str]) -> str:
    return f"{path.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_flows_run_left_to_right_except_loop_backs_drawn_as_detours(path):
    problems = direction_problems(load(path))
    assert not problems, _report(path, problems)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_shapes_sit_inside_their_lanes_without_overlaps(path):
    problems = placement_problems(load(path))
    assert not problems, _report(path, problems)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_edges_are_orthogonal_from_border_to_border_and_pass_no_other_shape(path):
    problems = edge_problems(load(path))
    assert not problems, _report(path, problems)


def test_every_shipped_file_is_checked():
    assert {p.stem for p in FILES} >= {"admission_public", "admission_invited", "assignment", "annual_evaluation",
                                       "exit", "term_renewal", "group_change"}


# ------------------------------------------------------------------ the checks themselves can fail

def _tiny(**moves) -> Diagram:
    """start → task → gw → end, with gw → task as a loop-back; `moves` overrides shapes or edges."""
    d = Diagram("tiny")
    d.shapes = {"lane": Box(0, 0, 800, 200), "start": Box(40, 82, 36, 36), "task": Box(150, 60, 100, 80),
                "gw": Box(320, 75, 50, 50), "end": Box(450, 82, 36, 36)}
    d.kinds = {"start": "startEvent", "task": "userTask", "gw": "exclusiveGateway", "end": "endEvent"}
    d.container = {n: "lane" for n in d.kinds}
    d.flows = {"f1": ("start", "task"), "f2": ("task", "gw"), "f3": ("gw", "end"), "back": ("gw", "task")}
    d.edges = {"f1": [(76, 100), (150, 100)], "f2": [(250, 100), (320, 100)], "f3": [(370, 100), (450, 100)],
               "back": [(345, 75), (345, 30), (200, 30), (200, 60)]}
    for key, value in moves.items():
        (d.shapes if isinstance(value, Box) else d.edges)[key] = value
    return d


def test_the_rule_accepts_a_clean_diagram_with_a_loop_back():
    d = _tiny()
    assert closes_cycle(d, "back") and not closes_cycle(d, "f3")
    assert direction_problems(d) == placement_problems(d) == edge_problems(d) == []


def test_the_rule_names_each_violating_flow():
    moved = _tiny(end=Box(250, 160, 36, 36), f3=[(345, 125), (345, 178), (286, 178)])
    assert any(p.startswith("f3 (gw → end) runs right to left") for p in direction_problems(moved))
    cut = _tiny(back=[(320, 100), (250, 100)])
    assert any("back (gw → task) is a loop-back that does not leave gw vertically" in p
               for p in direction_problems(cut))
    assert "task overlaps gw" in placement_problems(_tiny(gw=Box(240, 75, 50, 50)))
    assert "end is not inside lane" in placement_problems(_tiny(end=Box(450, 190, 36, 36)))
    off = edge_problems(_tiny(f2=[(240, 100), (320, 100)], f3=[(370, 100), (410, 140), (450, 100)]))
    assert any(p.startswith("f2 does not start on the border of task") for p in off)
    assert any(p.startswith("f3 has a diagonal segment") for p in off)
    through = _tiny(f2=[(250, 100), (500, 100), (500, 150), (345, 150), (345, 125)])
    assert "f2 (task → gw) passes through end" in edge_problems(through)
