"""The review steps of admission (Art 8): each reviewer's decision is checked and recorded by its form hook, in the
same unit of work as the engine step that follows (processes/README.md: no status-only service tasks)."""

from datetime import date

from sqlalchemy import select

from engine.admission import notices
from engine.admission.models import Application
from engine.admission.person import check_person
from engine.admission.services import application_for_instance
from engine.admission.status import ApplicationStatus
from engine.core.clock import local_date
from engine.core.contributions import Contributions
from engine.core.errors import NotFound, ValidationFailed
from engine.core.models import HumanTask
from engine.core.scripting import HostContext
from engine.core.status import TaskState
from engine.experts.models import ExpertGroup
from engine.platform.notifications import notify

exports = Contributions()  # installed by engine.bootstrap


def _record_stage(ctx: HostContext, task_row, status: str | None, stage: str, comment: str | None = None) -> None:
    """Where the application stands after a reviewer's decision (None: it stays where it is); the applicant is
    told of a return or a refusal in the same unit of work (notices)."""
    app = application_for_instance(ctx.session, task_row.instance_id)
    if app is None or status is None:  # a form reused outside admission has no application to record on
        return
    app.status, app.status_stage, app.updated_at = status, stage, ctx.now
    if status == ApplicationStatus.RETURNED:
        notices.returned(ctx.session, app, comment, ctx.now)
    elif status == ApplicationStatus.REJECTED:
        notices.rejected(ctx.session, app, stage, comment, ctx.now)


@exports.host_function("refer_ineligible")
def refer_ineligible(ctx: HostContext, application_id) -> dict:
    """Art 8(一)3: what the automatic check found goes to talent_center's 初审 with the application (a person
    decides: return for correction or not passed), and the applicant is told why, whatever the channel."""
    app = ctx.session.get(Application, int(application_id))
    if app is None:
        raise NotFound(f"申请 {application_id} 不存在")
    app.status, app.status_stage, app.updated_at = ApplicationStatus.IN_REVIEW, "eligibility", ctx.now
    reasons = [r["message"] for r in (app.eligibility or {}).get("reasons", [])]
    listed = "\n".join(f"{i}. {m}" for i, m in enumerate(reasons, start=1))
    notify(ctx.session, [app.applicant_user_id], f"入库申请资格校验未通过，已转人才开发中心初审（编号 {app.id}）",
           f"您提交的入库申请（编号 {app.id}）经资格条件校验，发现以下不符合《福建省产品质量安全监管专家库管理办法"
           f"（试行）》规定的情形：\n{listed}\n申请已连同上述理由转人才开发中心初审，由审核人员决定退回补正或不予通过；"
           "如属填报错误，请留意退回补正通知。", ctx.now, link=f"/applications/{app.id}")
    return {"referred": True, "reasons": len(reasons)}


def _ineligible(app: Application | None) -> bool:
    return app is not None and app.eligibility is not None and not app.eligibility.get("eligible", True)


def _check_age_exemption(app: Application | None, decision: str, answer: str | None) -> None:
    """Art 6(三): an applicant over the age limit who asks for the exemption passes 初审 only when the reviewer
    agrees to it; the answer is required then, and 不适用 otherwise."""
    flags = {f.get("code") for f in ((app.eligibility or {}).get("flags") or [])} if app is not None else set()
    if "age_exemption_claimed" not in flags:
        if answer == "yes":
            raise ValidationFailed({"accept_age_exemption": "申请人未超过年龄限制或未申请放宽，此项应为“不适用”"})
        return
    if answer not in ("yes", "no"):
        raise ValidationFailed({"accept_age_exemption": "申请人超过年龄限制并申请放宽（第六条第三项）：请选择同意或不同意"})
    if answer == "no" and decision == "pass":
        raise ValidationFailed({"decision": "不同意放宽年龄限制时不能初审通过（第六条第三项）：请退回补正或不予通过"})


# The gateways after these tasks route on the same form values (their default flows are the "reject"
# branches, hence `else REJECTED`). Instances on versions deployed earlier still run their
# set_application_status service tasks after the task, which set the same values again.

@exports.form_hook("initial_review")
def record_initial_review(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Art 8(一)3: talent_center's 初审 — returned for correction (退回补正) or not passed; a pass goes on, but
    never for an application the eligibility check found wanting (Art 6: its reasons are on the page)."""
    decision, app = cleaned["decision"], application_for_instance(ctx.session, task_row.instance_id)
    if decision == "pass" and _ineligible(app):
        raise ValidationFailed({"decision": "资格条件校验未通过（理由见“资格条件校验”），不能初审通过：请退回补正或不予通过"})
    _check_age_exemption(app, decision, cleaned.get("accept_age_exemption"))
    _record_stage(ctx, task_row, None if decision == "pass" else ApplicationStatus.RETURNED if decision == "return"
                  else ApplicationStatus.REJECTED,
                  "initial_review", cleaned.get("comment"))
    return cleaned


def _proposal(ctx: HostContext, app: Application | None, cleaned: dict) -> dict | None:
    """Art 8(一)3 / Art 9: the leader/deputy proposal, for one of the groups the person applied to (else refused)."""
    role, group = cleaned.get("propose_role"), cleaned.get("propose_group")
    if role not in ("leader", "deputy") or app is None:
        return None
    if group not in (app.groups or []):
        names = "、".join(ctx.session.scalars(select(ExpertGroup.name).where(
            ExpertGroup.code.in_(app.groups or [])).order_by(ExpertGroup.sort_order)))
        raise ValidationFailed({"propose_group": f"只能建议任申请人申请加入的专家组的组长、副组长：{names}"})
    return {"group": group, "position": role, "by": ctx.actor.id, "at": ctx.now.isoformat()}


@exports.form_hook("division_review")
def record_division_review(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Art 8: quality_division's 审核 — a refusal ends the application; a leader/deputy proposal is kept to become
    a pending appointment of that group when the person is admitted."""
    app = application_for_instance(ctx.session, task_row.instance_id)
    proposal = _proposal(ctx, app, cleaned)
    _record_stage(ctx, task_row, None if cleaned["decision"] == "pass" else ApplicationStatus.REJECTED,
                  "division_review")
    if app is not None:
        app.position_proposal = proposal
    return cleaned


@exports.form_hook("leader_approval")
def record_leader_approval(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Art 8: the bureau leader's approval — approved, awaiting the formal document (待发文), or refused."""
    _record_stage(ctx, task_row, ApplicationStatus.APPROVED if cleaned["decision"] == "approve"
                  else ApplicationStatus.REJECTED, "leader_approval")
    return cleaned


def _approved_on(session, instance_id: int) -> date | None:
    """The local date the bureau leader approved the admission in this instance (its leader_approval step)."""
    at = session.scalar(select(HumanTask.completed_at).where(
        HumanTask.instance_id == instance_id, HumanTask.bpmn_id == "leader_approval",
        HumanTask.state == TaskState.DONE).order_by(HumanTask.completed_at.desc()).limit(1))
    return local_date(at) if at else None


def document_date_problem(doc_date: date, today: date, approved_on: date | None) -> str | None:
    """Art 8: the document (正式发文) follows the leader's approval and is dated no later than it is recorded —
    a date ahead would start the 3-year term and number the certificate in a year not yet begun."""
    if doc_date > today:
        return f"发文日期 {doc_date.isoformat()} 晚于今天（{today.isoformat()}），请登记已印发文件的实际日期"
    if approved_on is not None and doc_date < approved_on:
        return f"发文日期 {doc_date.isoformat()} 早于局领导批准日期（{approved_on.isoformat()}），正式发文应在批准之后"
    return None


@exports.form_hook("record_document")
def record_formal_document(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Art 8: the formal document is recorded (its date checked); the expert must now sign the 承诺书 (附件2)."""
    problem = document_date_problem(date.fromisoformat(cleaned["doc_date"]), local_date(ctx.now),
                                    _approved_on(ctx.session, task_row.instance_id))
    if problem:
        raise ValidationFailed({"doc_date": problem})
    _record_stage(ctx, task_row, ApplicationStatus.AWAITING_COMMITMENT, "record_document")
    app = application_for_instance(ctx.session, task_row.instance_id)
    if app is not None:
        notices.commitment_due(ctx.session, app, cleaned["doc_no"], ctx.now)
    return cleaned


@exports.form_hook("application")
def apply_correction(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """A corrected 推荐表 replaces the application's data; the task keeps only the response."""
    app = application_for_instance(ctx.session, task_row.instance_id)
    if app is None:
        raise NotFound("申请不存在")
    check_person(ctx.session, cleaned, local_date(ctx.now), app.id)
    for key in ("photo", "attachments"):  # files not uploaded again are kept, never silently dropped
        if not cleaned.get(key):
            cleaned[key] = app.form.get(key)
    app.form, app.name, app.groups = cleaned, cleaned["name"], cleaned.get("groups") or []
    app.status, app.status_stage, app.updated_at = ApplicationStatus.IN_REVIEW, "corrected", ctx.now
    return {"response": cleaned.get("response") or "", "corrected": True}
