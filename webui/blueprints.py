"""Blueprint registration, vendor static files from npm, template helpers, error pages."""

import logging
from pathlib import Path

from flask import Flask, abort, jsonify, render_template, request, send_from_directory
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape

from engine.admission.models import APPLICATION_STATUSES
from engine.core.errors import ServiceError
from engine.core.models import INSTANCE_STATUSES, TASK_STATES
from engine.experts.models import EXPERT_STATUSES
from webui.forms_render import form_rows
from webui.logs import current_request_id
from webui.timeutil import local, now

log = logging.getLogger(__name__)

NODE_MODULES = Path(__file__).resolve().parent / "frontend" / "node_modules"
# Our own esbuild bundle (.ci/setup), never committed. Named directly rather than as node_modules/../build:
# when node_modules is a symlink (a shared install), ".." would leave this checkout.
BUILD_DIR = Path(__file__).resolve().parent / "frontend" / "build"
# Only these package folders are served (never the whole node_modules tree).
VENDOR_PATHS = {"bootstrap": "bootstrap/dist", "bpmn-js": "bpmn-js/dist", "dmn-js": "dmn-js/dist",
                "properties-panel": "@bpmn-io/properties-panel/dist/assets",
                "workbench": BUILD_DIR,
                "echarts": "echarts/dist"}
ERROR_TITLES = {400: "请求有误", 401: "请先登录", 403: "无权访问", 404: "页面不存在", 405: "不支持该请求方式",
                409: "操作冲突", 413: "上传文件过大", 422: "提交内容有误", 429: "请求过于频繁", 500: "系统错误"}
CSRF_MESSAGE = "表单已过期或缺少安全令牌，请刷新页面后重新提交。"


def _vendor(package: str, filename: str):
    root = VENDOR_PATHS.get(package)
    if root is None:
        abort(404)
    base = root if isinstance(root, Path) else NODE_MODULES / root
    return send_from_directory(base, filename, max_age=86400)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_page(status: int, message: str | None = None, errors: dict | None = None):
    request_id = current_request_id() if status >= 500 else None
    if _wants_json():
        body = {"error": {"status": status, "message": message or ERROR_TITLES.get(status, "错误")}}
        if errors:
            body["error"]["fields"] = errors
        if request_id:
            body["error"]["request_id"] = request_id
        return jsonify(body), status
    return render_template("error.html", status=status, title=ERROR_TITLES.get(status, "错误"),
                           message=message, errors=errors, request_id=request_id), status


def _own_description(exc) -> str | None:
    """The message our code gave `abort(…, message)`; Werkzeug's stock English text is never shown."""
    description = getattr(exc, "description", None)
    if description is None or description == getattr(type(exc), "description", None):
        return None
    return description


def _server_error(exc):
    # Flask has logged the traceback (with the request id) before calling this handler.
    return _error_page(500, "系统内部错误，已记录日志。请将下方的请求编号告知系统管理员。")


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if exc.status >= 500:
            log.error("%s (%s)", exc.message, exc.code, exc_info=exc)
        return _error_page(exc.status, exc.message, getattr(exc, "errors", None))

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return _error_page(400, CSRF_MESSAGE)

    for status in (400, 401, 403, 404, 405, 409, 413, 429):
        app.register_error_handler(status, lambda exc, s=status: _error_page(s, _own_description(exc)))
    app.register_error_handler(500, _server_error)


def _chinese_redirects(app: Flask) -> None:
    """A redirect's body (seen by clients that do not follow it) in Chinese, not Werkzeug's "Redirecting..."."""
    plain = app.redirect

    def redirect(location: str, code: int = 302):
        response = plain(location, code)
        target = escape(response.headers.get("Location", ""))
        response.set_data(f'<!doctype html>\n<html lang="zh-CN"><title>正在跳转</title>'
                          f'<p>正在跳转到 <a href="{target}">{target}</a>。</p></html>\n')
        return response

    app.redirect = redirect


def _unread_notifications() -> int:
    from engine.platform.notifications import unread_count
    from webui.extensions import db

    return unread_count(db.session, current_user.id) if current_user.is_authenticated else 0


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["local"] = local
    app.jinja_env.globals.update(
        APPLICATION_STATUSES=APPLICATION_STATUSES, EXPERT_STATUSES=EXPERT_STATUSES,
        INSTANCE_STATUSES=INSTANCE_STATUSES, TASK_STATES=TASK_STATES, now=now, current_user=current_user,
        unread_notifications=_unread_notifications, form_rows=form_rows,
    )


def _ui_blueprints():
    """One blueprint per area (webui/<area>/views.py, its templates beside it)."""
    from webui.admin import views as admin
    from webui.admission import views as admission
    from webui.assignment import views as assignment
    from webui.audit import views as audit_views
    from webui.auth import account, register
    from webui.dashboard import views as dashboard
    from webui.evaluation import views as evaluation
    from webui.evidence import views as evidence
    from webui.exit import views as exit_views
    from webui.experts import me
    from webui.experts import views as experts
    from webui.groups import views as groups
    from webui.incidents import views as incidents
    from webui.instances import views as instances
    from webui.notifications import views as notifications
    from webui.renewal import views as renewal
    from webui.tasks import inbox as tasks_inbox
    from webui.tasks import views as tasks
    from webui.workbench import views as workbench

    return [tasks.bp, admission.bp, experts.bp, me.bp, instances.bp, assignment.bp, evaluation.bp, exit_views.bp,
            renewal.bp, workbench.bp, groups.bp, incidents.bp, account.bp, admin.bp, register.bp,
            audit_views.bp, dashboard.bp, evidence.bp, notifications.bp, tasks_inbox.bp]


def _api_blueprints():
    """The JSON API (token auth, CSRF-exempt)."""
    from webui.api import assignment, views
    from webui.api import bulk as bulk_api
    from webui.api import inbox as api_inbox
    from webui.api import notifications as api_notifications
    from webui.audit import api as audit_api

    return [views.bp, assignment.bp, audit_api.bp, bulk_api.bp, api_inbox.bp, api_notifications.bp]


def register(app: Flask) -> None:
    """Attach every blueprint and helper to the app."""
    from webui import auth

    app.add_url_rule("/vendor/<package>/<path:filename>", "vendor", _vendor)
    app.register_blueprint(auth.bp)
    for bp in _ui_blueprints():
        app.register_blueprint(bp)
    from webui.extensions import csrf

    for bp in _api_blueprints():
        csrf.exempt(bp)  # the API authenticates with bearer tokens, not cookies
        app.register_blueprint(bp)
    from webui.mail import send_after_commit

    app.after_request(send_after_commit)  # mail queued by any committed POST goes out right away
    _register_errors(app)
    _chinese_redirects(app)
    _register_template_helpers(app)
