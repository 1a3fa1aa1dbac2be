"""human_task.item_id: the business id of the multi-instance item a task is about, so no read loads a workflow

A user task names the task-data variable holding its item in the `itemKey` property (the assignment
process: the engagement an expert confirms, an approval or a usage record is about); the inbox sync copies
it onto the row. Stored versions of the assignment process get the same properties the shipped file now
has (only the inbox index reads them; the sha256 is recomputed as in 7d2e4f1a8c30, so the shipped file is
recognised and not deployed again), so instances running on them index their next tasks too; the open
rows are filled from the serialized task data.

Revision ID: a41c9e27d5b3
Revises: 7d2e4f1a8c30
Create Date: 2026-12-01 01:30:00

"""
import hashlib
import json
import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'a41c9e27d5b3'
down_revision = '7d2e4f1a8c30'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
ITEM_KEYS = {"assignment": {"confirm_availability": "engagement_id", "record_usage": "usage_item",
                            "division_approve_cancellation": "delegated_cancel_item",
                            "leader_approve_cancellation": "cancel_item"}}
FORM_KEY = re.compile(r'\n([ \t]*)<(\w+:)?property name="formKey" value="[^"]*"\s*/>')


def _with_item_keys(bpmn_xml: str, items: dict[str, str]) -> str:
    """The document with an itemKey property after the formKey of each named user task lacking one."""
    for task_id, variable in items.items():
        start = re.search(rf'<(\w+:)?userTask id="{task_id}"', bpmn_xml)
        end = bpmn_xml.find("userTask>", start.end()) if start else -1
        found = FORM_KEY.search(bpmn_xml, start.end(), end) if end > 0 else None
        if found is None or 'name="itemKey"' in bpmn_xml[start.end():end]:
            continue
        prefix = found.group(2) or ""
        line = f'\n{found.group(1)}<{prefix}property name="itemKey" value="{variable}"/>'
        bpmn_xml = bpmn_xml[:found.end()] + line + bpmn_xml[found.end():]
    return bpmn_xml


def _sha(bpmn_xml: str, dmn_files: dict, forms: dict) -> str:
    digest = hashlib.sha256(bpmn_xml.encode("utf-8"))
    for name in sorted(dmn_files):
        digest.update(b"\0" + name.encode("utf-8") + b"\0" + dmn_files[name].encode("utf-8"))
    if forms:
        digest.update(b"\0forms\0" + json.dumps(forms, sort_keys=True, ensure_ascii=False,
                                                  separators=(",", ":")).encode("utf-8"))
    return digest.hexdigest()


def _task_value(serialized: str, guid: str, variable: str):
    """One variable of one task's data in a serialized workflow (top level or a subprocess), read as
    SpiffWorkflow 3.2.0 restores it: a task stores its changes against its parent (`delta`), a task without
    a parent in its workflow its whole data."""
    workflow = json.loads(serialized or "{}")
    for tasks in [workflow.get("tasks", {})] + [s.get("tasks", {}) for s in workflow.get("subprocesses", {}).values()]:
        task = tasks.get(guid)
        while task is not None:
            delta, parent = task.get("delta"), tasks.get(task.get("parent") or "")
            if not delta or parent is None:
                return (task.get("data") or {}).get(variable)
            if variable in delta.get("updates", {}):
                return delta["updates"][variable]
            if variable in delta.get("deletions", []):
                return None
            task = parent
    return None


def _declare_item_keys(conn) -> None:
    versions = sa.table('process_version', sa.column('id', sa.Integer), sa.column('process_key', sa.String),
                        sa.column('bpmn_xml', sa.Text), sa.column('dmn_files', JSON), sa.column('forms', JSON),
                        sa.column('sha256', sa.String))
    for row in conn.execute(sa.select(versions).where(versions.c.process_key.in_(ITEM_KEYS))).all():
        xml = _with_item_keys(row.bpmn_xml, ITEM_KEYS[row.process_key])
        if xml != row.bpmn_xml:
            conn.execute(versions.update().where(versions.c.id == row.id).values(
                bpmn_xml=xml, sha256=_sha(xml, row.dmn_files or {}, row.forms or {})))


def _fill_open_rows(conn) -> None:
    tasks = sa.table('human_task', sa.column('id', sa.Integer), sa.column('instance_id', sa.Integer),
                     sa.column('task_guid', sa.String), sa.column('bpmn_id', sa.String),
                     sa.column('process_key', sa.String), sa.column('state', sa.String),
                     sa.column('item_id', sa.Integer))
    instances = sa.table('process_instance', sa.column('id', sa.Integer), sa.column('serialized', sa.Text))
    for key, items in ITEM_KEYS.items():
        rows = conn.execute(sa.select(tasks.c.id, tasks.c.task_guid, tasks.c.bpmn_id, instances.c.serialized)
                            .join(instances, instances.c.id == tasks.c.instance_id)
                            .where(tasks.c.state == "open", tasks.c.process_key == key,
                                   tasks.c.bpmn_id.in_(items))).all()
        for row in rows:
            value = _task_value(row.serialized, row.task_guid, items[row.bpmn_id])
            if value not in (None, ""):
                conn.execute(tasks.update().where(tasks.c.id == row.id).values(item_id=int(value)))


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_id', sa.Integer(), nullable=True))
    conn = op.get_bind()
    _declare_item_keys(conn)
    _fill_open_rows(conn)


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('item_id')
