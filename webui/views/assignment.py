"""Placeholder blueprint of the assignment pages (filled in by its issue)."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("assignment", __name__)


@bp.route("/assignment")
@login_required
def index():
    """Not built yet."""
    abort(404)
