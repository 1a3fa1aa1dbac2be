"""`expertpool` commands of the annual evaluation: start a campaign, run a scheduled job at a given time."""

import sys
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from engine.core.errors import ServiceError
from engine.platform import policy
from webui.extensions import db


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _talent_center_user(username: str):
    from sqlalchemy import select

    from engine.platform.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not policy.allows(user, policy.RUN_CAMPAIGN):
        raise click.BadParameter(f"{username} 不是人才开发中心用户", param_hint="--user")
    return user


@click.command("start-evaluation")
@click.option("--year", type=int, required=True, help="the campaign's year")
@click.option("--user", "username", required=True, help="the talent_center user starting it")
@click.option("--now", "now_text", default=None, help="ISO time (default: now)")
@click.option("--reason", default=None, help="why a missed December's campaign is started late (Art 14; audited)")
@with_appcontext
def start_evaluation(year: int, username: str, now_text: str | None, reason: str | None):
    """Start a year's evaluation campaign now, as a talent_center user (like the page's button)."""
    from engine.evaluation.campaign import start_now

    try:
        campaign = start_now(db.session, _talent_center_user(username), year, _parse_now(now_text), reason=reason)
    except ServiceError as exc:
        click.echo(f"未启动：{exc.message}{'；'.join(getattr(exc, 'errors', {}).values())}", err=True)
        sys.exit(1)
    click.echo(f"{campaign.year}年度评价已启动：{campaign.expert_count} 份评价表，截止 {campaign.deadline}")


@click.command("run-job")
@click.argument("name")
@click.option("--now", "now_text", default=None, help="ISO time the job runs at (default: now)")
@with_appcontext
def run_job(name: str, now_text: str | None):
    """Run one registered scheduled job once at --now (jobs are idempotent)."""
    from engine.core.jobs import JOBS

    job = JOBS.get(name)
    if job is None:
        raise click.BadParameter(f"没有名为 {name} 的定时任务（可用：{', '.join(sorted(JOBS))}）", param_hint="NAME")
    result = job.run(db.session, _parse_now(now_text))
    click.echo(f"{name}: {result}")


@click.command("list-jobs")
def list_jobs():
    """List the registered scheduled jobs and their triggers."""
    from engine.core.jobs import JOBS

    for job in sorted(JOBS.values(), key=lambda j: j.id):
        args = " ".join(f"{k}={v}" for k, v in job.trigger_args.items())
        click.echo(f"{job.id:<24} {job.trigger} {args}")


def register(group) -> None:
    """Attach this capability's commands to the CLI group."""
    for command in (start_evaluation, run_job, list_jobs):
        group.add_command(command)
