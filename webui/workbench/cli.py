"""`expertpool` commands of the workbench: validate BPMN files, deploy them as a process owner, dry-run or
migrate running instances, export a version — the same services as the web pages, for operators."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from engine.core.errors import ServiceError
from engine.platform import policy
from engine.platform.attachments import Upload
from webui.extensions import db


def _uploads(paths: tuple[str, ...]) -> list[Upload]:
    return [Upload(filename=Path(p).name, content_type="application/xml", data=Path(p).read_bytes()) for p in paths]


def _owner(username: str):
    from engine.platform.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not policy.allows(user, policy.EDIT_PROCESSES):
        click.echo(f"用户 {username} 不存在或不是流程管理员")
        sys.exit(2)
    return user


def _fail(exc: ServiceError) -> None:
    click.echo(exc.message)
    for message in getattr(exc, "errors", {}).values():
        click.echo(f"  - {message}")
    sys.exit(1)


@click.command("workbench-validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--key", default=None, help="process id to validate (default: the file's executable process)")
@with_appcontext
def validate_command(files, key):
    """Validate a .bpmn (+ .dmn) bundle with every deploy rule; exit 1 listing each reason."""
    from engine.deploy.files import main_process, split_uploads
    from engine.deploy.lint import lint_bundle

    try:
        bpmn, dmn = split_uploads(_uploads(files))
        if bpmn is None:
            raise ServiceError("请给出一个 .bpmn 文件")
        key = key or main_process(bpmn)[0]
    except ServiceError as exc:
        _fail(exc)
    problems = lint_bundle(db.session, key, bpmn, dmn)[1]
    for problem in problems:
        click.echo(f"  - {problem}")
    click.echo(f"{key}: {'校验通过' if not problems else f'{len(problems)} 项不符合'}")
    sys.exit(1 if problems else 0)


@click.command("workbench-deploy")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True, help="the process owner deploying (recorded in the audit log)")
@with_appcontext
def deploy_command(files, username):
    """Import files as a draft and deploy it as a new immutable version (refused with reasons if invalid)."""
    from engine.deploy import drafts

    owner, now = _owner(username), datetime.now(UTC)
    try:
        draft = drafts.create_from_upload(db.session, owner, _uploads(files), now)
        version = drafts.deploy(db.session, owner, draft.id, now, allow_stale=True)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"{version.process_key} 第 {version.version} 版已部署，sha256 {version.sha256}")


@click.command("workbench-migrate")
@click.argument("process_key")
@click.option("--to", "to_version", type=int, required=True, help="target version number")
@click.option("--user", "username", required=True, help="the process owner migrating")
@click.option("--instance", "instance_ids", type=int, multiple=True, help="instance ids (default: all running)")
@click.option("--execute", is_flag=True, help="migrate; without it only a dry run is printed")
@with_appcontext
def migrate_command(process_key, to_version, username, instance_ids, execute):
    """Dry-run (default) or migrate running instances of a process to another version."""
    from engine.core.models import ProcessVersion
    from engine.deploy import migrate

    owner, now = _owner(username), datetime.now(UTC)
    target = db.session.scalar(select(ProcessVersion.id).where(
        ProcessVersion.process_key == process_key, ProcessVersion.version == to_version))
    if target is None:
        click.echo(f"{process_key} 没有第 {to_version} 版")
        sys.exit(2)
    ids = list(instance_ids) or [i.id for i in migrate.running_instances(db.session, owner, process_key)]
    try:
        results = (migrate.migrate if execute else migrate.dry_run)(db.session, owner, ids, target, now)
    except ServiceError as exc:
        _fail(exc)
    for r in results:
        state = "已迁移" if r.done else ("可以迁移" if r.ok else "不能迁移：" + "；".join(r.reasons))
        click.echo(f"#{r.instance_id} v{r.from_version}: {state}")
    sys.exit(0 if all(r.ok for r in results) else 1)


@click.command("workbench-export")
@click.argument("process_key")
@click.option("--version", "number", type=int, default=None, help="version number (default: latest)")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True)
@with_appcontext
def export_command(process_key, number, out_dir):
    """Write a deployed version's .bpmn and .dmn files (to open in bpmn.io or Camunda Modeler)."""
    from sqlalchemy.orm import undefer

    from engine.core.models import ProcessVersion

    query = select(ProcessVersion).where(ProcessVersion.process_key == process_key).options(
        undefer(ProcessVersion.bpmn_xml), undefer(ProcessVersion.dmn_files))
    query = query.where(ProcessVersion.version == number) if number else query.order_by(ProcessVersion.version.desc())
    version = db.session.scalars(query).first()
    if version is None:
        click.echo(f"{process_key} 没有该版本")
        sys.exit(2)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {f"{process_key}.bpmn": version.bpmn_xml, **(version.dmn_files or {})}
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    click.echo(f"第 {version.version} 版：{'、'.join(files)} → {out}")


def register(group) -> None:
    """Attach this capability's commands to the CLI group."""
    for command in (validate_command, deploy_command, migrate_command, export_command):
        group.add_command(command)
