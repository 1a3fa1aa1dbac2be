"""The three yearly BPMN files: they deploy and every element is named in Chinese and drawn. (The layout of
every shipped diagram is checked in test_bpmn_layout.py.)"""

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
