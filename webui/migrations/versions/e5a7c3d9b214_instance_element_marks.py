"""process_instance.element_marks: the completed / active / waiting elements saved with each step, so the
instance diagram reads a row instead of loading the workflow

Existing instances are filled from their serialized state: a task's spec name is its BPMN id (SpiffWorkflow
3.2.0's serialization; the specs SpiffWorkflow adds itself have no BPMN id, a multi-instance child is named
"<id> [child]"), its state the TaskState bit (WAITING 8, READY 16, STARTED 32, COMPLETED 64) — the same rule as
engine.core.runner.element_marks, written out here because a migration must not change with the code
(tests/core/test_migrations.py holds the two to each other).

Revision ID: e5a7c3d9b214
Revises: a41c9e27d5b3
Create Date: 2026-12-01 04:10:00

"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'e5a7c3d9b214'
down_revision = 'a41c9e27d5b3'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
MARKED = (("active", 16 | 32), ("waiting", 8), ("completed", 64))


ADDED_BY_SPIFF = ("Start", "End")
ADDED_SUFFIXES = (".EndJoin", ".BoundaryEventJoin", ".BoundaryEventSplit")


def _bpmn_id(spec_name: str) -> str | None:
    if spec_name in ADDED_BY_SPIFF or spec_name.endswith(ADDED_SUFFIXES):
        return None
    return spec_name.removesuffix(" [child]")


def _tasks(state: dict):
    yield from (state.get("tasks") or {}).values()
    for sub in (state.get("subprocesses") or {}).values():
        yield from (sub.get("tasks") or {}).values()


def marks_of(serialized: str) -> dict:
    """The marks of one serialized workflow."""
    marks = {name: set() for name, _ in MARKED}
    for task in _tasks(json.loads(serialized or "{}")):
        name = next((n for n, mask in MARKED if task.get("state", 0) & mask), None)
        bpmn_id = _bpmn_id(task.get("task_spec") or "")
        if name and bpmn_id:
            marks[name].add(bpmn_id)
    marks["completed"] -= marks["active"] | marks["waiting"]
    return {name: sorted(ids) for name, ids in marks.items()}


def upgrade():
    op.add_column('process_instance', sa.Column('element_marks', JSON, nullable=True))
    bind = op.get_bind()
    instance = sa.table('process_instance', sa.column('id', sa.Integer), sa.column('serialized', sa.Text),
                        sa.column('element_marks', JSON))
    for row_id, serialized in bind.execute(sa.select(instance.c.id, instance.c.serialized)).all():
        bind.execute(instance.update().where(instance.c.id == row_id).values(element_marks=marks_of(serialized)))


def downgrade():
    # A plain DROP COLUMN (SQLite >= 3.35): a batch copy of process_instance would trip its foreign keys.
    op.drop_column('process_instance', 'element_marks')
