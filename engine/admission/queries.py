"""Read-only queries of admission (no Flask): applications, attachments, what an admission task is about."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import defer

from engine.admission.models import Application, PublicCall
from engine.admission.services import application_for_instance
from engine.admission.status import ApplicationStatus
from engine.core.contributions import Contributions
from engine.core.errors import Forbidden, NotFound
from engine.core.forms import load_form
from engine.core.models import HumanTask
from engine.platform import policy
from engine.platform.models import Attachment
from engine.platform.privacy import has_pii, mask_fields, record_view, sees_pii
from engine.tasks.services import task_history
from engine.tasks.views import iso
from rules import identity

exports = Contributions()  # installed by engine.bootstrap


def file_ids(form_values: dict | None) -> list[int]:
    """Attachment ids referenced by the file fields of an application's form values."""
    if not form_values:
        return []
    fields = load_form("application")["fields"]
    ids = []
    for f in fields:
        if f["type"] == "file":
            ids += [int(i) for i in (form_values.get(f["name"]) or []) if str(i).isdigit()]
    return ids


def application_attachments(session, app: Application | None) -> list[Attachment]:
    """Attachments of an application (linked rows or referenced by its form), without their bytes."""
    if app is None:
        return []
    query = select(Attachment).options(defer(Attachment.data)).where(
        or_(Attachment.application_id == app.id, Attachment.id.in_(file_ids(app.form))))
    return list(session.scalars(query.order_by(Attachment.id)))


def _is_owner(viewer, app: Application) -> bool:
    return viewer.id in (app.applicant_user_id, app.entered_by)


def get_application(session, viewer, application_id: int) -> Application:
    """An application the viewer may read: its applicant, whoever entered it, or staff (else 403)."""
    app = session.get(Application, application_id)
    if app is None:
        raise NotFound("申请不存在")
    if not (_is_owner(viewer, app) or policy.allows(viewer, policy.VIEW_APPLICATIONS)):
        raise Forbidden("您无权查看该申请")
    return app


def visible_form(session, viewer, app: Application) -> dict:
    """The application's 推荐表 values; phone, ID number and e-mail masked unless the viewer may see PII."""
    form = dict(app.form or {})
    if _is_owner(viewer, app) or sees_pii(session, viewer):
        return form
    return mask_fields(form)


def shown_form(session, viewer, app: Application, page: str, now) -> dict:
    """visible_form for a page; when it shows someone else's personal data unmasked, one audit event."""
    form = visible_form(session, viewer, app)
    if not _is_owner(viewer, app) and sees_pii(session, viewer):
        record_view(session, viewer, now, page, [("application", app.id, app.name)], has_pii(form))
    return form


@dataclass(frozen=True)
class FileInfo:
    """An attachment as pages and the API show it (no bytes)."""

    id: int
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


def correction_note(session, task: HumanTask, viewer) -> dict | None:
    """For the applicant's correction task (form "application"): the latest review that returned the 推荐表 — the
    step, who, when and the reviewer's comment (the 补正说明)."""
    if task.form_key != "application":
        return None
    for event in reversed(task_history(session, task.instance_id, viewer)):
        values = (event.data_after or {}).get(event.bpmn_id)
        if isinstance(values, dict) and values.get("decision") == "return":
            return {"step": event.task_name, "by": event.actor_name, "at": event.at,
                    "comment": values.get("comment") or ""}
    return None


@exports.task_context("admission_public")
@exports.task_context("admission_invited")
def application_task_context(session, task: HumanTask, viewer) -> dict:
    """An admission task is about its application: the 推荐表 (masked per viewer; an unmasked view of someone else's
    data disclosed to the task view, which records it), its files and, on the correction task, the 补正说明 and
    the values to start from."""
    app = application_for_instance(session, task.instance_id)
    if app is None:
        return {}
    form = visible_form(session, viewer, app)
    files = [FileInfo(a.id, a.filename, a.content_type, a.size, a.uploaded_at)
             for a in application_attachments(session, app)]
    context = {"application": application_dict(session, viewer, app, form), "attachments": files,
               "correction": correction_note(session, task, viewer)}
    if not _is_owner(viewer, app) and sees_pii(session, viewer):  # the task view records it (hooks.TASK_CONTEXT)
        context["disclosed"] = {"subjects": [("application", app.id, app.name)], "fields": has_pii(form)}
    if task.form_key == "application":  # the correction starts from the current 推荐表
        context["prefill"] = {**form, "response": ""}
    return context


@exports.row_fact("admission_public")
@exports.row_fact("admission_invited")
def application_row_facts(session, task_rows, viewer) -> dict[int, dict]:
    """The applicant's name, work unit and eligibility report per inbox row (one query for a page of rows; no PII)."""
    by_instance: dict[int, list[int]] = {}
    for task in task_rows:
        by_instance.setdefault(task.instance_id, []).append(task.id)
    rows = session.execute(select(Application.instance_id, Application.name, Application.eligibility,
                                  Application.form).where(Application.instance_id.in_(by_instance))) if by_instance else []
    return {task_id: {"person": name, "eligibility": report, "unit": (form or {}).get("unit_name")}
            for instance_id, name, report, form in rows for task_id in by_instance[instance_id]}


def call_titles(session, call_ids) -> dict[int, str]:
    """Titles of public calls by id."""
    ids = [i for i in set(call_ids) if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(PublicCall.id, PublicCall.title).where(PublicCall.id.in_(ids))).all())


def admission_exemptions(session, application_ids) -> dict[int, tuple]:
    """{application id: the Art 6(三) age exemptions claimed in it}, accepted by the reviewers who admitted it."""
    if not application_ids:
        return {}
    rows = session.execute(select(Application.id, Application.form).where(Application.id.in_(set(application_ids))))
    return {app_id: tuple((form or {}).get("age_exemptions") or ()) for app_id, form in rows}


def application_dict(session, viewer, app: Application, form: dict | None = None) -> dict:
    """JSON-safe view of an application; phone, ID number and e-mail masked unless the viewer may see them
    (`form`: the 推荐表 as already shown to this viewer)."""
    form = visible_form(session, viewer, app) if form is None else form
    return {
        "id": app.id, "route": app.route, "call_id": app.call_id, "paper": app.paper, "name": app.name,
        "groups": list(app.groups or []), "status": app.status,
        "status_label": ApplicationStatus.labels().get(app.status), "status_stage": app.status_stage, "nomination_reason": app.nomination_reason,
        "eligibility": app.eligibility, "instance_id": app.instance_id, "expert_id": app.expert_id,
        "created_at": iso(app.created_at), "updated_at": iso(app.updated_at), "form": form,
    }


@exports.instance_viewer("admission_public")
@exports.instance_viewer("admission_invited")
def applicant_sees_own(session, viewer, instance) -> bool:
    """An applicant may follow the process of their own application."""
    return session.scalar(select(Application.id).where(
        Application.instance_id == instance.id, Application.applicant_user_id == viewer.id).limit(1)) is not None


def registered_values(user) -> dict:
    """The 推荐表 fields an applicant already gave at registration (name, ID number, birth date, phone, e-mail)."""
    values = {"name": user.display_name, "phone": user.phone or "", "email": user.email or ""}
    if getattr(user, "id_number", None):
        born = identity.embedded_birth_date(user.id_number)
        values |= {"id_number": user.id_number, "birth_date": born.isoformat() if born else ""}
    return values
