"""`expertpool scheduler`, `backup`, `restore`: running the one scheduler process and backing up/restoring the
database with the audit files (engine.core.backup)."""

import sys
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.core import backup
from engine.core.errors import ServiceError
from webui.extensions import db


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the timers and scheduled jobs in the foreground (one such process; web with EXPERTPOOL_SCHEDULER=off)."""
    from webui.scheduler import run_foreground

    click.echo("调度进程已启动（定时器与定时任务；SIGTERM 或 Ctrl+C 停止）")
    run_foreground(current_app._get_current_object())


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path: str):
    """Write a backup archive: a consistent copy of the database plus the audit checkpoint log and archives."""
    try:
        manifest = backup.create(db.session, current_app.config["SQLALCHEMY_DATABASE_URI"], path,
                                 datetime.now(UTC))
    except ServiceError as exc:
        _fail(f"备份失败：{exc.message}")
    head = manifest["audit_head"] or {}
    click.echo(f"已备份到 {path}（{manifest['dialect']}，数据库版本 {manifest['alembic_revision']}，"
               f"审计事件至 {head.get('event_id', '-')}，另含 {len(manifest['files'])} 个审计文件）")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="replace a database that is not empty (its whole content is lost)")
@with_appcontext
def restore_command(path: str, force: bool):
    """Restore a backup archive into an empty database (or, with --force, replace the database's content)."""
    try:
        summary = backup.restore(db.session, current_app.config["SQLALCHEMY_DATABASE_URI"], path,
                                 datetime.now(UTC), force=force)
    except ServiceError as exc:
        _fail(f"恢复失败：{exc.message}")
    click.echo(f"已从 {path} 恢复（备份时间 {summary['backup_created_at']}）")
    for kept in summary["set_aside"]:
        click.echo(f"原有文件已另存为 {kept}（未删除）")
    click.echo("下一步：expertpool init-db（升级到本程序的数据库版本），expertpool verify-audit，expertpool doctor")


def register(group) -> None:
    """Add these commands to the `expertpool` group."""
    for command in (scheduler_command, backup_command, restore_command):
        group.add_command(command)
