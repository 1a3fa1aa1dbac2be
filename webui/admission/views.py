"""Admission pages: 推荐表 submission (online, paper), invitations, my applications, calls, attachments."""

from datetime import datetime
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from engine.admission import appointments, calls
from engine.admission import documents as official
from engine.admission import queries as ui_queries
from engine.admission import services as admission
from engine.admission.status import ApplicationStatus
from engine.admission.uploads import get_for_download
from engine.core import inbox
from engine.core.errors import ValidationFailed
from engine.core.forms import load_form
from engine.platform import policy
from engine.platform.attachments import DEFAULT_TYPES
from engine.platform.settings import LOCAL_TZ
from engine.tasks.services import dynamic_choices
from webui.auth import requires
from webui.extensions import db
from webui.forms_render import display_rows, form_context, form_values, read_submission
from webui.timeutil import now

bp = Blueprint("admission", __name__, template_folder="templates")
CALL_FIELDS = ("title", "description", "opens_at", "closes_at")
# Page variants of the 推荐表: online by the applicant, paper entry, directed invitation.
MODES = {
    "new": {"title": "提交专家推荐表（公开遴选）", "endpoint": "admission.new", "calls": True},
    "paper": {"title": "录入纸质推荐表", "endpoint": "admission.paper", "calls": True},
    "invite": {"title": "定向邀请专家入库", "endpoint": "admission.invite", "calls": False},
}


def _render_form(mode: str, values=None, errors=None, status: int = 200):
    form = load_form("application")
    extra = form_values(request.form, ("call_id", "nomination_reason")) if request.method == "POST" else {}
    return render_template(
        "admission/form.html", mode=mode, meta=MODES[mode], extra=extra, errors=errors or {},
        ctx=form_context(form, dynamic_choices(db.session), values, errors),
        open_calls=calls.list_calls(db.session, open_at=now()) if MODES[mode]["calls"] else [],
    ), status


def _submit(mode: str):
    raw, files = read_submission(load_form("application"), request.form, request.files)
    try:
        if mode == "invite":
            app = admission.nominate(db.session, current_user, raw, files, now(),
                                     request.form.get("nomination_reason", ""))
        else:
            app = admission.submit_public(db.session, current_user, raw, files, now(),
                                          request.form.get("call_id", type=int), paper=mode == "paper")
    except ValidationFailed as exc:
        return _render_form(mode, raw, exc.errors, 422)
    flash(*_submitted_message(app))
    return redirect(url_for("admission.detail", application_id=app.id))


def _submitted_message(app) -> tuple[str, str]:
    """What the submitter is told: submitted, or what the eligibility check found and where the case went."""
    reasons = "；".join(r["message"] for r in (app.eligibility or {}).get("reasons", []))
    if not reasons:
        return f"已提交：{app.name}，进入资格校验与审核流程。", "success"
    if app.status == ApplicationStatus.IN_REVIEW:
        return (f"已提交：{app.name}。资格条件校验发现不符合的情形：{reasons}。申请已连同理由转人才开发中心初审，"
                "由审核人员决定退回补正或不予通过。"), "warning"
    return f"已提交：{app.name}，但资格条件校验未通过，未进入审核：{reasons}。", "warning"


@bp.route("/applications/new", methods=["GET", "POST"])
@requires(policy.SUBMIT_APPLICATION)
def new():
    """The applicant fills in the 推荐表 within an open call (Art 8(一)); what they gave at registration is filled in."""
    if request.method == "POST":
        return _submit("new")
    return _render_form("new", ui_queries.registered_values(current_user))


@bp.route("/applications/paper", methods=["GET", "POST"])
@requires(policy.ENTER_PAPER_APPLICATION)
def paper():
    """talent_center enters a paper 推荐表 received in an open call."""
    return _submit("paper") if request.method == "POST" else _render_form("paper")


@bp.route("/applications/invite", methods=["GET", "POST"])
@requires(policy.INVITE_EXPERT)
def invite():
    """Directed invitation with a written reason (Art 8(二))."""
    return _submit("invite") if request.method == "POST" else _render_form("invite")


@bp.route("/applications/mine")
@login_required
def mine():
    """My applications (own or entered by me): status, current steps, eligibility reasons."""
    rows = calls.my_applications(db.session, current_user)
    titles = ui_queries.call_titles(db.session, (a.call_id for a, _ in rows))
    return render_template("admission/mine.html", rows=rows, titles=titles,
                           deadlines=calls.step_deadlines(db.session, [a.instance_id for a, _ in rows]))


@bp.route("/applications/<int:application_id>")
@login_required
def detail(application_id: int):
    """One application: the owner, whoever entered it, or staff."""
    app = ui_queries.get_application(db.session, current_user, application_id)
    attachments = ui_queries.application_attachments(db.session, app)
    return render_template(
        "admission/detail.html", app=app, attachments=attachments,
        attachments_by_id={a.id: a for a in attachments},
        rows=display_rows(load_form("application"), ui_queries.shown_form(db.session, current_user, app, "申请详情",
                                                                          now()), dynamic_choices(db.session)),
        steps=inbox.step_names(db.session, app.instance_id),
        call_title=ui_queries.call_titles(db.session, [app.call_id]).get(app.call_id),
        doc_no=appointments.admission_doc_no(db.session, app))


def _local_datetime(text: str) -> datetime | None:
    """A datetime-local input ("2026-03-01T09:00") read as Asia/Shanghai time."""
    try:
        return datetime.fromisoformat((text or "").strip()).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        return None


def _render_calls(values=None, errors=None, status: int = 200):
    return render_template("admission/calls.html", calls=calls.list_calls(db.session), at=now(),
                           values=values or {}, errors=errors or {}), status


def _create_call():
    values = form_values(request.form, CALL_FIELDS)
    opens, closes = _local_datetime(values["opens_at"]), _local_datetime(values["closes_at"])
    errors = {k: f"请填写有效的{label}" for k, label, v in
              (("opens_at", "开始时间", opens), ("closes_at", "截止时间", closes)) if v is None}
    if errors:
        return _render_calls(values, errors, 422)
    try:
        call = calls.create_call(db.session, current_user, values["title"], values["description"], opens, closes,
                                 now())
    except ValidationFailed as exc:
        return _render_calls(values, exc.errors, 422)
    flash(f"已发布征集公告：{call.title}", "success")
    return redirect(url_for("admission.calls"))


@bp.route("/calls", methods=["GET", "POST"], endpoint="calls")
@requires(policy.MANAGE_CALLS)
def calls_page():
    """Public calls (征集公告): list; talent_center publishes new ones."""
    if request.method == "POST":
        if not policy.allows(current_user, policy.PUBLISH_CALL):
            abort(403)
        return _create_call()
    return _render_calls()


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    """Download an attachment (owner or staff); always as a download, never rendered inline."""
    row = get_for_download(db.session, current_user, attachment_id)
    mimetype = row.content_type if row.content_type in DEFAULT_TYPES else "application/octet-stream"
    response = send_file(BytesIO(row.data), mimetype=mimetype, as_attachment=True, download_name=row.filename,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _docx(name: str, data: bytes):
    response = send_file(BytesIO(data), mimetype=DOCX, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"  # personal data: never kept by a shared cache
    return response


def _commitment(record):
    return _docx(*official.commitment_docx(db.session, record, _scan_link))


def _scan_link(attachment_id: int) -> str:
    return url_for("admission.attachment", attachment_id=attachment_id, _external=True)


def _recommendation(record):
    return _docx(*official.viewed_recommendation(db.session, current_user, record, now()))


@bp.route("/applications/<int:application_id>/recommendation.docx")
@login_required
def application_recommendation(application_id: int):
    """The application's 推荐表 (附件1) as DOCX, for whoever may read the application."""
    return _recommendation(official.application_record(db.session, current_user, application_id))


@bp.route("/applications/<int:application_id>/commitment.docx")
@login_required
def application_commitment(application_id: int):
    """The application's 专家履职承诺书 (附件2): signed, or blank to be signed by hand."""
    return _commitment(official.application_record(db.session, current_user, application_id))


@bp.route("/experts/<int:expert_id>/recommendation.docx")
@login_required
def expert_recommendation(expert_id: int):
    """An expert's 推荐表 as the roster holds it, for staff and the expert."""
    return _recommendation(official.expert_record(db.session, current_user, expert_id))


@bp.route("/experts/<int:expert_id>/commitment.docx")
@login_required
def expert_commitment(expert_id: int):
    """An expert's signed 专家履职承诺书, for staff and the expert."""
    return _commitment(official.expert_record(db.session, current_user, expert_id))


@bp.route("/experts/<int:expert_id>/certificate.docx")
@login_required
def certificate(expert_id: int):
    """The expert's 聘书 (number and term), for staff and the expert."""
    return _docx(*appointments.certificate_docx(db.session, current_user, expert_id))


@bp.route("/admission/list.docx")
@requires(policy.VIEW_APPLICATIONS)
def admission_list():
    """The 入库名单 attached to one 正式发文 (?doc_no=), with groups and 组长/副组长 proposals."""
    return _docx(*appointments.admission_list_docx(db.session, current_user, request.args.get("doc_no", "")[:80]))
