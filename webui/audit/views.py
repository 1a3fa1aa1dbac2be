"""审计检索 (auditors, talent_center): search audit events and instances, export exactly the rows found.
Thin views: parse the filters, call engine.tasks.search, render or send the file."""

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from engine.core.errors import ValidationFailed
from engine.core.models import ProcessVersion
from engine.core.status import InstanceStatus
from engine.core.uow import unit_of_work
from engine.platform import admin, policy
from engine.tasks import search, tabular
from webui.auth import requires
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")


def _choices() -> dict:
    keys = db.session.execute(select(ProcessVersion.process_key, ProcessVersion.name)
                              .order_by(ProcessVersion.process_key, ProcessVersion.version.desc())).all()
    return {"processes": dict(reversed(keys)), "units": admin.units(db.session),
            "outcomes": InstanceStatus.labels(),
            "page_sizes": [(str(n), f"{n} 条") for n in search.PAGE_SIZES], "sorts": {"at": "时间", "actor": "操作人", "action": "操作",
                                                          "process": "流程"}}


@bp.get("/events")
@requires(policy.SEARCH_AUDIT)
def events():
    """Search events by expert, unit, process and version, actor, step, action, dates, outcome and free text."""
    args = {k: v for k, v in request.args.items() if k != "page"}
    try:
        criteria = search.parse(request.args)
        found = search.search(db.session, current_user, criteria)
    except ValidationFailed as exc:
        return render_template("audit/events.html", errors=exc.errors, found=None, args=args,
                               **_choices()), 422
    return render_template("audit/events.html", errors={}, found=found, args=args, criteria=criteria,
                           **_choices())


@bp.get("/events/export.<fmt>")
@requires(policy.SEARCH_AUDIT)
def export(fmt: str):
    """The rows the same search finds, all pages, as CSV or XLSX; the export is an audit event."""
    if fmt not in tabular.FORMATS:
        raise ValidationFailed({"format": "仅支持导出 CSV 或 XLSX"})
    criteria = search.parse(request.args)
    with unit_of_work(db.session):
        rows = search.export_rows(db.session, current_user, criteria, now(), fmt)
    body = tabular.render(fmt, search.COLUMNS, search.table(rows), "审计检索")
    return _download(body, fmt, "audit-events")


def _download(body: bytes, fmt: str, name: str) -> Response:
    mimetype, ext = tabular.FORMATS[fmt]
    stamp = now().strftime("%Y%m%d%H%M%S")
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.{ext}"'})
