"""Admission (Art 6–8): public applications, invitations, and the host functions their BPMN calls."""

from datetime import date, datetime

from sqlalchemy import select

from engine.admission import notices
from engine.admission.models import Application, PublicCall
from engine.admission.person import check_person
from engine.admission.status import OPEN_STATUSES, ApplicationStatus
from engine.core import runner
from engine.core.clock import local_date
from engine.core.contributions import Contributions
from engine.core.db import transaction_cache
from engine.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.core.forms import load_form
from engine.core.scripting import HostContext
from engine.core.uow import unit_of_work
from engine.experts.models import DishonestyEntry, ExpertGroup
from engine.platform import policy
from engine.platform.attachments import validate_with_uploads
from engine.platform.models import Attachment
from engine.platform.settings import commitment_period
from engine.tasks.services import dynamic_choices
from rules.eligibility import Candidate, Thresholds, evaluate

exports = Contributions()  # installed by engine.bootstrap


def _validated_application(session, actor, raw, files, now) -> tuple[dict, list[int]]:
    form = load_form("application")
    cleaned, stored = validate_with_uploads(session, form, raw, files, actor, now, dynamic_choices(session),
                                            check=lambda values: check_person(session, values, local_date(now)))
    return cleaned, [i for ids in stored.values() for i in ids]


def _open_call(session, call_id, now) -> PublicCall:
    call = session.get(PublicCall, call_id) if call_id else None
    if call is None:
        raise ValidationFailed({"call_id": "请选择征集公告"})
    if not call.is_open(now):
        raise ValidationFailed({"call_id": f"“{call.title}”不在征集期内，不能提交申请（第八条第（一）项）"})
    return call


def _new_application(session, actor, cleaned, attachment_ids, now, **fields) -> Application:
    app = Application(name=cleaned["name"], form=cleaned, groups=cleaned.get("groups") or [], entered_by=actor.id,
                      status=ApplicationStatus.IN_REVIEW, created_at=now, updated_at=now, **fields)
    session.add(app)
    session.flush()
    if attachment_ids:
        for attachment in session.scalars(select(Attachment).where(Attachment.id.in_(attachment_ids))):
            attachment.application_id = app.id
    return app


def _start(session, app: Application, ctx: HostContext, process_key: str, signer_id: int, label: str):
    data = {"application_id": app.id, "submitter_user_id": ctx.actor.id, "signer_user_id": signer_id,
            "commitment_period": commitment_period()}
    instance = runner.start(session, process_key, ctx, data, subject=f"{app.name} — {label}",
                            business_key=f"APP-{app.id}", unit_id=app.unit_id)
    app.instance_id = instance.id
    return instance


def submit_public(session, actor, raw: dict, files: dict, now: datetime, call_id: int | None,
                  paper: bool = False) -> Application:
    """Submit a 推荐表 in an open call: by the applicant, or a paper form entered by talent_center."""
    if paper and not policy.allows(actor, policy.ENTER_PAPER_APPLICATION):
        raise Forbidden("只有人才开发中心可以录入纸质推荐表")
    if not paper and not policy.allows(actor, policy.SUBMIT_APPLICATION):
        raise Forbidden("只有申请人可以在线提交推荐表")
    with unit_of_work(session):
        call = _open_call(session, call_id, now)
        if not paper and session.scalar(select(Application.id).where(
                Application.applicant_user_id == actor.id, Application.status.in_(OPEN_STATUSES))):
            raise Conflict("您已有正在办理的入库申请，请等待办理结果")
        cleaned, attachment_ids = _validated_application(session, actor, raw, files, now)
        app = _new_application(session, actor, cleaned, attachment_ids, now, route="public", call_id=call.id,
                               paper=paper, applicant_user_id=None if paper else actor.id,
                               unit_id=None if paper else actor.unit_id)
        _start(session, app, HostContext(session, actor, now), "admission_public", actor.id, "公开遴选入库申请")
    return app


def nominate(session, actor, raw: dict, files: dict, now: datetime, reason: str) -> Application:
    """Nominate an expert by directed invitation (Art 8(二)): talent_center or quality_division."""
    if not policy.allows(actor, policy.INVITE_EXPERT):
        raise Forbidden("只有人才开发中心或质量监督处可以定向邀请")
    with unit_of_work(session):
        if not (reason or "").strip():
            raise ValidationFailed({"nomination_reason": "请填写定向邀请理由"})
        cleaned, attachment_ids = _validated_application(session, actor, raw, files, now)
        app = _new_application(session, actor, cleaned, attachment_ids, now, route="invited",
                               nomination_reason=reason.strip()[:2000], paper=True)
        _start(session, app, HostContext(session, actor, now), "admission_invited", actor.id, "定向邀请入库")
    return app


def _application(ctx: HostContext, application_id) -> Application:
    app = ctx.session.get(Application, int(application_id))
    if app is None:
        raise NotFound(f"申请 {application_id} 不存在")
    return app


def _candidate(session, app: Application, today: date) -> Candidate:
    form = app.form
    listed = session.scalar(select(DishonestyEntry.id).where(
        DishonestyEntry.id_number == form.get("id_number"),
        (DishonestyEntry.removed_on.is_(None)) | (DishonestyEntry.removed_on > today)).limit(1))
    return Candidate(
        birth_date=date.fromisoformat(form["birth_date"]), field_years=int(form.get("field_years") or 0),
        rank_level=form.get("rank_level") or "none", title_level=form.get("title_level") or "none",
        groups=tuple(app.groups), on_dishonesty_list=listed is not None,
        exemptions=tuple(form.get("age_exemptions") or ()), work_areas=tuple(form.get("work_areas") or ()),
    )


@exports.host_function("check_eligibility")
def check_eligibility(ctx: HostContext, application_id, thresholds=None) -> dict:
    """Art 6, 7, 9: evaluate the application with the DMN thresholds; stores and returns the report."""
    app = _application(ctx, application_id)
    today = local_date(ctx.now)
    known = set(ctx.session.scalars(select(ExpertGroup.code).where(ExpertGroup.active)))
    report = evaluate(_candidate(ctx.session, app, today), today, Thresholds.from_mapping(thresholds or {}), known)
    app.eligibility = report.to_dict() | {"checked_on": today.isoformat()}
    return app.eligibility


@exports.host_function("set_application_status")
def set_application_status(ctx: HostContext, application_id, status, stage=None) -> dict:
    """Record where an application stands (shown in 我的申请): the ineligible and lapsed ends; versions deployed
    before the review hooks below also call it after each review."""
    app = _application(ctx, application_id)
    app.status, app.status_stage, app.updated_at = status, stage, ctx.now
    if status == ApplicationStatus.LAPSED:
        notices.lapsed(ctx.session, app, ctx.now)
    return {"status": status}


def application_for_instance(session, instance_id: int) -> Application | None:
    """The application an admission instance is about (None for other processes); read once per transaction (the
    form hook and the steps it causes all ask)."""
    known = transaction_cache(session, "application_for_instance")
    app = known.get(instance_id) or session.scalar(select(Application).where(Application.instance_id == instance_id))
    if app is not None:
        known[instance_id] = app
    return app
