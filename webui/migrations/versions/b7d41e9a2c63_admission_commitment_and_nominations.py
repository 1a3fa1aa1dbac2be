"""admission: the signed 承诺书 (application.commitment; expert.commitment_signed_at / commitment_scan_id) and
quality_division's leader/deputy proposal (application.position_proposal), carried into the group as a pending
appointment (group_nomination) — issue 11 items 13 and 14

Existing rows stay empty: no earlier admission recorded who signed or kept a proposal.

Revision ID: b7d41e9a2c63
Revises: b7e3f2a1c904
Create Date: 2026-12-02 09:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.core.types  # noqa: F401  (custom column types)

revision = 'b7d41e9a2c63'
down_revision = 'b7e3f2a1c904'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    # Plain ADD / DROP COLUMN, no batch: SQLite would rebuild application and expert, which other tables'
    # foreign keys point to (a downgrade with data then fails); hence no foreign key on commitment_scan_id.
    op.add_column('application', sa.Column('position_proposal', JSON, nullable=True))
    op.add_column('application', sa.Column('commitment', JSON, nullable=True))
    op.add_column('expert', sa.Column('commitment_signed_at', engine.core.types.UTCDateTime(timezone=True),
                                      nullable=True))
    op.add_column('expert', sa.Column('commitment_scan_id', sa.Integer(), nullable=True))
    op.create_table(
        'group_nomination',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.String(length=20), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=True),
        sa.Column('proposed_by', sa.Integer(), nullable=True),
        sa.Column('proposed_at', engine.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('change_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', engine.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['change_id'], ['group_change.id'],
                                name=op.f('fk_group_nomination_change_id_group_change')),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_group_nomination_expert_id_expert')),
        sa.ForeignKeyConstraint(['group_id'], ['expert_group.id'],
                                name=op.f('fk_group_nomination_group_id_expert_group')),
        sa.ForeignKeyConstraint(['proposed_by'], ['app_user.id'],
                                name=op.f('fk_group_nomination_proposed_by_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_nomination')),
    )
    with op.batch_alter_table('group_nomination', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_nomination_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_nomination_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_nomination_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('group_nomination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_nomination_status'))
        batch_op.drop_index(batch_op.f('ix_group_nomination_group_id'))
        batch_op.drop_index(batch_op.f('ix_group_nomination_expert_id'))
    op.drop_table('group_nomination')
    op.drop_column('expert', 'commitment_scan_id')
    op.drop_column('expert', 'commitment_signed_at')
    op.drop_column('application', 'commitment')
    op.drop_column('application', 'position_proposal')
