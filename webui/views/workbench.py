"""Placeholder blueprint of the workbench pages (filled in by its issue)."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("workbench", __name__)


@bp.route("/workbench")
@login_required
def index():
    """Not built yet."""
    abort(404)
