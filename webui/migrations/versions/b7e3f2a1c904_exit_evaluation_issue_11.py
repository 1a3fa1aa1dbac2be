"""Exit and evaluation (issue 11): proposals attached to an open exit case, the group's paper opinion entered by
talent_center, the reason of a campaign started late

- exit_proposal: a proposal (e.g. a 差 rating) made while the expert's exit case was open, noted on that case;
  `followed_by` is its own case, opened when that case closed without exit;
- expert_evaluation.rater_expert_id: the post-holder (group leader / deputy) whose opinion the group rating is;
  group_paper_entered_by / group_paper_scan_ids: who entered a paper opinion (the post-holder has no account)
  and the scan of the signed paper;
- evaluation_campaign.start_reason: why a campaign was started outside December (audited too).

Revision ID: b7e3f2a1c904
Revises: b8f3d2a6c915
Create Date: 2026-12-02 09:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.core.types

revision = 'b7e3f2a1c904'
down_revision = 'b8f3d2a6c915'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table('exit_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('trigger_key', sa.String(length=60), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=200), nullable=True),
    sa.Column('created_at', engine.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('followed_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['exit_case.id'], name=op.f('fk_exit_proposal_case_id_exit_case')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_exit_proposal_expert_id_expert')),
    sa.ForeignKeyConstraint(['followed_by'], ['exit_case.id'], name=op.f('fk_exit_proposal_followed_by_exit_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exit_proposal')),
    sa.UniqueConstraint('expert_id', 'trigger_key', name=op.f('uq_exit_proposal_expert_id_trigger_key'))
    )
    with op.batch_alter_table('exit_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exit_proposal_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exit_proposal_expert_id'), ['expert_id'], unique=False)

    with op.batch_alter_table('expert_evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rater_expert_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('group_paper_entered_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('group_paper_scan_ids', JSON, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_expert_evaluation_rater_expert_id_expert'), 'expert',
                                    ['rater_expert_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_expert_evaluation_group_paper_entered_by_app_user'), 'app_user',
                                    ['group_paper_entered_by'], ['id'])

    with op.batch_alter_table('evaluation_campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('evaluation_campaign', schema=None) as batch_op:
        batch_op.drop_column('start_reason')
    with op.batch_alter_table('expert_evaluation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_expert_evaluation_group_paper_entered_by_app_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_expert_evaluation_rater_expert_id_expert'), type_='foreignkey')
        batch_op.drop_column('group_paper_scan_ids')
        batch_op.drop_column('group_paper_entered_by')
        batch_op.drop_column('rater_expert_id')
    with op.batch_alter_table('exit_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exit_proposal_expert_id'))
        batch_op.drop_index(batch_op.f('ix_exit_proposal_case_id'))
    op.drop_table('exit_proposal')
