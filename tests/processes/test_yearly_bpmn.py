"""The three yearly BPMN files: they deploy, every element is named in Chinese, and the diagram is clean."""

import re

import pytest
from sqlalchemy import select

from engine.core.models import ProcessVersion
from engine.core.spiff import parse_xml
from engine.deploy.versions import NS, check_bundle, dmn_files_for, shipped_file

PROCESSES = {
    "annual_evaluation": {"系统": "system", "专家组组长": "group_leader", "人才开发中心": "talent_center"},
    "exit": {"系统": "system", "人才开发中心": "talent_center", "质量监督处": "quality_division", "局领导": "bureau_leader"},
    "term_renewal": {"专家": "expert", "人才开发中心": "talent_center", "系统": "system", "质量监督处": "quality_division",
                     "局领导": "bureau_leader"},
}
NODE_TAGS = ("startEvent", "endEvent", "userTask", "serviceTask", "businessRuleTask", "exclusiveGateway",
             "boundaryEvent", "intermediateCatchEvent")
CJK = re.compile(r"[\u4e00-\u9fff]")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _xml(key: str) -> str:
    return shipped_file(f"{key}.bpmn").read_text(encoding="utf-8")


def _bounds(root) -> dict[str, tuple[float, float, float, float]]:
    shapes = {}
    for shape in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape"):
        b = shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
        shapes[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return shapes


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("key", PROCESSES)
def test_deploys_with_its_lanes_as_roles(session, key):
    xml = _xml(key)
    assert check_bundle(session, key, xml, dmn_files_for(xml)) == PROCESSES[key]
    assert session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_key == key)) is not None


@pytest.mark.parametrize("key", PROCESSES)
def test_every_element_is_named_in_chinese_and_drawn(key):
    root = parse_xml(_xml(key))
    shapes = _bounds(root)
    nodes = [el for tag in NODE_TAGS for el in root.iter(BPMN + tag)]
    assert nodes
    for node in nodes:
        assert CJK.search(node.get("name") or ""), f"{node.get('id')} has no Chinese name"
        assert node.get("id") in shapes, f"{node.get('id')} has no shape"
    for flow in root.iter(BPMN + "sequenceFlow"):
        edge = root.find(f".//{{http://www.omg.org/spec/BPMN/20100524/DI}}BPMNEdge[@bpmnElement='{flow.get('id')}']")
        assert edge is not None and len(edge.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2
    for lane in root.iterfind(".//bpmn:lane", NS):
        assert lane.get("id") in shapes and CJK.search(lane.get("name"))


@pytest.mark.parametrize("key", PROCESSES)
def test_layout_is_left_to_right_inside_lanes_without_overlaps(key):
    root = parse_xml(_xml(key))
    shapes = _bounds(root)
    lane_of = {ref.text: lane.get("id") for lane in root.iterfind(".//bpmn:lane", NS)
               for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    hosts = {b.get("id"): b.get("attachedToRef") for b in root.iter(BPMN + "boundaryEvent")}
    for node_id, lane_id in lane_of.items():
        x, y, w, h = shapes[node_id]
        lx, ly, lw, lh = shapes[lane_id]
        assert lx <= x and x + w <= lx + lw and ly <= y + h / 2 <= ly + lh, f"{node_id} outside {lane_id}"
        if node_id not in hosts:
            assert ly <= y and y + h <= ly + lh, f"{node_id} crosses the border of {lane_id}"
    placed = [n for n in lane_of if n not in hosts]
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            assert not _overlap(shapes[a], shapes[b]), f"{a} overlaps {b}"
    for event, host in hosts.items():
        assert _overlap(shapes[event], shapes[host])  # drawn on its task's border
    for flow in root.iter(BPMN + "sequenceFlow"):
        source, target = shapes[flow.get("sourceRef")], shapes[flow.get("targetRef")]
        assert target[0] > source[0], f"{flow.get('id')} runs right to left"


def _crosses(p, q, box) -> bool:
    """An axis-parallel segment p→q passes through the inside of a box."""
    x, y, w, h = box[0] + 1, box[1] + 1, box[2] - 2, box[3] - 2
    (x1, y1), (x2, y2) = p, q
    if y1 == y2:
        return y < y1 < y + h and min(x1, x2) < x + w and max(x1, x2) > x
    return x < x1 < x + w and min(y1, y2) < y + h and max(y1, y2) > y


@pytest.mark.parametrize("key", PROCESSES)
def test_edges_are_orthogonal_and_pass_no_other_element(key):
    root = parse_xml(_xml(key))
    shapes = _bounds(root)
    nodes = {el.get("id") for tag in NODE_TAGS for el in root.iter(BPMN + tag)}
    flows = {f.get("id"): f for f in root.iter(BPMN + "sequenceFlow")}
    for edge in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNEdge"):
        flow = flows[edge.get("bpmnElement")]
        points = [(float(w.get("x")), float(w.get("y")))
                  for w in edge.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")]
        ends = {flow.get("sourceRef"), flow.get("targetRef")}
        for p, q in zip(points, points[1:], strict=False):
            assert p[0] == q[0] or p[1] == q[1], f"{flow.get('id')} has a diagonal segment"
            for other in nodes - ends:
                assert not _crosses(p, q, shapes[other]), f"{flow.get('id')} runs through {other}"
