"""流程管理 (process owners' workbench): versions, drafts in bpmn-js/dmn-js, validation, diff, deploy,
migration and the heat view; 专家组调整 (Art 9 group changes). Views stay thin: parse, one service, render."""

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from engine.core.errors import ValidationFailed
from engine.deploy import catalog, drafts, migrate, pages
from engine.deploy.models import DRAFT_STATUSES
from engine.groups.models import CHANGE_KINDS, CHANGE_STATUSES, POSITIONS
from engine.platform import policy
from webui.auth import requires
from webui.extensions import db
from webui.forms_render import to_upload
from webui.timeutil import now

bp = Blueprint("workbench", __name__, template_folder="templates", url_prefix="/workbench")


@bp.app_context_processor
def _labels():
    return {"DRAFT_STATUSES": DRAFT_STATUSES, "CHANGE_KINDS": CHANGE_KINDS, "CHANGE_STATUSES": CHANGE_STATUSES,
            "POSITIONS": POSITIONS}


@bp.route("")
@requires(policy.OPEN_WORKBENCH)
def index():
    """Processes with their versions (number, hash, who, when, instances running on it) and drafts."""
    if not policy.allows(current_user, policy.VIEW_PROCESSES):
        return redirect(url_for("groups.index"))
    return render_template("workbench/index.html", entries=catalog.catalog(db.session, current_user))


@bp.route("/processes/<key>")
@requires(policy.VIEW_PROCESSES)
def process(key: str):
    """One process: versions, drafts and a heat view of open tasks per element (SQL counts)."""
    page = pages.process_page(db.session, current_user, key, request.args.get("version", type=int))
    return render_template("workbench/process.html", page=page, entry=page.entry)


@bp.route("/<any(versions, drafts):source>/<int:item_id>/files/<name>")
@requires(policy.VIEW_PROCESSES)
def download(source: str, item_id: int, name: str):
    """Download a version's or draft's BPMN (process.bpmn) or one of its DMN files."""
    if source == "versions":
        item = drafts.get_version(db.session, current_user, item_id)
    else:
        item = drafts.get_draft(db.session, current_user, item_id)
    text = item.bpmn_xml if name.endswith(".bpmn") else (item.dmn_files or {}).get(name)
    if text is None:
        return render_template("error.html", status=404, title="文件不存在", message=name), 404
    filename = f"{item.process_key}.bpmn" if name.endswith(".bpmn") else name
    return send_file(BytesIO(text.encode("utf-8")), mimetype="application/xml", as_attachment=True,
                     download_name=filename)


@bp.route("/versions/<int:version_id>/draft", methods=["POST"])
@requires(policy.EDIT_PROCESSES)
def new_draft(version_id: int):
    """Open a deployed version as a new draft in the editor."""
    draft = drafts.create_from_version(db.session, current_user, version_id, now())
    return redirect(url_for("workbench.editor", draft_id=draft.id))


def _uploads():
    return [to_upload(f) for f in request.files.getlist("files") if f and f.filename]


@bp.route("/upload", methods=["POST"])
@requires(policy.EDIT_PROCESSES)
def upload():
    """A new draft from .bpmn (+ .dmn) files made in bpmn.io, Camunda Modeler or this editor."""
    try:
        draft = drafts.create_from_upload(db.session, current_user, _uploads(), now())
    except ValidationFailed as exc:
        return render_template("workbench/index.html", entries=catalog.catalog(db.session, current_user),
                               errors=exc.errors), 422
    flash(f"已导入为草稿：{draft.name}（{draft.process_key}）", "success")
    return redirect(url_for("workbench.editor", draft_id=draft.id))


@bp.route("/drafts/<int:draft_id>")
@requires(policy.EDIT_PROCESSES)
def editor(draft_id: int):
    """The bpmn-js modeler with properties panel, and dmn-js for the draft's decision tables."""
    return _editor(draft_id)


def _editor(draft_id: int, refused: list[tuple[str, str]] | None = None, status: int = 200):
    draft = drafts.get_draft(db.session, current_user, draft_id)
    return render_template("workbench/editor.html", draft=draft, options=catalog.editor_options(),
                           select=request.args.get("select", ""), refused=refused), status


def _reasons(exc: ValidationFailed) -> list[tuple[str, str]]:
    """(element id, reason) of each problem (ValidationFailed keys are "NNN:element id", see problems.as_errors)."""
    reasons = []
    for key, message in exc.errors.items():
        element_id = key.partition(":")[2]
        prefix = f"[{element_id}] "
        reasons.append((element_id, message.removeprefix(prefix) if element_id else message))
    return reasons


def _back(draft_id: int, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("workbench.editor", draft_id=draft_id))


def _refused(draft_id: int, exc: ValidationFailed):
    return _back(draft_id, f"{exc.message}：{'；'.join(exc.errors.values())}", "danger")


@bp.route("/drafts/<int:draft_id>/save", methods=["POST"])
@requires(policy.EDIT_PROCESSES)
def save(draft_id: int):
    """Save the modeler's XML into the draft (CSRF form post from the editor page)."""
    lock = request.form.get("lock_version", type=int)
    try:
        drafts.save(db.session, current_user, draft_id, request.form.get("bpmn_xml", ""), now(), lock)
    except ValidationFailed as exc:
        return _refused(draft_id, exc)
    return _back(draft_id, "草稿已保存。")


@bp.route("/drafts/<int:draft_id>/dmn", methods=["POST"])
@requires(policy.EDIT_PROCESSES)
def save_dmn(draft_id: int):
    """Save one DMN file edited in dmn-js, or remove it."""
    name = request.form.get("name", "")
    try:
        if request.form.get("action") == "remove":
            drafts.remove_dmn(db.session, current_user, draft_id, name, now())
        else:
            drafts.save_dmn(db.session, current_user, draft_id, name, request.form.get("dmn_xml", ""), now())
    except ValidationFailed as exc:
        return _refused(draft_id, exc)
    return _back(draft_id, f"决策表文件 {name} 已{'移除' if request.form.get('action') == 'remove' else '保存'}。")


@bp.route("/drafts/<int:draft_id>/upload", methods=["POST"])
@requires(policy.EDIT_PROCESSES)
def upload_into(draft_id: int):
    """Replace the draft's BPMN and/or add DMN files from uploaded files."""
    try:
        drafts.upload_into(db.session, current_user, draft_id, _uploads(), now())
    except ValidationFailed as exc:
        return _refused(draft_id, exc)
    return _back(draft_id, "文件已导入草稿。")


@bp.route("/drafts/<int:draft_id>/check")
@requires(policy.EDIT_PROCESSES)
def check(draft_id: int):
    """Every reason the draft would not deploy (Chinese, with element ids); changes nothing."""
    draft = drafts.get_draft(db.session, current_user, draft_id)
    return render_template("workbench/check.html", draft=draft,
                           problems=drafts.problems(db.session, current_user, draft_id))


@bp.route("/drafts/<int:draft_id>/diff")
@requires(policy.EDIT_PROCESSES)
def diff(draft_id: int):
    """Side by side: the draft against the version it is based on (or another deployed version)."""
    page = pages.diff_page(db.session, current_user, draft_id, request.args.get("version", type=int))
    return render_template("workbench/diff.html", draft=page.draft, base=page.base, result=page.result,
                           entry=page.entry)


@bp.route("/drafts/<int:draft_id>/deploy", methods=["POST"])
@requires(policy.EDIT_PROCESSES)
def deploy(draft_id: int):
    """Deploy the draft as a new immutable version (refused: the draft page again, 422, every reason listed)."""
    try:
        version = drafts.deploy(db.session, current_user, draft_id, now(), request.form.get("allow_stale") == "1")
    except ValidationFailed as exc:  # back on the draft page, every reason listed; the draft is unchanged
        return _editor(draft_id, _reasons(exc), status=422)
    flash(f"已部署为第 {version.version} 版（sha256 {version.sha256[:12]}）；新发起的流程将使用该版本，"
          "进行中的流程仍按原版本运行。", "success")
    return redirect(url_for("workbench.process", key=version.process_key))


@bp.route("/drafts/<int:draft_id>/abandon", methods=["POST"])
@requires(policy.EDIT_PROCESSES)
def abandon(draft_id: int):
    """Abandon a draft (kept on record)."""
    draft = drafts.abandon(db.session, current_user, draft_id, now())
    flash("草稿已放弃。", "info")
    return redirect(url_for("workbench.process", key=draft.process_key))


@bp.route("/processes/<key>/migrate", methods=["GET", "POST"])
@requires(policy.EDIT_PROCESSES)
def migration(key: str):
    """Dry run first, then migrate the selected running instances to a chosen version."""
    results, target = None, request.form.get("target", type=int)
    if request.method == "POST":
        ids = [int(i) for i in request.form.getlist("instance_ids") if i.isdigit()]
        action = migrate.migrate if request.form.get("action") == "migrate" else migrate.dry_run
        try:
            results = action(db.session, current_user, ids, target or 0, now())
        except ValidationFailed as exc:
            flash("；".join(exc.errors.values()), "danger")
    page = pages.migration_page(db.session, current_user, key)
    return render_template("workbench/migrate.html", entry=page.entry, instances=page.instances, target=target,
                           results=results, executed=request.form.get("action") == "migrate")
