"""Deploying process versions: a bundle (BPMN + DMN + forms) is checked by the same lint the workbench shows,
then stored as a new immutable version; shipped files deploy on start-up when their hash is new."""

import hashlib
import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from engine.core import audit
from engine.core.errors import NotFound, ValidationFailed
from engine.core.forms import referenced_form_keys, shipped_forms
from engine.core.models import ProcessVersion
from engine.core.spiff import parse_xml
from engine.deploy.lint import lint_bundle, role_names
from engine.deploy.lint_start import start_declaration
from engine.deploy.problems import as_errors
from engine.platform.settings import processes_dir

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}


def bundle_sha256(bpmn_xml: str, dmn_files: dict[str, str], forms: dict[str, dict] | None = None) -> str:
    """Content hash of a bundle: the BPMN document, the DMN files and the forms deployed with it."""
    digest = hashlib.sha256(bpmn_xml.encode("utf-8"))
    for name in sorted(dmn_files):
        digest.update(b"\0" + name.encode("utf-8") + b"\0" + dmn_files[name].encode("utf-8"))
    if forms:
        canonical = json.dumps(forms, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update(b"\0forms\0" + canonical.encode("utf-8"))
    return digest.hexdigest()


def shipped_bpmn(root: Path | None = None) -> list[Path]:
    """Every shipped BPMN file: processes/<procedure>/<process key>.bpmn."""
    return sorted((root or processes_dir()).glob("*/*.bpmn"))


def shipped_file(name: str, root: Path | None = None) -> Path:
    """The one shipped file with this name, whichever procedure folder holds it (BPMN, DMN)."""
    found = sorted((root or processes_dir()).glob(f"*/{name}"))
    if len(found) != 1:
        raise NotFound(f"流程文件 {name} 不存在或不唯一")
    return found[0]


def forms_for(bpmn_xml: str, root: Path | None = None) -> dict[str, dict]:
    """The form definitions (key → form) the BPMN's user tasks name, from the shipped forms."""
    return shipped_forms(referenced_form_keys(parse_xml(bpmn_xml)), root)


def _decision_ids(dmn_xml: str) -> set[str]:
    root = parse_xml(dmn_xml)
    return {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("}decision")}


def dmn_files_for(bpmn_xml: str, root: Path | None = None) -> dict[str, str]:
    """The shipped DMN files (name → XML) defining the decisions a BPMN document calls, whichever procedure
    folder holds them (term_renewal rechecks with admission's eligibility_thresholds.dmn)."""
    wanted = {el.text.strip() for el in parse_xml(bpmn_xml).iterfind(".//spiffworkflow:calledDecisionId", NS)}
    found = {}
    for path in sorted((root or processes_dir()).glob("*/*.dmn")):
        xml = path.read_text(encoding="utf-8")
        if wanted & _decision_ids(xml):
            found[path.name] = xml
    return found


def check_bundle(session, process_key: str, bpmn_xml: str, dmn_files: dict[str, str]) -> dict[str, str]:
    """Validate a bundle (safe XML, XSD, SpiffWorkflow parse, lint rules); returns the lane → role map.

    Raises ValidationFailed listing every reason (Chinese, with the element id); see engine.deploy.lint.
    """
    mapping, problems = lint_bundle(session, process_key, bpmn_xml, dmn_files)
    if problems:
        raise ValidationFailed(as_errors(problems), message="流程校验未通过")
    return mapping



def deploy(session, process_key, bpmn_xml, dmn_files, actor, now: datetime, source="shipped",
           forms: dict | None = None) -> ProcessVersion:
    """Deploy a new immutable version unless the latest one has the same hash (flushes, no commit).

    The bundle carries the forms its user tasks name (from the forms folder unless given), so a form
    changed later never changes instances running on this version.
    """
    forms = forms_for(bpmn_xml) if forms is None else forms
    sha = bundle_sha256(bpmn_xml, dmn_files, forms)
    current = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_key == process_key).order_by(ProcessVersion.version.desc())
    ).first()
    if current is not None and current.sha256 == sha:
        return current
    lane_roles = check_bundle(session, process_key, bpmn_xml, dmn_files)
    process = parse_xml(bpmn_xml).find(f".//bpmn:process[@id='{process_key}']", NS)
    starters = start_declaration(process, process_key, role_names(session))
    number = (session.scalar(select(func.max(ProcessVersion.version)).where(
        ProcessVersion.process_key == process_key)) or 0) + 1
    version = ProcessVersion(
        process_key=process_key, name=process.get("name") or process_key,
        version=number, sha256=sha, bpmn_xml=bpmn_xml, dmn_files=dmn_files, forms=forms, lane_roles=lane_roles,
        start_declaration=starters, source=source, deployed_by=getattr(actor, "id", None), deployed_at=now,
    )
    session.add(version)
    session.flush()
    audit.record(session, "process_deployed", actor, now, after={
        "process_key": process_key, "version": number, "sha256": sha, "source": source})
    return version


def deploy_shipped(session, now: datetime, root: Path | None = None) -> list[ProcessVersion]:
    """Deploy every shipped BPMN file whose content hash is new; commits once.

    "New" means no version of that process ever had it: a version a process owner deployed from the
    workbench stays the latest across restarts instead of being replaced by the unchanged shipped file.
    """
    deployed = []
    for path in shipped_bpmn(root):
        xml = path.read_text(encoding="utf-8")
        dmn = dmn_files_for(xml, root)
        forms = forms_for(xml, root)
        known = session.scalar(select(ProcessVersion.id).where(
            ProcessVersion.process_key == path.stem, ProcessVersion.sha256 == bundle_sha256(xml, dmn, forms)).limit(1))
        if known is None:
            deployed.append(deploy(session, path.stem, xml, dmn, None, now, forms=forms))
    session.commit()
    return deployed
