"""assignment: a draw's exclusions stored as one row per round (draw_exclusion_round) instead of one row per
excluded expert (draw_exclusion; ~1,400 rows per draw over 10,000 experts) — issue 14

The existing rows move: per (request, round), in their id order (the screening order), each distinct
(code, reason, article) once in `texts` and every exclusion as [expert id, text index] in `rows`; the
downgrade expands them back in the same order. The draw records and their audit anchors are not touched, so
every earlier draw verifies as before.

Revision ID: ac7d90cb7eb7
Revises: 9822be1384a4
Create Date: 2026-12-01 08:00:00

"""
from itertools import groupby

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'ac7d90cb7eb7'
down_revision = '9822be1384a4'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
OLD = sa.table('draw_exclusion', sa.column('id', sa.Integer), sa.column('request_id', sa.Integer),
               sa.column('expert_id', sa.Integer), sa.column('code', sa.String), sa.column('reason', sa.Text),
               sa.column('article', sa.String), sa.column('round', sa.Integer))
NEW = sa.table('draw_exclusion_round', sa.column('request_id', sa.Integer), sa.column('round', sa.Integer),
               sa.column('count', sa.Integer), sa.column('expert_ids', sa.Text), sa.column('items', JSON))


def _pack(rows) -> dict:
    texts, packed = {}, []
    for row in rows:
        packed.append([row.expert_id, texts.setdefault((row.code, row.reason, row.article), len(texts))])
    return {"texts": [list(t) for t in texts], "rows": packed}


def _create_round_table():
    op.create_table(
        'draw_exclusion_round',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expert_ids', sa.Text(), nullable=False),
        sa.Column('items', JSON, nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['work_request.id'],
                                name=op.f('fk_draw_exclusion_round_request_id_work_request')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_exclusion_round')),
        sa.UniqueConstraint('request_id', 'round', name=op.f('uq_draw_exclusion_round_request_id_round')),
    )
    with op.batch_alter_table('draw_exclusion_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_exclusion_round_request_id'), ['request_id'], unique=False)


def upgrade():
    _create_round_table()
    bind = op.get_bind()
    rows = bind.execute(sa.select(OLD).order_by(OLD.c.request_id, OLD.c.round, OLD.c.id))
    for (request_id, round_no), group in groupby(rows, key=lambda r: (r.request_id, r.round)):
        group = list(group)
        bind.execute(NEW.insert().values(
            request_id=request_id, round=round_no, count=len(group), items=_pack(group),
            expert_ids="," + ",".join(str(r.expert_id) for r in group) + ","))
    with op.batch_alter_table('draw_exclusion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_exclusion_request_id'))
        batch_op.drop_index(batch_op.f('ix_draw_exclusion_expert_id'))
    op.drop_table('draw_exclusion')


def downgrade():
    op.create_table(
        'draw_exclusion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('article', sa.String(length=40), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_draw_exclusion_expert_id_expert')),
        sa.ForeignKeyConstraint(['request_id'], ['work_request.id'],
                                name=op.f('fk_draw_exclusion_request_id_work_request')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_exclusion')),
    )
    with op.batch_alter_table('draw_exclusion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_exclusion_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_draw_exclusion_request_id'), ['request_id'], unique=False)
    bind = op.get_bind()
    for request_id, round_no, items in bind.execute(sa.select(NEW.c.request_id, NEW.c.round, NEW.c['items'])
                                                    .order_by(NEW.c.request_id, NEW.c.round)):
        texts = items["texts"]
        expanded = [{"request_id": request_id, "expert_id": expert_id, "code": texts[k][0], "reason": texts[k][1],
                     "article": texts[k][2], "round": round_no} for expert_id, k in items["rows"]]
        if expanded:
            bind.execute(OLD.insert(), expanded)
    with op.batch_alter_table('draw_exclusion_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_exclusion_round_request_id'))
    op.drop_table('draw_exclusion_round')
