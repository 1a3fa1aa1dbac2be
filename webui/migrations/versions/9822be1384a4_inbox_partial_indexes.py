"""Inbox read path (issue 14): partial indexes on the open tasks for the inbox's index range scans
(engine.core.inbox.visibility_branches), in created order and covering the header counts and bulk lists;
ix_human_task_inbox, which no plan chose, is dropped.

Revision ID: 9822be1384a4
Revises: 5594ed103563
"""

import sqlalchemy as sa
from alembic import op

revision = "9822be1384a4"
down_revision = "5594ed103563"
branch_labels = None
depends_on = None

OPEN_TASKS = sa.text("state = 'open'")
COVERED = ["process_key", "bpmn_id", "process_name", "name", "due_at", "form_key", "state"]  # counts, bulk lists


def upgrade():
    """Create the two partial indexes, drop the unused one."""
    op.create_index("ix_human_task_open_assignee", "human_task", ["assignee_id", "created_at", "id", *COVERED],
                    unique=False, sqlite_where=OPEN_TASKS, postgresql_where=OPEN_TASKS)
    op.create_index("ix_human_task_open_lane", "human_task",
                    ["lane_role", "assignee_id", "created_at", "id", "unit_id", *COVERED],
                    unique=False, sqlite_where=OPEN_TASKS, postgresql_where=OPEN_TASKS)
    op.drop_index("ix_human_task_inbox", table_name="human_task")


def downgrade():
    """Back to the full-table inbox index."""
    op.create_index("ix_human_task_inbox", "human_task", ["state", "lane_role", "created_at"], unique=False)
    op.drop_index("ix_human_task_open_lane", table_name="human_task")
    op.drop_index("ix_human_task_open_assignee", table_name="human_task")
