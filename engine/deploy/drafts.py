"""Process drafts (units of work): open a version as a draft, edit/upload, validate, deploy, abandon.

Only process owners edit and deploy. Deploying makes a new immutable version through engine.deploy.versions;
running instances stay on the version they started with.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.core.models import ProcessVersion
from engine.core.uow import unit_of_work
from engine.deploy import versions as registry
from engine.deploy.files import check_xml, dmn_name, main_process, process_ids, split_uploads
from engine.deploy.lint import lint_bundle
from engine.deploy.models import ProcessDraft
from engine.deploy.problems import Problem
from engine.deploy.status import DraftStatus
from engine.platform import policy
from engine.platform.attachments import Upload


def require_owner(actor) -> None:
    """Editing, deploying and migrating processes is for process owners only (403 otherwise)."""
    if not policy.allows(actor, policy.EDIT_PROCESSES):
        raise Forbidden("只有流程管理员可以编辑、部署或迁移流程")


def get_version(session, actor, version_id: int) -> ProcessVersion:
    """A deployed version with its XML (process owners and auditors may read it)."""
    if not policy.allows(actor, policy.VIEW_PROCESSES):
        raise Forbidden("您无权查看流程定义")
    version = session.get(ProcessVersion, version_id, options=[undefer(ProcessVersion.bpmn_xml),
                                                               undefer(ProcessVersion.dmn_files)])
    if version is None:
        raise NotFound("流程版本不存在")
    return version


def get_draft(session, actor, draft_id: int) -> ProcessDraft:
    """A draft with its XML; process owners only."""
    require_owner(actor)
    draft = session.get(ProcessDraft, draft_id, options=[undefer(ProcessDraft.bpmn_xml),
                                                         undefer(ProcessDraft.dmn_files)])
    if draft is None:
        raise NotFound("草稿不存在")
    return draft


def _editable(session, actor, draft_id: int, lock: int | None = None) -> ProcessDraft:
    draft = get_draft(session, actor, draft_id)
    if draft.status != DraftStatus.DRAFT:
        raise Conflict("该草稿已部署或已放弃，不能再修改")
    if lock is not None and lock != draft.lock_version:
        raise Conflict("草稿已被他人保存，请刷新后再修改")
    return draft


def create_from_version(session, actor, version_id: int, now: datetime) -> ProcessDraft:
    """Open a deployed version as a new draft (the version itself never changes)."""
    require_owner(actor)
    with unit_of_work(session):
        version = get_version(session, actor, version_id)
        draft = ProcessDraft(process_key=version.process_key, name=version.name, bpmn_xml=version.bpmn_xml,
                             dmn_files=dict(version.dmn_files or {}), base_version_id=version.id,
                             author_id=actor.id, created_at=now, updated_at=now, status=DraftStatus.DRAFT)
        session.add(draft)
    return draft


def _latest_or_none(session, process_key: str) -> ProcessVersion | None:
    return session.scalars(select(ProcessVersion).where(ProcessVersion.process_key == process_key)
                           .order_by(ProcessVersion.version.desc())).first()


def create_from_upload(session, actor, uploads: list[Upload], now: datetime) -> ProcessDraft:
    """A new draft from an uploaded .bpmn (+ .dmn) made in any BPMN modeler (bpmn.io, Camunda Modeler)."""
    require_owner(actor)
    with unit_of_work(session):
        bpmn, dmn = split_uploads(uploads)
        if bpmn is None:
            raise ValidationFailed({"file": "请上传一个 .bpmn 文件（DMN 文件可一并上传）"})
        key, name = main_process(bpmn)
        base = _latest_or_none(session, key)
        draft = ProcessDraft(process_key=key, name=name, bpmn_xml=bpmn, dmn_files=dmn,
                             base_version_id=base.id if base else None, author_id=actor.id,
                             created_at=now, updated_at=now, status=DraftStatus.DRAFT)
        session.add(draft)
    return draft


def _set_bpmn(draft: ProcessDraft, xml: str) -> None:
    check_xml(xml, ".bpmn", "BPMN")
    if draft.process_key not in {p[0] for p in process_ids(xml)}:
        raise ValidationFailed({"file": f"文件中没有 id 为 {draft.process_key} 的流程；草稿的流程 id 不能修改"})
    draft.bpmn_xml = xml
    draft.name = next((n for k, n, _ in process_ids(xml) if k == draft.process_key and n), draft.process_key)


def _lf(text: str | None) -> str:
    # Browsers submit textarea content with CRLF line ends; the editor's XML is stored with LF.
    return (text or "").replace("\r\n", "\n")


def save(session, actor, draft_id: int, bpmn_xml: str, now: datetime, lock: int | None = None) -> ProcessDraft:
    """Save the editor's BPMN into the draft (safe XML, same process id)."""
    with unit_of_work(session):
        draft = _editable(session, actor, draft_id, lock)
        _set_bpmn(draft, _lf(bpmn_xml))
        draft.updated_at = now
    return draft


def save_dmn(session, actor, draft_id: int, name: str, xml: str, now: datetime) -> ProcessDraft:
    """Save one DMN file of the draft (from dmn-js)."""
    with unit_of_work(session):
        draft = _editable(session, actor, draft_id)
        name, xml = dmn_name(name), _lf(xml)
        check_xml(xml, ".dmn", name)
        draft.dmn_files = {**(draft.dmn_files or {}), name: xml}
        draft.updated_at = now
    return draft


def remove_dmn(session, actor, draft_id: int, name: str, now: datetime) -> ProcessDraft:
    """Drop one DMN file from the draft."""
    with unit_of_work(session):
        draft = _editable(session, actor, draft_id)
        if name not in (draft.dmn_files or {}):
            raise NotFound(f"草稿中没有 DMN 文件 {name}")
        draft.dmn_files = {k: v for k, v in draft.dmn_files.items() if k != name}
        draft.updated_at = now
    return draft


def upload_into(session, actor, draft_id: int, uploads: list[Upload], now: datetime) -> ProcessDraft:
    """Replace the draft's BPMN and/or add DMN files from uploaded files."""
    with unit_of_work(session):
        draft = _editable(session, actor, draft_id)
        bpmn, dmn = split_uploads(uploads)
        if bpmn is not None:
            _set_bpmn(draft, bpmn)
        if dmn:
            draft.dmn_files = {**(draft.dmn_files or {}), **dmn}
        draft.updated_at = now
    return draft


def problems(session, actor, draft_id: int) -> list[Problem]:
    """Every reason the draft would not deploy (empty when it would); changes nothing."""
    draft = get_draft(session, actor, draft_id)
    return lint_bundle(session, draft.process_key, draft.bpmn_xml, draft.dmn_files or {})[1]


def deploy(session, actor, draft_id: int, now: datetime, allow_stale: bool = False) -> ProcessVersion:
    """Deploy the draft as a new immutable version; a draft that fails validation changes nothing."""
    with unit_of_work(session):
        draft = _editable(session, actor, draft_id)
        latest = _latest_or_none(session, draft.process_key)
        if latest is not None and latest.id != draft.base_version_id and not allow_stale:
            raise Conflict(f"该草稿不是基于最新的第 {latest.version} 版；请确认覆盖后再部署，或基于最新版本重新编辑")
        if latest is not None and latest.sha256 == registry.bundle_sha256(
                draft.bpmn_xml, draft.dmn_files or {}, registry.forms_for(draft.bpmn_xml)):
            raise Conflict("草稿与当前最新版本完全相同，无需部署")
        # registry.deploy validates again and raises ValidationFailed listing every reason.
        version = registry.deploy(session, draft.process_key, draft.bpmn_xml, draft.dmn_files or {}, actor, now,
                                  source="workbench")
        draft.status, draft.deployed_version_id, draft.updated_at = DraftStatus.DEPLOYED, version.id, now
    return version


def abandon(session, actor, draft_id: int, now: datetime) -> ProcessDraft:
    """Abandon a draft (kept for the record, no longer editable)."""
    with unit_of_work(session):
        draft = _editable(session, actor, draft_id)
        draft.status, draft.updated_at = DraftStatus.ABANDONED, now
    return draft
