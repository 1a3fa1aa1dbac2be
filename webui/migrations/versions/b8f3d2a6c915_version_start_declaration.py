"""process_version.start_declaration: the roles that may start a process by hand (and its start form), declared
on the start event of a process the product does not ship and resolved at deploy (issue 11 item 20)

Existing versions get none: the shipped processes are started by their procedures' own pages, and no process
deployed from the workbench before could declare its starters (none could be started).

Revision ID: b8f3d2a6c915
Revises: b7e4c2a91f03
Create Date: 2026-12-02 09:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'b8f3d2a6c915'
down_revision = 'b7e4c2a91f03'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.add_column('process_version', sa.Column('start_declaration', JSON, nullable=True))


def downgrade():
    # A plain DROP COLUMN (SQLite >= 3.35): a batch copy of process_version would trip its foreign keys.
    op.drop_column('process_version', 'start_declaration')
