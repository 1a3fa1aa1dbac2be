"""The shipped assignment BPMN: validates, lanes are roles, every element named in Chinese, complete DI."""

import re

from engine.core.spiff import parse_xml
from engine.deploy.versions import BPMN_NS, NS, check_bundle, dmn_files_for, shipped_file

XML = shipped_file("assignment.bpmn").read_text(encoding="utf-8")
ROOT = parse_xml(XML)
FLOW_NODES = ("startEvent", "endEvent", "userTask", "serviceTask", "scriptTask", "exclusiveGateway", "subProcess",
              "boundaryEvent")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _elements(*kinds):
    return [el for kind in kinds for el in ROOT.iter(f"{{{BPMN_NS}}}{kind}")]


def test_bundle_validates_and_lanes_map_to_roles(session):
    lanes = check_bundle(session, "assignment", XML, dmn_files_for(XML))
    assert lanes == {"使用单位": "using_unit", "系统": "system", "专家": "expert", "人才开发中心": "talent_center",
                     "质量监督处": "quality_division", "局领导": "bureau_leader"}


def test_every_element_has_a_chinese_name():
    unnamed = [el.get("id") for el in _elements(*FLOW_NODES, "lane", "process") if not CHINESE.search(el.get("name") or "")]
    assert unnamed == []


def test_every_node_has_a_shape_and_every_flow_an_edge():
    ids = {el.get("id") for el in _elements(*FLOW_NODES, "lane")}
    flows = {el.get("id") for el in _elements("sequenceFlow")}
    shapes = {el.get("bpmnElement") for el in ROOT.iterfind(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape")}
    edges = {el.get("bpmnElement") for el in ROOT.iterfind(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNEdge")}
    assert ids <= shapes and flows == edges


def test_user_tasks_declare_forms_and_the_expert_task_an_assignee():
    props = {task.get("id"): {p.get("name"): p.get("value") for p in task.iterfind(".//spiffworkflow:property", NS)}
             for task in _elements("userTask")}
    assert props["confirm_availability"] == {"formKey": "expert_confirmation", "assignee": "expert_user_id",
                                             "itemKey": "engagement_id"}
    # Each multi-instance task names its item, so its inbox row carries the engagement id (item_id).
    assert {k: p.get("itemKey") for k, p in props.items() if p.get("itemKey")} == {
        "confirm_availability": "engagement_id", "record_usage": "usage_item",
        "leader_approve_cancellation": "cancel_item", "division_approve_cancellation": "delegated_cancel_item"}
    assert {p["formKey"] for p in props.values()} == {
        "expert_confirmation", "usage_record", "shortfall_decision", "designation_filing", "designation_approval",
        "cancellation_approval"}
    timer = ROOT.find(".//bpmn:boundaryEvent[@id='confirm_timeout']/bpmn:timerEventDefinition/bpmn:timeDuration", NS)
    assert timer.text == "response_period"  # N hours from the process data
