"""inbox search (issue 15): human_task search columns (search text, keyed hash and masked form of the subject
person's ID number, unit name), saved filters per user, private follow-up dates per user and task

Open rows are filled by `expertpool inbox-reindex` (the facts come from the procedures and the ID-number hash
needs the configured key, neither of which a migration should read); rows created afterwards are filled by
the inbox sync. PostgreSQL: a pg_trgm GIN index serves the infix LIKE of the free-text search.

Revision ID: 5594ed103563
Revises: 2ff61069470e
Create Date: 2026-12-01 08:30:00

"""
import sqlalchemy as sa
from alembic import op

from engine.core.types import UTCDateTime

revision = '5594ed103563'
down_revision = '2ff61069470e'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('human_task', sa.Column('search_text', sa.Text(), nullable=True))
    op.add_column('human_task', sa.Column('id_number_hash', sa.String(length=64), nullable=True))
    op.add_column('human_task', sa.Column('id_number_masked', sa.String(length=24), nullable=True))
    op.add_column('human_task', sa.Column('unit_name', sa.String(length=120), nullable=True))
    op.create_index('ix_human_task_id_hash', 'human_task', ['id_number_hash'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index('ix_human_task_search_trgm', 'human_task', ['search_text'], unique=False,
                    postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_table(
        'saved_filter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=30), nullable=False),
        sa.Column('query', sa.String(length=1000), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'name'),
    )
    op.create_index(op.f('ix_saved_filter_user_id'), 'saved_filter', ['user_id'], unique=False)
    op.create_table(
        'task_follow_up',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('follow_up_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'task_id'),
    )
    op.create_index(op.f('ix_task_follow_up_task_id'), 'task_follow_up', ['task_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_task_follow_up_task_id'), table_name='task_follow_up')
    op.drop_table('task_follow_up')
    op.drop_index(op.f('ix_saved_filter_user_id'), table_name='saved_filter')
    op.drop_table('saved_filter')
    op.drop_index('ix_human_task_search_trgm', table_name='human_task')
    op.drop_index('ix_human_task_id_hash', table_name='human_task')
    op.drop_column('human_task', 'unit_name')
    op.drop_column('human_task', 'id_number_masked')
    op.drop_column('human_task', 'id_number_hash')
    op.drop_column('human_task', 'search_text')
