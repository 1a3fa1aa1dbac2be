"""`expertpool inbox-reindex`: fill the inbox rows' search columns from the procedures' facts — the backfill
after the upgrade that added them (migration 5594ed103563), and the refill after the search key changed."""

import click
from flask.cli import with_appcontext

from engine.core import inbox_index
from engine.core.uow import unit_of_work
from webui.extensions import db


@click.command("inbox-reindex")
@click.option("--missing-only", is_flag=True, help="only rows not indexed yet")
@with_appcontext
def inbox_reindex_command(missing_only: bool):
    """Refill the search columns (search text, ID-number hash and mask, unit) of every open inbox row."""
    with unit_of_work(db.session):
        count = inbox_index.reindex(db.session, only_missing=missing_only)
    click.echo(f"已重建 {count} 条待办的检索信息")


def register(group) -> None:
    """Attach the inbox commands to the `expertpool` group."""
    group.add_command(inbox_reindex_command)
