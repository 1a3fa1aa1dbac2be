"""评价与出库: year-end evaluation campaigns (Art 14), exits (Art 15, 10(4)), renewals (Art 8), expert self-service.

Thin views: parse the request, call one service or query, render or redirect; the services check role, unit and
object and raise the engine errors the app maps to 403/404/409/422 pages.
"""

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from engine.assignment import queries as assignment_queries
from engine.core.clock import local_date
from engine.core.errors import Conflict, ValidationFailed
from engine.core.forms import load_form, task_form
from engine.evaluation import campaign, exports, queries
from engine.evaluation import services as evaluations
from engine.evaluation.models import CAMPAIGN_STATUSES, EVALUATION_STATUSES
from engine.exit import queries as exit_queries
from engine.exit import services as exits
from engine.exit.models import EXIT_CASE_STATUSES, EXIT_SOURCES
from engine.experts import selfservice
from engine.experts.models import DECLARATION_KINDS, ENGAGEMENT_STATUSES
from engine.platform import policy
from engine.renewal import queries as renewal_queries
from engine.renewal.models import RENEWAL_STATUSES
from rules.evaluation import RATINGS, rating_label
from rules.exit import GROUNDS, TRIGGERS, ground_label
from webui.auth import requires
from webui.extensions import db
from webui.forms_render import form_context, read_submission
from webui.timeutil import now

bp = Blueprint("yearly", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LABELS = {"campaign_statuses": CAMPAIGN_STATUSES, "evaluation_statuses": EVALUATION_STATUSES, "ratings": RATINGS,
          "exit_statuses": EXIT_CASE_STATUSES, "exit_sources": EXIT_SOURCES, "renewal_statuses": RENEWAL_STATUSES,
          "triggers": TRIGGERS, "grounds": GROUNDS, "declaration_kinds": DECLARATION_KINDS,
          "engagement_statuses": ENGAGEMENT_STATUSES, "ground_label": ground_label, "rating_label": rating_label}


def _render(template: str, status: int = 200, **context):
    return render_template(f"yearly/{template}", **LABELS, **context), status


def _download(name: str, data: bytes, mimetype: str):
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/yearly")
@requires(policy.VIEW_YEARLY)
def index():
    """Staff: campaigns, exits, renewals; group leaders: the forms they rate; experts: their own record."""
    if not (policy.allows(current_user, policy.OVERSEE_YEARLY) or policy.allows(current_user, policy.RATE_EVALUATIONS)):
        return _my_page()
    data = queries.overview(db.session, current_user, now())
    if policy.allows(current_user, policy.OVERSEE_YEARLY):
        data.update(exits=exit_queries.open_cases(db.session), renewals=renewal_queries.open_cases(db.session))
    return _render("index.html", data=data,
                   mine=queries.my_evaluations(db.session, current_user), this_year=local_date(now()).year)


@bp.route("/yearly/campaigns", methods=["POST"])
@requires(policy.RUN_CAMPAIGN)
def start_campaign():
    """talent_center: start a year's campaign now (the 1 December job does it otherwise)."""
    year = request.form.get("year", type=int) or 0
    started = campaign.start_now(db.session, current_user, year, now())
    flash(f"{started.year}年度评价已启动，共{started.expert_count}名在库专家。", "success")
    return redirect(url_for("yearly.campaign_page", year=started.year))


def _campaign_filter(args) -> queries.CampaignFilter:
    status, rating = args.get("status", ""), args.get("rating", "")
    return queries.CampaignFilter(
        status=status if status in EVALUATION_STATUSES else "", rating=rating if rating in RATINGS else "",
        group=args.get("group", "").strip()[:40], q=args.get("q", "").strip()[:60], overdue=args.get("overdue") == "1",
        page=max(1, args.get("page", 1, type=int) or 1))


@bp.route("/yearly/campaigns/<int:year>", endpoint="campaign_page")
@requires(policy.VIEW_CAMPAIGNS)
def campaign_view(year: int):
    """A campaign's 评价表 list with filters (overdue view included) and talent_center's bulk handling."""
    flt = _campaign_filter(request.args)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return _render("campaign.html", page=queries.campaign_page(db.session, current_user, year, flt, now()),
                   flt=flt, args=args, bulk=form_context(load_form("evaluation_bulk")))


@bp.route("/yearly/campaigns/<int:year>/summary.xlsx")
@requires(policy.OVERSEE_YEARLY)
def campaign_export(year: int):
    """The year's XLSX summary."""
    return _download(*exports.campaign_xlsx(db.session, current_user, year), XLSX)


@bp.route("/yearly/campaigns/<int:year>/bulk", methods=["POST"])
@requires(policy.RUN_CAMPAIGN)
def campaign_bulk(year: int):
    """talent_center finalizes the ticked forms with one opinion; per-item results."""
    ids = [int(v) for v in request.form.getlist("evaluation_ids") if v.strip().isdigit()]
    raw = {k: request.form.get(k, "") for k in ("mode", "opinion")}
    try:
        results = evaluations.bulk_finalize(db.session, current_user, ids, raw, now())
    except ValidationFailed as exc:
        flash("；".join(exc.errors.values()), "danger")
        return redirect(url_for("yearly.campaign_page", year=year, status="center_pending"))
    return _render("bulk_result.html", results=results, year=year, done=sum(r.ok for r in results),
                   failed=sum(not r.ok for r in results))


def _evaluation(evaluation_id: int, values=None, errors=None, status: int = 200):
    view = queries.evaluation_view(db.session, current_user, evaluation_id)
    ctx = form_context(task_form(db.session, view.task), {}, values, errors) if view.task else None
    return _render("evaluation.html", status, view=view, ctx=ctx)


@bp.route("/yearly/evaluations/<int:evaluation_id>", methods=["GET", "POST"])
@login_required
def evaluation(evaluation_id: int):
    """The 评价表 (附件3) with the viewer's open step on it. Its form is submitted to the one task page
    (/tasks/<id>, with lock_version), which returns here; an old POST here is sent on there (308)."""
    view = queries.evaluation_view(db.session, current_user, evaluation_id)
    if request.method == "POST":
        if view.task is None:
            raise Conflict("您在该评价表上没有待办环节")
        return redirect(url_for("tasks.show", task_id=view.task.id), code=308)
    return _evaluation(evaluation_id)


@bp.route("/yearly/evaluations/<int:evaluation_id>/form.docx")
@login_required
def evaluation_docx(evaluation_id: int):
    """The 评价表 as DOCX laid out like 附件3."""
    return _download(*exports.evaluation_docx(db.session, current_user, evaluation_id), DOCX)


def _exit_form(values=None, errors=None, status: int = 200):
    return _render("exit_new.html", status, ctx=form_context(load_form("exit_start"), {}, values, errors))


@bp.route("/yearly/exits/new", methods=["GET", "POST"])
@requires(policy.START_EXIT)
def exit_new():
    """talent_center proposes an exit on one of Art 15's grounds with evidence."""
    if request.method == "GET":
        return _exit_form({"expert_id": request.args.get("expert_id", "")})
    raw, files = read_submission(load_form("exit_start"), request.form, request.files)
    try:
        case = exits.start_exit(db.session, current_user, raw, files, now())
    except ValidationFailed as exc:
        return _exit_form(raw, exc.errors, 422)
    flash("已提出出库，进入人才开发中心审查。", "success")
    return redirect(url_for("yearly.exit_case", case_id=case.id))


@bp.route("/yearly/exits/<int:case_id>")
@login_required
def exit_case(case_id: int):
    """One exit case: expert, ground, evidence, where it stands, the record once exited."""
    return _render("exit_case.html", data=exit_queries.exit_view(db.session, current_user, case_id))


@bp.route("/yearly/renewals/<int:renewal_id>")
@login_required
def renewal_case(renewal_id: int):
    """One renewal case: the old term, the updates, the recheck and the new term."""
    return _render("renewal_case.html", data=renewal_queries.renewal_view(db.session, current_user, renewal_id))


def _my_page(contact_errors=None, declaration_errors=None, withdraw_errors=None, values=None, status: int = 200):
    data = selfservice.my_record(db.session, current_user)
    expert, values = data["expert"], values or {}
    data.update(engagements=assignment_queries.engagements_of(db.session, expert.id),
                evaluations=queries.final_evaluations_of(db.session, expert.id),
                exits=exit_queries.cases_of(db.session, expert.id), renewals=renewal_queries.cases_of(db.session, expert.id),
                open_exit=exits.open_case_of(db.session, expert.id))
    contact = values.get("contact") or {k: getattr(expert, k) or "" for k in selfservice.CONTACT_FIELDS}
    return _render(
        "me.html", status, data=data, today=local_date(now()),
        contact=form_context(load_form("expert_contact"), {}, contact, contact_errors),
        declaration=form_context(load_form("expert_declaration"), {}, values.get("declaration"), declaration_errors),
        withdraw=form_context(load_form("exit_request"), {}, values.get("withdraw"), withdraw_errors))


@bp.route("/yearly/me")
@requires(policy.EXPERT_SELF_SERVICE)
def me():
    """The expert's own record, term, engagements, evaluations, declarations and withdrawal."""
    return _my_page()


def _form_raw(form_key: str) -> dict:
    return read_submission(load_form(form_key), request.form, request.files)[0]


@bp.route("/yearly/me/contact", methods=["POST"])
@requires(policy.EXPERT_SELF_SERVICE)
def me_contact():
    """Update phone, e-mail, unit and position."""
    raw = _form_raw("expert_contact")
    try:
        changed = selfservice.update_contact(db.session, current_user, raw, now())
    except ValidationFailed as exc:
        return _my_page(contact_errors=exc.errors, values={"contact": raw}, status=422)
    flash("联系方式已更新。" if changed else "信息没有变化，未作修改。", "success" if changed else "info")
    return redirect(url_for("yearly.me"))


@bp.route("/yearly/me/declarations", methods=["POST"])
@requires(policy.EXPERT_SELF_SERVICE)
def me_declare():
    """Declare an affiliation, a relative's organisation or another conflict (used by recusal)."""
    raw = _form_raw("expert_declaration")
    try:
        selfservice.add_declaration(db.session, current_user, raw, now())
    except ValidationFailed as exc:
        return _my_page(declaration_errors=exc.errors, values={"declaration": raw}, status=422)
    flash("已登记申报，今后抽取专家时将据此回避。", "success")
    return redirect(url_for("yearly.me") + "#declarations")


@bp.route("/yearly/me/declarations/<int:declaration_id>/end", methods=["POST"])
@requires(policy.EXPERT_SELF_SERVICE)
def me_end_declaration(declaration_id: int):
    """End an ongoing declaration today (kept on record)."""
    selfservice.end_declaration(db.session, current_user, declaration_id, now())
    flash("该申报已结束（记录保留，三年内仍用于回避审查）。", "info")
    return redirect(url_for("yearly.me") + "#declarations")


@bp.route("/yearly/me/withdraw", methods=["POST"])
@requires(policy.EXPERT_SELF_SERVICE)
def me_withdraw():
    """Request withdrawal from the pool (Art 10(4))."""
    raw = _form_raw("exit_request")
    try:
        case = exits.request_withdrawal(db.session, current_user, raw, now())
    except ValidationFailed as exc:
        return _my_page(withdraw_errors=exc.errors, values={"withdraw": raw}, status=422)
    flash("已提交退出申请，人才开发中心受理后按程序办理。", "success")
    return redirect(url_for("yearly.exit_case", case_id=case.id))
