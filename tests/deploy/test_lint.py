"""Validation before deploy: a corpus of broken BPMN (one per rule), entity attacks, real files from
outside (bpmn.io / Camunda Modeler output) — good ones deploy, bad ones list every reason, none crash."""

import re
import socket
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from engine.core import runner
from engine.core.errors import ValidationFailed
from engine.core.models import HumanTask, ProcessVersion
from engine.core.scripting import HostContext
from engine.deploy import versions as registry
from engine.deploy.lint import lint_bundle
from engine.deploy.problems import BPMN_NS, SPIFF_NS
from tests.deploy.deploy_support import PUBLIC_BPMN, external_files
from tests.support import T0

CORPUS = Path(__file__).resolve().parent / "bpmn_lint"
BROKEN = sorted(CORPUS.glob("broken_*.bpmn"))
ATTACKS = sorted(CORPUS.glob("xxe_*.bpmn")) + [CORPUS / "billion_laughs.bpmn"]


def expected(path: Path) -> str:
    return re.search(r"<!-- expect: (.+?) -->", path.read_text(encoding="utf-8")).group(1)


def versions(session, key="lint_case") -> int:
    return session.scalar(select(func.count()).select_from(ProcessVersion).where(ProcessVersion.process_key == key))


def test_the_base_case_is_valid_and_deploys(session, users):
    xml = (CORPUS / "ok_base.bpmn").read_text(encoding="utf-8")
    assert registry.check_bundle(session, "lint_case", xml, {}) == {"人才开发中心": "talent_center", "系统": "system"}
    version = registry.deploy(session, "lint_case", xml, {}, users["process_owner"], T0, source="workbench")
    assert version.version == 1 and versions(session) == 1


def test_the_corpus_covers_every_rule():
    assert len(BROKEN) >= 15


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_each_broken_file_is_refused_with_its_reason_and_element_id(session, users, path):
    xml = path.read_text(encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        registry.deploy(session, "lint_case", xml, {}, users["process_owner"], T0, source="workbench")
    messages = list(err.value.errors.values())
    assert any(m.startswith(expected(path)) for m in messages), messages
    assert err.value.message == "流程校验未通过"
    session.rollback()
    assert versions(session) == 0  # a failing bundle changes nothing


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.stem)
def test_entity_attacks_are_refused_without_reading_anything(session, path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.3)
    xml = path.read_text(encoding="utf-8").replace("127.0.0.1:9", f"127.0.0.1:{listener.getsockname()[1]}")
    _, problems = lint_bundle(session, "lint_case", xml, {})
    assert [str(p) for p in problems] == ["BPMN 无法解析：不允许包含 DOCTYPE 声明（可能的外部实体或实体膨胀攻击），文件未被读取"]
    with pytest.raises(socket.timeout):
        listener.accept()  # nothing was fetched
    listener.close()


@pytest.mark.shared_corpus
@pytest.mark.parametrize("path", external_files(), ids=lambda p: p.stem)
def test_external_files_are_validated_without_crashing(session, path):
    xml = path.read_text(encoding="utf-8")
    root = etree.fromstring(xml.encode("utf-8"))
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        _, problems = lint_bundle(session, process.get("id"), xml, {})
        # None of these files names this product's roles and forms: each gets reasons, never an exception.
        assert problems and all(str(p) for p in problems)
        ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str)}
        assert all(p.element_id in ids or not p.element_id for p in problems)


@pytest.mark.shared_corpus
def test_all_reasons_are_listed_at_once(session):
    xml = next(p for p in external_files() if p.stem == "kitchen-sink").read_text(encoding="utf-8")
    messages = [str(p) for p in lint_bundle(session, "Process_1", xml, {})[1]]
    assert any(m.startswith("不符合 BPMN 2.0 XSD") for m in messages)  # the schema
    assert "[Process_1] 流程 id 应以小写字母开头，只含小写字母、数字和下划线" in messages
    assert any(m.startswith("[Lane_") and "没有对应的角色" in m for m in messages)  # lanes
    assert any("没有指定表单" in m for m in messages) and any("没有指定宿主函数" in m for m in messages)
    assert any("没有结束事件" in m for m in messages)  # structure


def make_ours(xml: str) -> str:
    """What a process owner does to a Camunda Modeler file: snake_case id, a role lane, a form per user task,
    the roles that may start it."""
    root = etree.fromstring(xml.encode("utf-8"))
    process = root.find(f"{{{BPMN_NS}}}process")
    process.set("id", "camunda_nested")
    lane_set = etree.Element(f"{{{BPMN_NS}}}laneSet", id="lanes")
    lane = etree.SubElement(lane_set, f"{{{BPMN_NS}}}lane", id="lane_tc", name="人才开发中心")
    for node in process:
        if isinstance(node.tag, str) and node.get("id") and not node.tag.endswith(("sequenceFlow", "documentation")):
            etree.SubElement(lane, f"{{{BPMN_NS}}}flowNodeRef").text = node.get("id")
    process.insert(0, lane_set)
    for task in [*process.iterfind(f"{{{BPMN_NS}}}startEvent"), *process.iter(f"{{{BPMN_NS}}}userTask")]:
        ext = etree.SubElement(task, f"{{{BPMN_NS}}}extensionElements")
        task.insert(0, ext)
        props = etree.SubElement(ext, f"{{{SPIFF_NS}}}properties")
        if task.tag.endswith("startEvent"):  # a new process declares who may start it (issue 11 item 20)
            etree.SubElement(props, f"{{{SPIFF_NS}}}property", name="startRoles", value="人才开发中心")
        else:
            etree.SubElement(props, f"{{{SPIFF_NS}}}property", name="formKey", value="leader_approval")
    for plane in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNPlane"):
        plane.set("bpmnElement", "camunda_nested")
    return etree.tostring(root, encoding="unicode")


@pytest.mark.shared_corpus
def test_a_camunda_modeler_file_deploys_and_runs_once_roles_and_forms_are_set(session, users):
    original = next(p for p in external_files() if p.stem == "nested-subprocesses").read_text(encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        registry.check_bundle(session, "rootProcess", original, {})
    assert any("没有指定表单" in m for m in err.value.errors.values())
    xml = make_ours(original)
    version = registry.deploy(session, "camunda_nested", xml, {}, users["process_owner"], T0, source="upload")
    session.commit()
    instance = runner.start(session, "camunda_nested", HostContext(session, users["process_owner"], T0), {},
                            subject="外部流程试运行")
    session.commit()
    names = set(session.scalars(select(HumanTask.name).where(HumanTask.instance_id == instance.id,
                                                            HumanTask.state == "open")))
    assert version.version == 1 and {"Check Items", "Charge Card"} <= names
    assert set(session.scalars(select(HumanTask.lane_role).where(HumanTask.instance_id == instance.id))) == {
        "talent_center"}


def _dmn(outputs: str, input_text: str = '"all"') -> dict[str, str]:
    xml = registry.dmn_files_for(PUBLIC_BPMN)
    (name, text), = xml.items()
    text = text.replace('name="thresholds.max_age"', f'name="{outputs}"')
    return {name: text.replace('<text>"all"</text>', f"<text>{input_text}</text>")}


def test_dmn_inputs_and_outputs_must_match_what_the_process_uses(session):
    _, problems = lint_bundle(session, "admission_public", PUBLIC_BPMN, _dmn("limits.max_age", "applicant_age"))
    messages = [str(p) for p in problems]
    assert "[eligibility_thresholds] 决策表 eligibility_thresholds 的输出 limits.max_age 未被流程使用" in messages
    assert "[eligibility_thresholds] 决策表 eligibility_thresholds 的输入引用了流程中没有的数据 applicant_age" in messages
    _, problems = lint_bundle(session, "admission_public", PUBLIC_BPMN, _dmn("thresholds.max_age", "application_id"))
    assert problems == []
    _, problems = lint_bundle(session, "admission_public", PUBLIC_BPMN, _dmn("thresholds.max_age",
                                                                           '__import__("os").getcwd()'))
    assert any("__import__" in str(p) for p in problems)


def test_a_missing_dmn_file_is_a_listed_reason(session):
    with pytest.raises(ValidationFailed) as err:
        registry.check_bundle(session, "admission_public", PUBLIC_BPMN, {})
    assert any("决策表 eligibility_thresholds 不存在" in m for m in err.value.errors.values())
