"""专家库: searchable expert list and expert detail, personal data masked per role (DESIGN §3)."""

from io import BytesIO

from flask import Blueprint, Response, render_template, request, send_file
from flask_login import current_user, login_required

from engine.core.errors import ValidationFailed
from engine.core.models import ProcessInstance
from engine.core.uow import unit_of_work
from engine.evaluation.queries import can_view_evaluation, final_evaluations_of
from engine.experts import history as history_service
from engine.experts import queries as expert_service
from engine.experts import roster_export
from engine.experts.models import EXPERT_STATUSES
from engine.platform import policy, privacy
from engine.tasks import instances as instance_service
from engine.tasks import tabular
from engine.tasks.services import dynamic_choices
from webui.auth import requires
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("experts", __name__, template_folder="templates")
PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _search_from_args(args) -> expert_service.ExpertSearch:
    status = args.get("status", "")
    return expert_service.ExpertSearch(
        q=args.get("q", "").strip()[:60], group=args.get("group", "").strip()[:40],
        specialty=args.get("specialty", "").strip()[:60], status=status if status in EXPERT_STATUSES else "",
        page=max(1, args.get("page", 1, type=int) or 1), per_page=PER_PAGE)


@bp.route("/experts")
@requires(policy.VIEW_EXPERTS)
def index():
    """Search experts by name/unit, group, specialty and status; 50 per page."""
    search = _search_from_args(request.args)
    rows, total = expert_service.search_experts(db.session, current_user, search)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "experts/index.html", search=search, total=total, pages=pages, args=args,
        experts=expert_service.shown_experts(db.session, current_user, rows, "专家库列表", now()),
        groups=dynamic_choices(db.session)["groups"], statuses=EXPERT_STATUSES)


@bp.get("/experts/export.<fmt>")
@requires(policy.VIEW_EXPERTS)
def export(fmt: str):
    """The experts the same search finds (all pages), masked as the list shows them, as CSV or XLSX (入库名单)."""
    if fmt not in tabular.FORMATS:
        raise ValidationFailed({"format": "仅支持导出 CSV 或 XLSX"})
    search = _search_from_args(request.args)
    with unit_of_work(db.session):
        header, rows = roster_export.export_rows(db.session, current_user, search, now(), fmt)
    mimetype, ext = tabular.FORMATS[fmt]
    name = f"experts-{now():%Y%m%d%H%M%S}.{ext}"
    return Response(tabular.render(fmt, header, rows, "专家名单"), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/experts/<int:expert_id>")
@login_required
def detail(expert_id: int):
    """One expert (staff, or the expert themself), PII masked unless the viewer may see it."""
    expert = expert_service.get_expert(db.session, current_user, expert_id)
    shown = expert_service.shown_experts(db.session, current_user, [expert], "专家详情", now())[0]
    evaluations = [(ev, year) for ev, year in final_evaluations_of(db.session, expert.id)
                   if can_view_evaluation(db.session, current_user, ev)]  # the 评价表 (附件3) DOCX links
    return render_template("experts/detail.html", expert=shown, own=expert.user_id == current_user.id,
                           evaluations=evaluations)


@bp.route("/experts/pii-views")
@requires(policy.VIEW_PII_LOG)
def pii_views():
    """The auditor's list of unmasked views of personal data: who saw whose data, where, when."""
    return render_template("experts/pii_views.html", events=privacy.pii_views(db.session),
                           field_names=privacy.FIELD_NAMES)


@bp.route("/experts/<int:expert_id>/history")
@login_required
def history(expert_id: int):
    """The expert's whole history on one printable page (oversight roles, or the expert themself)."""
    expert, items = history_service.expert_history(db.session, current_user, expert_id)
    linked = {i.instance_id for i in items if i.instance_id}  # a case's history links only where it may be opened
    linked = {i for i in linked if instance_service.can_view_instance(
        db.session, current_user, db.session.get(ProcessInstance, i))}
    return render_template("experts/history.html", expert=expert, items=items, linked=linked,
                           sections=history_service.SECTIONS)


@bp.route("/experts/<int:expert_id>/history.xlsx")
@login_required
def history_xlsx(expert_id: int):
    """The same history as an XLSX workbook."""
    data, name = history_service.history_xlsx(db.session, current_user, expert_id)
    response = send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
