"""Helpers for the declared-start tests (no tests here): a new process a process owner makes in a modeler —
talent_center starts it with the contact form, quality_division reviews it — and uploading + deploying it
through the workbench pages as the process owner."""

import io

from lxml import etree

from engine.deploy.problems import BPMN_NS, SPIFF_NS
from tests.support import api_headers  # noqa: F401 (re-exported for the start tests)
from tests.webui.test_ui_support import client_for, text_of

KEY = "contact_check"
CONTACT = {"phone": "13805912345", "email": "", "unit_name": "福建省计量科学研究院", "position": "副所长"}
REVIEW = {"decision": "approve", "comment": ""}


def new_process_bpmn(start_roles: str | None = "人才开发中心", form_key: str | None = "expert_contact",
                     key: str = KEY) -> str:
    """The new process's BPMN; `start_roles` / `form_key` None leave the declaration out."""
    props = "".join(f'<spiffworkflow:property name="{n}" value="{v}"/>'
                    for n, v in (("startRoles", start_roles), ("formKey", form_key)) if v)
    start_ext = f"<bpmn:extensionElements><spiffworkflow:properties>{props}</spiffworkflow:properties>" \
                "</bpmn:extensionElements>" if props else ""
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_{key}"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="专家联系方式核对" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_tc" name="人才开发中心"><bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_qd" name="质量监督处">
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="提交核对">{start_ext}<bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="质量监督处核对">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="group_change_approval"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="done" name="核对完成"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="done"/>
  </bpmn:process>
</bpmn:definitions>
'''


def upload_and_deploy(app, owner_user, xml: str):
    """The process owner uploads the file as a draft and deploys it through the workbench pages; returns the
    deploy response."""
    owner = client_for(app, owner_user)
    uploaded = owner.post("/workbench/upload", data={"files": [(io.BytesIO(xml.encode("utf-8")), f"{KEY}.bpmn")]},
                          content_type="multipart/form-data")
    assert uploaded.status_code == 302, text_of(uploaded)
    draft_id = int(uploaded.headers["Location"].rsplit("/", 1)[-1])
    return owner.post(f"/workbench/drafts/{draft_id}/deploy")




def declare_starters(xml: str, roles: str) -> str:
    """The BPMN with `startRoles` declared on its process's start event (after its documentation, per the XSD)."""
    root = etree.fromstring(xml.encode("utf-8"))
    event = root.find(f"{{{BPMN_NS}}}process/{{{BPMN_NS}}}startEvent")
    ext = etree.Element(f"{{{BPMN_NS}}}extensionElements")
    props = etree.SubElement(ext, f"{{{SPIFF_NS}}}properties")
    etree.SubElement(props, f"{{{SPIFF_NS}}}property", name="startRoles", value=roles)
    docs = event.findall(f"{{{BPMN_NS}}}documentation")
    event.insert(len(docs), ext)
    return etree.tostring(root, encoding="unicode")
