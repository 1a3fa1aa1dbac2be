"""JSON API /api/v1 (DESIGN §6): token login, my tasks, claim/complete, start, instances, experts.

Views are thin: parse the request, call one service, jsonify. Errors are ServiceErrors, answered as
`{"error": {"status", "message", "fields"?}}` by the handler in webui/blueprints.py.
"""

from flask import Blueprint, jsonify, request

from engine.admission import calls
from engine.admission import queries as admission_queries
from engine.admission import services as admission
from engine.admission import uploads as attachment_service
from engine.core import inbox_filters
from engine.core.errors import Forbidden, ServiceError, ValidationFailed
from engine.core.registry import latest_version
from engine.experts import queries as experts
from engine.platform import accounts, policy
from engine.platform.attachments import Upload
from engine.tasks import instances, starts, task_view, timeline
from engine.tasks import services as tasks
from engine.tasks import views as api_queries
from webui.api.auth import (
    add_auth_challenge,
    api_requires,
    api_user,
    authenticate_request,
    json_body,
    kept_after_commit,
)
from webui.api.openapi import build_openapi
from webui.api.params import body_text, page_args
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)
bp.after_request(add_auth_challenge)


# --- request parsing -------------------------------------------------------------------------------

def _body_int(body: dict, name: str) -> int | None:
    """An optional integer member of the JSON body; 422 when present with another type."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed({name: f"{name} 应为整数"})
    return value


def _body_object(body: dict, name: str) -> dict:
    """A required object member of the JSON body; 400 when missing or not an object."""
    value = body.get(name)
    if not isinstance(value, dict):
        raise ServiceError(f"请求体的 {name} 必须是 JSON 对象")
    return value


# --- authentication and the document ---------------------------------------------------------------

@bp.post("/auth/token")
def issue_token():
    """Exchange username and password for a bearer token (5 failures lock the account)."""
    body = json_body()
    username, password = body_text(body, "username"), body_text(body, "password")
    user = accounts.authenticate(db.session, username, password, now())
    token, expires = accounts.issue_token(db.session, user, now())
    return jsonify(token=token, token_type="Bearer", expires_at=expires.isoformat(),
                   user={"id": user.id, "username": user.username, "display_name": user.display_name,
                         "roles": sorted(user.roles)})


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(build_openapi(request.host_url.rstrip("/") + bp.url_prefix))


# --- tasks -----------------------------------------------------------------------------------------

@bp.get("/tasks")
def list_tasks():
    """My open tasks (searched with q=, filtered, sorted, paged as the inbox page) plus inbox counts."""
    parsed, user, at = inbox_filters.parse(request.args, strict=True), api_user(), now()
    page, per_page = parsed.page, parsed.per_page
    rows, total, counts = api_queries.inbox_page(db.session, user, parsed.flt, at, page, per_page)
    follow_ups = inbox_filters.follow_ups(db.session, user, [t.id for t in rows])
    items = [api_queries.task_dict(t, at) | {"follow_up_on": api_queries.iso(follow_ups.get(t.id))} for t in rows]
    return jsonify(items=items, total=total, page=page, per_page=per_page, counts=api_queries.counts_dict(counts))


@bp.get("/tasks/<int:task_id>")
def show_task(task_id: int):
    """One task as its page shows it: form, what it is about (context) and the earlier steps the caller may see."""
    at = now()
    return jsonify(task_view.view_json(task_view.task_view(db.session, task_id, api_user(), at, "接口：任务详情"), at))


@bp.post("/tasks/<int:task_id>/claim")
def claim_task(task_id: int):
    """Claim an open task."""
    task = tasks.claim(db.session, task_id, api_user(), now())
    return jsonify(task=api_queries.task_dict(task, now()))


@bp.post("/tasks/<int:task_id>/unclaim")
def unclaim_task(task_id: int):
    """Release my claim on a task."""
    task = tasks.unclaim(db.session, task_id, api_user(), now())
    return jsonify(task=api_queries.task_dict(task, now()))


@bp.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int):
    """Complete a task with form values (file fields take attachment ids) and an optional lock_version."""
    body = json_body()
    data, expected_lock = _body_object(body, "data"), _body_int(body, "lock_version")
    with kept_after_commit():
        task = tasks.complete(db.session, task_id, api_user(), data, {}, now(), expected_lock)
    instance = task.instance
    return jsonify(task=api_queries.task_dict(task, now()),
                   instance={"id": instance.id, "status": instance.status, "lock_version": instance.lock_version,
                             "end_event": instance.end_event})


# --- starting processes ----------------------------------------------------------------------------

def _start_public(user, body: dict):
    """admission_public: a 推荐表 in an open call (paper: entered by talent_center)."""
    return admission.submit_public(db.session, user, _body_object(body, "form"), {}, now(),
                                   _body_int(body, "call_id"), paper=body.get("paper") is True)


def _start_invited(user, body: dict):
    """admission_invited: a nomination with its reason."""
    return admission.nominate(db.session, user, _body_object(body, "form"), {}, now(),
                              body_text(body, "reason"))


STARTERS = {"admission_public": _start_public, "admission_invited": _start_invited}


@bp.get("/processes")
def list_processes():
    """The processes I may start here: the admission ones my roles allow, and those whose start event declares
    one of my roles (with their start form)."""
    user = api_user()
    items = [{"process_key": key, "name": latest_version(db.session, key).name, "start_roles": None, "form": None}
             for key in STARTERS if policy.allows(user, policy.START_PROCESS[key])]
    items += [{"process_key": o.process_key, "name": o.name, "version": o.version, "start_roles": list(o.role_names),
               "form": o.form} for o in starts.startable(db.session, user)]
    return jsonify(items=items)


def _created(payload: dict, instance_id: int):
    response = jsonify(**payload)
    response.status_code = 201
    response.headers["Location"] = f"{bp.url_prefix}/instances/{instance_id}"
    return response


def _start_declared(process_key: str):
    """A process whose owner declared its starters: its start form under `form` (404/403/422 otherwise)."""
    body = json_body()
    form = body.get("form", {})
    if not isinstance(form, dict):
        raise ServiceError("请求体的 form 必须是 JSON 对象")
    instance = starts.start(db.session, api_user(), process_key, form, {}, now())
    return _created({"instance_id": instance.id, "status": instance.status, "process_key": process_key,
                     "version": instance.version.version}, instance.id)


@bp.post("/processes/<process_key>/instances")
def start_instance(process_key: str):
    """Start a process: admission (its own body) or one whose start event declares my role; 201 with the ids."""
    starter = STARTERS.get(process_key)
    if starter is None:
        return _start_declared(process_key)
    if not policy.allows(api_user(), policy.START_PROCESS[process_key]):
        raise Forbidden("您无权发起该流程")
    app = starter(api_user(), json_body())
    return _created({"application_id": app.id, "instance_id": app.instance_id, "status": app.status,
                     "process_key": process_key}, app.instance_id)


@bp.get("/instances/<int:instance_id>")
def show_instance(instance_id: int):
    """An instance with its version, tasks and event history."""
    user = api_user()
    instance = instances.get_instance(db.session, user, instance_id)
    events = instances.instance_events(db.session, instance.id)
    shown = timeline.viewed_event_data(db.session, user, instance, events, now())  # PII masked per role
    body = api_queries.instance_dict(instance, instances.instance_tasks(db.session, instance.id), events, now())
    for item, (before, after) in zip(body["events"], shown, strict=True):
        item.update(data_before=before, data_after=after)
    return jsonify(body)


# --- experts and applications ----------------------------------------------------------------------

@bp.get("/experts")
@api_requires(policy.VIEW_EXPERTS)
def list_experts():
    """Search the pool (PII masked by the service for roles that may not see it)."""
    page, per_page = page_args()
    search = experts.ExpertSearch(q=request.args.get("q", ""), group=request.args.get("group", ""),
                                  specialty=request.args.get("specialty", ""),
                                  status=request.args.get("status", ""), page=page, per_page=per_page)
    user = api_user()
    rows, total = experts.search_experts(db.session, user, search)
    return jsonify(items=experts.shown_experts(db.session, user, rows, "接口：专家列表", now()), total=total,
                   page=page, per_page=per_page)


@bp.get("/experts/<int:expert_id>")
def show_expert(expert_id: int):
    """One expert (staff roles, or the expert themself)."""
    user = api_user()
    expert = experts.get_expert(db.session, user, expert_id)
    return jsonify(experts.shown_experts(db.session, user, [expert], "接口：专家详情", now())[0])


@bp.post("/attachments")
def upload_attachment():
    """Upload one file (multipart field `file`); reference its id in a form's file field afterwards."""
    user = api_user()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise ValidationFailed({"file": "请选择要上传的文件"})
    upload = Upload(sent.filename, sent.mimetype or "", sent.read())
    row = attachment_service.upload(db.session, user, upload, now())
    return jsonify(id=row.id, filename=row.filename, size=row.size, sha256=row.sha256,
                   content_type=row.content_type), 201


@bp.get("/applications/mine")
def my_applications():
    """My applications (own, or entered by me) with their current steps."""
    user = api_user()
    return jsonify(items=[admission_queries.application_dict(db.session, user, app) | {"current_steps": steps}
                          for app, steps in calls.my_applications(db.session, user)])
