"""`expertpool create-user`, `set-password`, `unlock`: account bootstrap and recovery for operators (the first
administrator of a fresh install is created this way)."""

import sys
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from engine.core.errors import ServiceError
from engine.platform import credentials, users
from webui.extensions import db


def _fail(exc: ServiceError) -> None:
    click.echo(exc.message, err=True)
    for field, message in (getattr(exc, "errors", None) or {}).items():
        click.echo(f"  - {field}: {message}", err=True)
    sys.exit(1)


@click.command("create-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option("--role", "roles", multiple=True, help="role code (repeatable), e.g. admin")
@click.option("--unit", "unit_code", default=None, help="unit code, e.g. prov_office")
@click.option("--email", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="prompted when not given (never put it on a shared command line)")
@with_appcontext
def create_user_command(username, display_name, roles, unit_code, email, password):
    """Create an account (e.g. the first administrator: --role admin)."""
    try:
        user = users.create_user(db.session, None, datetime.now(UTC), username=username, display_name=display_name,
                                 password=password, roles=roles, unit_code=unit_code, email=email)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已创建用户 {user.username}（{'、'.join(sorted(user.roles)) or '无角色'}）")


@click.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def set_password_command(username, password):
    """Set a user's password (ends their sessions and tokens, lifts a lock-out)."""
    try:
        ended = credentials.reset_password(db.session, None, users.by_username(db.session, username), password,
                                           datetime.now(UTC))
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已重设 {username} 的密码；{ended} 个登录会话/令牌已失效")


@click.command("unlock")
@click.argument("username")
@with_appcontext
def unlock_command(username):
    """Lift a user's lock-out after failed logins."""
    try:
        credentials.unlock(db.session, None, users.by_username(db.session, username), datetime.now(UTC))
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已解除 {username} 的锁定")


def register(group) -> None:
    """Attach the account commands to the `expertpool` group."""
    for command in (create_user_command, set_password_command, unlock_command):
        group.add_command(command)
