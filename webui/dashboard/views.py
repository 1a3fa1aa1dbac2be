"""统计看板: the talent center's, the quality division's and the leaders' charts with their numbers and an XLSX
of all of them. Thin views: engine.dashboard computes, the page renders, static/dashboard.js draws (ECharts)."""

from io import BytesIO

from flask import Blueprint, render_template, send_file

from engine.dashboard.figures import report
from engine.dashboard.xlsx import workbook_bytes
from engine.platform import policy
from webui.auth import requires
from webui.extensions import db
from webui.timeutil import local, now

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
@requires(policy.VIEW_DASHBOARD)
def index():
    """Every figure as a chart with its table beside it."""
    at = now()
    figures, ending = report(db.session, at)
    return render_template("dashboard/index.html", figures=figures, at=at, chart_data=[f.as_json() for f in figures],
                           ending=ending)


@bp.get("/dashboard.xlsx")
@requires(policy.VIEW_DASHBOARD)
def export_xlsx():
    """The same numbers as one workbook (a sheet per figure, and the experts whose terms end soon)."""
    at = now()
    figures, ending = report(db.session, at)
    data = workbook_bytes(figures, local(at), ending)
    response = send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, max_age=0,
                         download_name=f"统计看板-{local(at)[:10]}.xlsx")
    response.headers["Cache-Control"] = "private, no-store"
    return response
