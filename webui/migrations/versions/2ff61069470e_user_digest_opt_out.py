"""app_user.digest_opt_out: a reviewer may turn off the daily 待办日报 e-mail on 我的账号 (issue 15)

Existing accounts keep receiving it (false).

Revision ID: 2ff61069470e
Revises: b7d41e9a2c63
Create Date: 2026-12-01 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '2ff61069470e'
down_revision = 'b7d41e9a2c63'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD / DROP COLUMN, no batch: SQLite would rebuild app_user, which most tables point to.
    op.add_column('app_user', sa.Column('digest_opt_out', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('app_user', 'digest_opt_out')
