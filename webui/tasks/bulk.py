"""Bulk work in the inbox table (the views in views.py stay thin): the bar's context, reading a bulk POST
(ticked ids or "all matching" the posted filter), and the result page by name with a retry of the failed ones."""

import re
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from engine.core.errors import ValidationFailed
from engine.core.inbox import InboxFilter
from engine.tasks import bulk as bulk_service
from engine.tasks.facts import row_facts
from webui.extensions import db
from webui.security import MAX_ID
from webui.timeutil import now

FILTER_PREFIX = "f_"
ARG_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")  # the inbox filter travels with the bulk form as f_<arg> (the server re-evaluates it)
BULK_VALUES = {"leader_approval": ("decision", "comment"), "record_document": ("doc_no", "doc_date", "comment")}
ENDPOINTS = {"leader_approval": "tasks.bulk_approve", "record_document": "tasks.bulk_document"}
LABELS = {"leader_approval": "批量批准（局领导批准环节）", "record_document": "批量登记发文文号"}
DOM_IDS = {"leader_approval": "bulk-approve", "record_document": "bulk-document"}


@dataclass
class BulkForm:
    """One bulk action offered in the bar: its form key, label, endpoint, decisions and matching count."""

    key: str
    label: str
    endpoint: str
    decisions: list
    matching: int

    @property
    def dom_id(self) -> str:
        """The bar section's element id."""
        return DOM_IDS.get(self.key, f"bulk-{self.key}")


def bar_context(flt: InboxFilter, at, rows, args: dict) -> dict:
    """The bulk bar of the inbox: the actions the user may take, the rows that can be ticked, their facts."""
    keys = bulk_service.bulk_forms(current_user)
    forms = [BulkForm(k, LABELS.get(k, k), ENDPOINTS[k], bulk_service.decision_choices(k),
                      bulk_service.count_matching(db.session, current_user, flt, at, k)) for k in keys if k in ENDPOINTS]
    selectable = [t for t in rows if t.form_key in keys]
    return {"forms": forms, "selectable": {t.id for t in selectable}, "cap": bulk_service.BULK_CAP,
            "facts": row_facts(db.session, current_user, selectable), "filter_args": args, "prefix": FILTER_PREFIX}


def _posted_args() -> list[tuple[str, str]]:
    """The inbox filter's query arguments posted as f_<name> (plain lower-case names; no number beyond an id)."""
    return [(k[len(FILTER_PREFIX):], v) for k, v in request.form.items(multi=True)
            if k.startswith(FILTER_PREFIX) and ARG_NAME.fullmatch(k[len(FILTER_PREFIX):])
            and not (v.strip().lstrip("-").isdigit() and abs(int(v)) > MAX_ID)]


def _posted_filter(parse) -> InboxFilter:
    return parse(MultiDict(_posted_args()))


def _posted_values(form_key: str) -> dict:
    # The bar names its fields <form key>-<field> (one bar may offer several actions); plain names also work.
    return {name: request.form.get(f"{form_key}-{name}", request.form.get(name, "")) for name in BULK_VALUES[form_key]}


def _inbox_url() -> str:
    return url_for("tasks.inbox", **dict(_posted_args()))


def run(form_key: str, title: str, parse, defaults: dict | None = None):
    """Handle a bulk POST: one decision for the ticked tasks or all matching the posted filter; per-item
    results by name (a selection refused as a whole — none ticked, over the cap — changes nothing)."""
    posted = {k: v for k, v in _posted_values(form_key).items() if v != ""}
    values = dict.fromkeys(BULK_VALUES[form_key], "") | (defaults or {}) | posted
    ids = [int(v) for v in request.form.getlist("task_ids") if v.strip().isdigit() and 0 < int(v) <= MAX_ID]
    flt = _posted_filter(parse) if request.form.get("all_matching") == "1" else None
    if flt is None and not ids:
        flash("请至少勾选一项待办。", "warning")
        return redirect(_inbox_url())
    try:
        results = bulk_service.bulk_decide(db.session, current_user, form_key, values, now(), task_ids=ids, flt=flt)
    except ValidationFailed as exc:
        flash(exc.summary(), "warning")
        return redirect(_inbox_url())
    offer = BulkForm(form_key, LABELS[form_key], ENDPOINTS[form_key], bulk_service.decision_choices(form_key), 0)
    return render_template("tasks/bulk_result.html", results=results, title=title, offer=offer,
                           endpoint=ENDPOINTS[form_key], values=values, done=sum(r.ok for r in results),
                           failed=sum(not r.ok for r in results))
