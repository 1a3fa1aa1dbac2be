"""Placeholder blueprint of the yearly pages (filled in by its issue)."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("yearly", __name__)


@bp.route("/yearly")
@login_required
def index():
    """Not built yet."""
    abort(404)
