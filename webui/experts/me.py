"""The expert's own page (self-service): record, term, engagements, evaluations, declarations (read by recusal),
contact data and the voluntary withdrawal (Art 10(4)).

Thin views: parse the request, call one service or query, render or redirect."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.assignment import queries as assignment_queries
from engine.core.clock import local_date
from engine.core.errors import ValidationFailed
from engine.core.forms import load_form
from engine.evaluation import queries as evaluation_queries
from engine.exit import queries as exit_queries
from engine.exit import services as exits
from engine.experts import selfservice
from engine.platform import policy
from engine.renewal import queries as renewal_queries
from webui.auth import requires
from webui.extensions import db
from webui.forms_render import form_context, read_submission
from webui.labels import LABELS
from webui.timeutil import now

bp = Blueprint("me", __name__)  # its template lives with the experts area (experts/me.html)


def my_page(contact_errors=None, declaration_errors=None, withdraw_errors=None, values=None, status: int = 200):
    """The expert's page: their roster record plus each procedure's part of it."""
    data = selfservice.my_record(db.session, current_user)
    expert, values = data["expert"], values or {}
    data.update(engagements=assignment_queries.engagements_of(db.session, expert.id),
                evaluations=evaluation_queries.final_evaluations_of(db.session, expert.id),
                exits=exit_queries.cases_of(db.session, expert.id), renewals=renewal_queries.cases_of(db.session, expert.id),
                open_exit=exits.open_case_of(db.session, expert.id))
    contact = values.get("contact") or {k: getattr(expert, k) or "" for k in selfservice.CONTACT_FIELDS}
    return render_template(
        "experts/me.html", data=data, today=local_date(now()),
        contact=form_context(load_form("expert_contact"), {}, contact, contact_errors),
        declaration=form_context(load_form("expert_declaration"), {}, values.get("declaration"), declaration_errors),
        withdraw=form_context(load_form("exit_request"), {}, values.get("withdraw"), withdraw_errors), **LABELS), status


@bp.route("/yearly/me")
@requires(policy.EXPERT_SELF_SERVICE)
def index():
    """The expert's own record, term, engagements, evaluations, declarations and withdrawal."""
    return my_page()


def _form_raw(form_key: str) -> dict:
    return read_submission(load_form(form_key), request.form, request.files)[0]


@bp.route("/yearly/me/contact", methods=["POST"])
@requires(policy.EXPERT_SELF_SERVICE)
def contact():
    """Update phone, e-mail, unit and position."""
    raw = _form_raw("expert_contact")
    try:
        changed = selfservice.update_contact(db.session, current_user, raw, now())
    except ValidationFailed as exc:
        return my_page(contact_errors=exc.errors, values={"contact": raw}, status=422)
    flash("联系方式已更新。" if changed else "信息没有变化，未作修改。", "success" if changed else "info")
    return redirect(url_for("me.index"))


@bp.route("/yearly/me/declarations", methods=["POST"])
@requires(policy.EXPERT_SELF_SERVICE)
def declare():
    """Declare an affiliation, a relative's organisation or another conflict (used by recusal)."""
    raw = _form_raw("expert_declaration")
    try:
        selfservice.add_declaration(db.session, current_user, raw, now())
    except ValidationFailed as exc:
        return my_page(declaration_errors=exc.errors, values={"declaration": raw}, status=422)
    flash("已登记申报，今后抽取专家时将据此回避。", "success")
    return redirect(url_for("me.index") + "#declarations")


@bp.route("/yearly/me/declarations/<int:declaration_id>/end", methods=["POST"])
@requires(policy.EXPERT_SELF_SERVICE)
def end_declaration(declaration_id: int):
    """End an ongoing declaration today (kept on record)."""
    selfservice.end_declaration(db.session, current_user, declaration_id, now())
    flash("该申报已结束（记录保留，三年内仍用于回避审查）。", "info")
    return redirect(url_for("me.index") + "#declarations")


@bp.route("/yearly/me/withdraw", methods=["POST"])
@requires(policy.EXPERT_SELF_SERVICE)
def withdraw():
    """Request withdrawal from the pool (Art 10(4))."""
    raw = _form_raw("exit_request")
    try:
        case = exits.request_withdrawal(db.session, current_user, raw, now())
    except ValidationFailed as exc:
        return my_page(withdraw_errors=exc.errors, values={"withdraw": raw}, status=422)
    flash("已提交退出申请，人才开发中心受理后按程序办理。", "success")
    return redirect(url_for("exit.case", case_id=case.id))
