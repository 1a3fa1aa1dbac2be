"""`expertpool` command: init-db, seed-demo, serve, fire-timers, verify-audit (Flask CLI underneath)."""

import sys
from datetime import UTC, datetime

import click
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from webui.app import create_app
from webui.extensions import db


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def prepare_database() -> None:
    """Apply migrations, insert reference data, deploy new shipped process versions."""
    from engine.deploy.versions import deploy_shipped
    from engine.experts.reference import ensure_reference_data

    upgrade()
    ensure_reference_data(db.session)
    deploy_shipped(db.session, datetime.now(UTC))


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True)
def main():
    """福建省产品质量安全监管专家库 management commands."""


@main.command("init-db")
@with_appcontext
def init_db():
    """Create/upgrade the schema, reference data and process versions."""
    prepare_database()
    click.echo("数据库已就绪。")


@main.command("seed-demo")
@click.option("--experts", default=300, show_default=True, help="number of demo experts")
@with_appcontext
def seed_demo(experts: int):
    """Load demo users for every role, the groups, ~300 experts and applications in flight."""
    from demo.seed import seed

    prepare_database()
    from demo.assignment import seed_assignment_demo

    accounts = seed(db.session, datetime.now(UTC), expert_count=experts)
    seed_assignment_demo(db.session, datetime.now(UTC))
    click.echo("演示账号（密码均为 demo1234）：")
    for username, name, roles in accounts:
        click.echo(f"  {username:<16} {name:<10} {roles}")


@main.command("fire-timers")
@click.option("--now", "now_text", default=None, help="ISO time to fire at (default: now)")
@with_appcontext
def fire_timers(now_text: str | None):
    """Step every instance whose timer is due at --now."""
    from engine.core.timers import fire_due

    fired = fire_due(db.session, _parse_now(now_text))
    click.echo(f"fired {fired}")


@main.command("verify-audit")
@click.option("--checkpoints", "checkpoint_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="signed checkpoint log: prove the database still holds exactly the signed prefix")
@click.option("--archive", "archive_files", type=click.Path(exists=True, dir_okay=False), multiple=True,
              help="signed archive of the oldest events (repeatable): verified with the database as one chain")
@click.option("--public-key", "public_key_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Ed25519 public key (PEM; default: the configured key's .pub)")
@with_appcontext
def verify_audit(checkpoint_file: str | None, archive_files: tuple[str, ...], public_key_file: str | None):
    """Recompute the audit hash chain; with --checkpoints / --archive also check the signed files against it."""
    from engine.core.audit import verify_chain

    broken = verify_chain(db.session)
    problems = [f"audit chain broken at event {broken}"] if broken is not None else []
    if checkpoint_file or archive_files:
        problems += _signed_problems(checkpoint_file, archive_files, public_key_file)
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo("audit chain intact" + (" and matches every signed checkpoint" if checkpoint_file else "")
               + (f" across {len(archive_files)} archive(s)" if archive_files else ""))


def _signed_problems(checkpoint_file: str | None, archive_files, public_key_file: str | None) -> list[str]:
    from engine.core import audit_archive, checkpoints
    from engine.core.errors import ServiceError

    try:
        public = (checkpoints.load_public(public_key_file) if public_key_file
                  else checkpoints.configured_public_key())
        if public is None:
            return ["没有公钥：请用 --public-key 指定，或配置 EXPERTPOOL_AUDIT_KEY_FILE"]
        entries = checkpoints.read_log(checkpoint_file) if checkpoint_file else []
        documents = [audit_archive.read(path) for path in archive_files]
    except ServiceError as exc:
        return [exc.message]
    if checkpoint_file and not entries:
        return [f"检查点文件 {checkpoint_file} 中没有检查点"]
    if entries:
        click.echo(f"{len(entries)} signed checkpoint(s), the latest at event {entries[-1]['event_id']}")
    archived = audit_archive.archived_events(documents) if documents else None
    return audit_archive.verify(db.session, documents, public) + checkpoints.verify(
        db.session, entries, public, archived)


@main.command("doctor")
@click.option("--repair", "do_repair", is_flag=True, help="heal repairable instances (idempotent, audited)")
@with_appcontext
def doctor(do_repair: bool):
    """Check the engine's invariants (engine.core.integrity); exit 1 while problems remain."""
    from engine.core.integrity import check

    if do_repair:
        from engine.core.repair import repair

        for line in repair(db.session, None, datetime.now(UTC)):
            click.echo(f"已修复 {line}")
    problems = check(db.session)
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"检查完成：{len(problems)} 个问题")
    sys.exit(1 if problems else 0)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.pass_context
def serve(ctx, host: str, port: int):
    """Run the web server (with the timer scheduler unless EXPERTPOOL_SCHEDULER=off)."""
    app = ctx.obj.load_app()
    with app.app_context():
        prepare_database()
    from webui.scheduler import start_for_web

    start_for_web(app)  # EXPERTPOOL_SCHEDULER=off: the `expertpool scheduler` process fires the timers
    click.echo(f"专家库已启动：http://{host}:{port}/  （Ctrl+C 退出）")
    # app.run() is a no-op under the Flask CLI, so call werkzeug directly.
    run_simple(host, port, app, threaded=True, use_reloader=False)


def _register_capability_commands() -> None:
    from webui import ops_cli
    from webui.assignment import cli as assignment_cli
    from webui.auth import cli as account_cli
    from webui.evaluation import cli as evaluation_cli
    from webui.evidence import cli as evidence_cli
    from webui.tasks import cli as tasks_cli
    from webui.workbench import cli as workbench_cli

    for module in (assignment_cli, evaluation_cli, workbench_cli, account_cli, evidence_cli, ops_cli, tasks_cli):
        module.register(main)


_register_capability_commands()
