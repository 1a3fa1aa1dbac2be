"""专家库: searchable expert list and expert detail, personal data masked per role (DESIGN §3)."""

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from engine.core.errors import ValidationFailed
from engine.core.uow import unit_of_work
from engine.evaluation.queries import can_view_evaluation, final_evaluations_of
from engine.experts import queries as expert_service
from engine.experts import roster_export
from engine.experts.models import EXPERT_STATUSES
from engine.platform import policy
from engine.tasks import tabular
from engine.tasks.services import dynamic_choices
from webui.auth import requires
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("experts", __name__, template_folder="templates")
PER_PAGE = 50


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
        experts=[expert_service.expert_public_dict(db.session, current_user, e) for e in rows],
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
    evaluations = [(ev, year) for ev, year in final_evaluations_of(db.session, expert.id)
                   if can_view_evaluation(db.session, current_user, ev)]  # the 评价表 (附件3) DOCX links
    return render_template("experts/detail.html", evaluations=evaluations,
                           expert=expert_service.expert_public_dict(db.session, current_user, expert))
