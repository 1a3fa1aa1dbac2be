"""Renewals (Art 8): one renewal case page (the process itself runs from the inbox)."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from engine.renewal import queries as renewal_queries
from webui.extensions import db
from webui.labels import LABELS
from webui.timeutil import now

bp = Blueprint("renewal", __name__, template_folder="templates")


@bp.route("/yearly/renewals/<int:renewal_id>", endpoint="case")
@login_required
def renewal_case(renewal_id: int):
    """One renewal case: the old term, the updates, the recheck and the new term."""
    return render_template("renewal/case.html", data=renewal_queries.renewal_view(db.session, current_user, renewal_id,
                                                                                   now()),
                           **LABELS)
