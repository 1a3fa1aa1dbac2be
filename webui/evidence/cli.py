"""`expertpool audit-keygen`, `checkpoint`, `archive-audit`: the signing key, signed checkpoints and archives of the audit chain, kept
outside the database (engine.core.checkpoints). `verify-audit --checkpoints` lives in webui/cli.py."""

import sys
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.core import checkpoints
from engine.core.errors import ServiceError
from webui.extensions import db


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("audit-keygen")
@click.option("--key-file", default=None, help="private key path (default: EXPERTPOOL_AUDIT_KEY_FILE)")
@with_appcontext
def audit_keygen_command(key_file: str | None):
    """Generate the Ed25519 checkpoint signing key (never stored in the database) and its .pub file."""
    key_file = key_file or current_app.config["AUDIT_KEY_FILE"]
    if not key_file:
        _fail("请用 --key-file 或环境变量 EXPERTPOOL_AUDIT_KEY_FILE 指定私钥文件路径")
    try:
        public_hex = checkpoints.generate_key(key_file)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"已生成签名私钥 {key_file}（请妥善保管，勿放入数据库或备份到同一位置）")
    click.echo(f"公钥 {checkpoints.public_key_path(key_file)}：{public_hex}")


@click.command("checkpoint")
@click.option("--key-file", default=None, help="private key path (default: EXPERTPOOL_AUDIT_KEY_FILE)")
@click.option("--log-file", default=None, help="checkpoint log (default: EXPERTPOOL_CHECKPOINT_FILE / instance)")
@with_appcontext
def checkpoint_command(key_file: str | None, log_file: str | None):
    """Sign the audit chain head now and append it to the checkpoint log."""
    key_file = key_file or current_app.config["AUDIT_KEY_FILE"]
    log_file = log_file or current_app.config["AUDIT_CHECKPOINT_FILE"]
    if not key_file:
        _fail("未配置签名私钥：请先运行 expertpool audit-keygen 并设置 EXPERTPOOL_AUDIT_KEY_FILE")
    try:
        entry = checkpoints.checkpoint(db.session, datetime.now(UTC), key_file, log_file)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"已签署检查点：第 {entry['event_id']} 号事件，共 {entry['count']} 个事件，哈希 {entry['hash']}"
               f"（写入 {log_file}）")


@click.command("archive-audit")
@click.option("--older-than-days", "days", type=click.IntRange(min=1), default=None,
              help="archive events older than this (default: EXPERTPOOL_AUDIT_RETENTION_DAYS)")
@click.option("--out", "out_file", default=None, help="archive file (default: beside the checkpoint log)")
@click.option("--key-file", default=None, help="private key path (default: EXPERTPOOL_AUDIT_KEY_FILE)")
@with_appcontext
def archive_audit_command(days: int | None, out_file: str | None, key_file: str | None):
    """Move the events older than the retention to a signed archive file (the chain stays verifiable with it)."""
    from engine.core import audit_archive

    days = days or int(current_app.config["AUDIT_RETENTION_DAYS"] or 0)
    key_file = key_file or current_app.config["AUDIT_KEY_FILE"]
    if not days or not key_file:
        _fail("请指定 --older-than-days（或 EXPERTPOOL_AUDIT_RETENTION_DAYS）和签名私钥（--key-file）")
    now = datetime.now(UTC)
    try:
        mark = audit_archive.archive(db.session, None, now, now - timedelta(days=days), key_file,
                                     out_file or audit_archive.default_file(now))
    except ServiceError as exc:
        db.session.rollback()
        _fail(exc.message)
    click.echo(f"已归档 {mark['count']} 个事件（至第 {mark['last_id']} 号）到 {out_file or mark['file']}，"
               f"sha256 {mark['file_sha256']}")


def register(group) -> None:
    """Attach the evidence commands to the `expertpool` group."""
    for command in (audit_keygen_command, checkpoint_command, archive_audit_command):
        group.add_command(command)
