"""`expertpool` commands of the assignment capability: verify-draw, export-draw, send-mail."""

import json
import sys
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.core.errors import NotFound
from webui.extensions import db


@click.command("verify-draw")
@click.argument("draw_id", type=int)
@with_appcontext
def verify_draw_command(draw_id: int):
    """Recompute draw record DRAW_ID from its seed and hold it to the audit chain from its first anchor to the
    tail; print match / mismatch (exit 1 on mismatch)."""
    from engine.assignment.verification import verify_draw

    try:
        result = verify_draw(db.session, draw_id, full_chain=True)
    except NotFound as exc:
        click.echo(f"mismatch: {exc.message}")
        sys.exit(1)
    click.echo(f"draw {result['draw_id']} (request {result['request_id']}): {result['candidates']} candidates, "
               f"sha256 {result['candidates_sha256']}, seed {result['seed_hex']}, {result['rounds']} round(s), "
               f"rules {result['rules_version']}")
    coverage = result["checkpoint"]
    if coverage and coverage["covered"]:
        click.echo(f"covered by the signed checkpoint at event {coverage['event_id']} ({coverage['at']})")
    elif coverage and "latest_event_id" in coverage:
        click.echo(f"not yet covered by a signed checkpoint (the latest is at event {coverage['latest_event_id']})")
    if result["match"]:
        click.echo("match")
        return
    click.echo("mismatch")
    for problem in result["problems"]:
        click.echo(f"  - {problem}")
    sys.exit(1)


@click.command("export-draw")
@click.argument("draw_id", type=int)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="write to this file")
@with_appcontext
def export_draw_command(draw_id: int, output: str | None):
    """Export draw record DRAW_ID with its audit anchors as JSON (tools/verify_draw.py checks it)."""
    from engine.assignment.verification import export_draw

    try:
        text = json.dumps(export_draw(db.session, draw_id), ensure_ascii=False, indent=1)
    except NotFound as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        click.echo(f"written {output}")
    else:
        click.echo(text)


@click.command("send-mail")
@with_appcontext
def send_mail_command():
    """Send the queued e-mail now through EXPERTPOOL_SMTP_HOST / _PORT."""
    from engine.platform.notifications import send_outbox, smtp_settings

    host = current_app.config.get("SMTP_HOST")
    if not host:
        click.echo("EXPERTPOOL_SMTP_HOST 未配置，邮件保留在发送队列中。")
        sys.exit(1)
    sent = send_outbox(db.session, host, current_app.config.get("SMTP_PORT", 25), datetime.now(UTC),
                       sender=smtp_settings().sender)
    click.echo(f"sent {sent}")


def register(group) -> None:
    """Attach this capability's commands to the CLI group."""
    group.add_command(verify_draw_command)
    group.add_command(export_draw_command)
    group.add_command(send_mail_command)
