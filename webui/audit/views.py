"""审计检索 (auditors, talent_center): search audit events and instances, export exactly the rows found.
Thin views: parse the filters, call engine.tasks.search / search_instances, render or send the file."""

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from engine.core.errors import ValidationFailed
from engine.core.models import ProcessVersion
from engine.core.status import InstanceStatus
from engine.core.uow import unit_of_work
from engine.platform import admin, policy
from engine.tasks import search, search_instances, tabular
from webui.auth import requires
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")
VIEWS = {"events": "按事件", "instances": "按流程实例"}
# view → (page search, export rows, export cells, export header)
SEARCHES = {"events": (search.search, search.export_rows, search.table, search.COLUMNS),
            "instances": (search_instances.search_instances, search_instances.export_rows, search_instances.table,
                          search_instances.COLUMNS)}


def _choices() -> dict:
    keys = db.session.execute(select(ProcessVersion.process_key, ProcessVersion.name)
                              .order_by(ProcessVersion.process_key, ProcessVersion.version.desc())).all()
    return {"processes": dict(reversed(keys)), "units": admin.units(db.session), "views": VIEWS,
            "outcomes": InstanceStatus.labels(), "sorts": {"at": "时间", "actor": "操作人", "action": "操作",
                                                          "process": "流程"},
            "page_sizes": [(str(n), f"{n} 条") for n in search.PAGE_SIZES]}


def _view() -> str:
    view = request.args.get("view", "events")
    if view not in VIEWS:
        raise ValidationFailed({"view": "未知的检索方式"})
    return view


@bp.get("/events")
@requires(policy.SEARCH_AUDIT)
def events():
    """Search events by expert, unit, process and version, actor, step, action, dates, outcome and free text."""
    args = {k: v for k, v in request.args.items() if k != "page"}
    view = args.get("view", "events")
    try:
        view = _view()
        criteria = search.parse(request.args)
        found = SEARCHES[view][0](db.session, current_user, criteria)
    except ValidationFailed as exc:
        return render_template("audit/events.html", errors=exc.errors, found=None, args=args, view=view,
                               **_choices()), 422
    return render_template("audit/events.html", errors={}, found=found, args=args, view=view, **_choices())


@bp.get("/events/export.<fmt>")
@requires(policy.SEARCH_AUDIT)
def export(fmt: str):
    """The rows the same search finds, all pages, as CSV or XLSX; the export is an audit event."""
    if fmt not in tabular.FORMATS:
        raise ValidationFailed({"format": "仅支持导出 CSV 或 XLSX"})
    view = _view()
    criteria = search.parse(request.args)
    _, export_rows, cells, header = SEARCHES[view]
    with unit_of_work(db.session):
        rows = export_rows(db.session, current_user, criteria, now(), fmt)
    return _download(tabular.render(fmt, header, cells(rows), "审计检索"), fmt, f"audit-{view}")


def _download(body: bytes, fmt: str, name: str) -> Response:
    mimetype, ext = tabular.FORMATS[fmt]
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}-{now():%Y%m%d%H%M%S}.{ext}"'})
