"""incidents: failed automatic steps recorded for process owners and admins (issue 8)

Revision ID: 5b1c0e7a9d21
Revises: 3e25b6879240
Create Date: 2026-12-01 00:10:00

"""
from alembic import op
import sqlalchemy as sa

import engine.core.types  # noqa: F401  (custom column types)

revision = '5b1c0e7a9d21'
down_revision = '3e25b6879240'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'incident',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('process_key', sa.String(length=60), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('element_id', sa.String(length=100), nullable=True),
        sa.Column('element_name', sa.String(length=200), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', engine.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('resolved_at', engine.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('resolved_by', sa.Integer(), nullable=True),
        sa.Column('resolution', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_incident_actor_id_app_user')),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_incident_instance_id_process_instance'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resolved_by'], ['app_user.id'], name=op.f('fk_incident_resolved_by_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_open', ['resolved_at', 'instance_id'], unique=False)


def downgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_open')
    op.drop_table('incident')
