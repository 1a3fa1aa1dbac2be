"""评价与出库: the hub (campaigns, open exit and renewal cases; an expert sees their own page) and the
year-end evaluation campaigns (Art 14).

Thin views: parse the request, call one service or query, render or redirect; the services check role, unit and
object and raise the engine errors the app maps to 403/404/409/422 pages.
"""

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from engine.core.clock import local_date
from engine.core.errors import Conflict, ValidationFailed
from engine.core.forms import load_form, task_form
from engine.evaluation import campaign, exports, queries
from engine.evaluation import services as evaluations
from engine.evaluation.models import EVALUATION_STATUSES
from engine.exit import queries as exit_queries
from engine.platform import policy
from engine.renewal import queries as renewal_queries
from rules.evaluation import RATINGS, needs_start_reason, startable_years
from webui.auth import requires
from webui.experts.me import my_page
from webui.extensions import db
from webui.forms_render import form_context
from webui.labels import LABELS
from webui.timeutil import now

bp = Blueprint("evaluation", __name__, template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _render(template: str, status: int = 200, **context):
    return render_template(f"evaluation/{template}", **LABELS, **context), status


def _download(name: str, data: bytes, mimetype: str):
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _overview(start_errors=None, start_values=None, status: int = 200):
    data = queries.overview(db.session, current_user, now())
    if policy.allows(current_user, policy.OVERSEE_YEARLY):
        data.update(exits=exit_queries.open_cases(db.session), renewals=renewal_queries.open_cases(db.session))
    today = local_date(now())
    startable = [y for y in startable_years(today) if y not in {c.year for c, *_ in data["campaigns"]}]
    start = {"years": startable, "reason": bool(startable) and needs_start_reason(startable[0], today),
             "errors": start_errors or {}, "values": start_values or {}}
    return _render("index.html", status, data=data, mine=queries.my_evaluations(db.session, current_user),
                   this_year=today.year, start=start)


@bp.route("/yearly")
@requires(policy.VIEW_YEARLY)
def index():
    """Staff: campaigns, exits, renewals; group leaders: the forms they rate; experts: their own record."""
    if not (policy.allows(current_user, policy.OVERSEE_YEARLY) or policy.allows(current_user, policy.RATE_EVALUATIONS)):
        return my_page()
    return _overview()


@bp.route("/yearly/campaigns", methods=["POST"])
@requires(policy.RUN_CAMPAIGN)
def start_campaign():
    """talent_center: start a year's campaign in December (the 1 December job does it otherwise), or a missed one
    early in the next year with a reason (Art 14)."""
    year, reason = request.form.get("year", type=int) or 0, request.form.get("reason", "")[:2000]
    try:
        started = campaign.start_now(db.session, current_user, year, now(), reason=reason)
    except ValidationFailed as exc:
        return _overview(exc.errors, {"year": year, "reason": reason}, 422)
    flash(f"{started.year}年度评价已启动，共{started.expert_count}名在库专家。", "success")
    return redirect(url_for("evaluation.campaign_page", year=started.year))


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
        return redirect(url_for("evaluation.campaign_page", year=year, status="center_pending"))
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
