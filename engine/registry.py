"""Registry of immutable process versions; shipped files deploy on start-up when their hash is new."""

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from engine import audit
from engine.errors import NotFound, ValidationFailed
from engine.forms import form_exists
from engine.models import ProcessVersion, Role
from engine.scriptcheck import script_problems
from engine.scripting import HOST_FUNCTIONS
from engine.spiff import compile_process, parse_xml

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}


def bundle_sha256(bpmn_xml: str, dmn_files: dict[str, str]) -> str:
    """Content hash of a BPMN document and the DMN files deployed with it."""
    digest = hashlib.sha256(bpmn_xml.encode("utf-8"))
    for name in sorted(dmn_files):
        digest.update(b"\0" + name.encode("utf-8") + b"\0" + dmn_files[name].encode("utf-8"))
    return digest.hexdigest()


def _decision_ids(dmn_xml: str) -> set[str]:
    root = parse_xml(dmn_xml)
    return {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("}decision")}


def dmn_files_for(bpmn_xml: str, directory: Path = PROCESSES_DIR) -> dict[str, str]:
    """The DMN files (name → XML) defining the decisions a BPMN document calls."""
    wanted = {el.text.strip() for el in parse_xml(bpmn_xml).iterfind(".//spiffworkflow:calledDecisionId", NS)}
    found = {}
    for path in sorted(directory.glob("*.dmn")):
        xml = path.read_text(encoding="utf-8")
        if wanted & _decision_ids(xml):
            found[path.name] = xml
    return found


def _lane_roles(root, roles: list[Role]) -> tuple[dict[str, str], list[str]]:
    by_name = {r.name: r.code for r in roles} | {r.code: r.code for r in roles}
    mapping, errors = {}, []
    for lane in root.iterfind(".//bpmn:lane", NS):
        name = (lane.get("name") or "").strip()
        if name in by_name:
            mapping[name] = by_name[name]
        else:
            errors.append(f"泳道 {lane.get('id')}（{name or '未命名'}）没有对应的角色")
    return mapping, errors


def _lint_tasks(root) -> list[str]:
    errors = []
    for task in root.iterfind(".//bpmn:userTask", NS):
        props = {p.get("name"): p.get("value") for p in task.iterfind(".//spiffworkflow:property", NS)}
        if not (task.get("name") or "").strip():
            errors.append(f"用户任务 {task.get('id')} 没有名称")
        if not form_exists(props.get("formKey", "")):
            errors.append(f"用户任务 {task.get('id')} 引用的表单 {props.get('formKey')} 不存在")
    element_ids = {el.get("id") for el in root.iter(f"{{{BPMN_NS}}}*") if el.get("id")}
    for op in root.iterfind(".//spiffworkflow:serviceTaskOperator", NS):
        if op.get("id") not in HOST_FUNCTIONS:
            errors.append(f"服务任务调用了不在允许清单中的宿主函数 {op.get('id')}")
        # SpiffWorkflow looks elements up by id, extension elements included: a clash breaks parsing.
        if op.get("id") in element_ids:
            errors.append(f"流程元素 id {op.get('id')} 与宿主函数同名，请改用其他 id")
    return errors + _lint_scripts(root)


def _lint_scripts(root) -> list[str]:
    errors = []
    for script in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        errors += script_problems(script.text, f"脚本任务 {script.getparent().get('id')}")
    for cond in root.iterfind(".//bpmn:conditionExpression", NS):
        errors += script_problems(cond.text, f"条件 {cond.getparent().get('id')}")
    for op in root.iterfind(".//spiffworkflow:parameter", NS):
        errors += script_problems(op.get("value"), f"服务参数 {op.get('id')}")
    return errors


def check_bundle(session, process_key: str, bpmn_xml: str, dmn_files: dict[str, str]) -> dict[str, str]:
    """Validate a bundle (XSD, SpiffWorkflow parse, lanes → roles, forms, allow-list); returns lane map."""
    try:
        root = parse_xml(bpmn_xml)
        compile_process(process_key, bpmn_xml, dmn_files, validate=True)
    except Exception as exc:  # every parser failure becomes a listed reason, never a crash
        raise ValidationFailed({"bpmn": f"BPMN 无法解析：{exc}"}) from exc
    mapping, errors = _lane_roles(root, list(session.scalars(select(Role))))
    errors += _lint_tasks(root)
    if errors:
        raise ValidationFailed({f"rule_{i}": e for i, e in enumerate(errors)}, message="流程校验未通过")
    return mapping


def latest_version(session, process_key: str) -> ProcessVersion:
    """The newest deployed version of a process (new instances start on it)."""
    version = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_key == process_key).order_by(ProcessVersion.version.desc())
    ).first()
    if version is None:
        raise NotFound(f"流程 {process_key} 尚未部署")
    return version


def deploy(session, process_key, bpmn_xml, dmn_files, actor, now: datetime, source="shipped") -> ProcessVersion:
    """Deploy a new immutable version unless the latest one has the same hash (flushes, no commit)."""
    sha = bundle_sha256(bpmn_xml, dmn_files)
    current = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_key == process_key).order_by(ProcessVersion.version.desc())
    ).first()
    if current is not None and current.sha256 == sha:
        return current
    lane_roles = check_bundle(session, process_key, bpmn_xml, dmn_files)
    name = parse_xml(bpmn_xml).find(f".//bpmn:process[@id='{process_key}']", NS)
    number = (session.scalar(select(func.max(ProcessVersion.version)).where(
        ProcessVersion.process_key == process_key)) or 0) + 1
    version = ProcessVersion(
        process_key=process_key, name=(name.get("name") if name is not None else None) or process_key,
        version=number, sha256=sha, bpmn_xml=bpmn_xml, dmn_files=dmn_files, lane_roles=lane_roles,
        source=source, deployed_by=getattr(actor, "id", None), deployed_at=now,
    )
    session.add(version)
    session.flush()
    audit.record(session, "process_deployed", actor, now, after={
        "process_key": process_key, "version": number, "sha256": sha, "source": source})
    return version


def deploy_shipped(session, now: datetime, directory: Path = PROCESSES_DIR) -> list[ProcessVersion]:
    """Deploy every shipped BPMN file whose content hash is new; commits once."""
    deployed = []
    for path in sorted(directory.glob("*.bpmn")):
        xml = path.read_text(encoding="utf-8")
        deployed.append(deploy(session, path.stem, xml, dmn_files_for(xml, directory), None, now))
    session.commit()
    return deployed
