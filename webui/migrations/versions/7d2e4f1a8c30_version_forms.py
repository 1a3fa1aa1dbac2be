"""forms are part of a deployed version: process_version.forms, filled for existing versions

Existing versions get the forms their user tasks name from the shipped forms folder (what they rendered
until now), and their sha256 is recomputed over BPMN + DMN + forms, so that the shipped bundles are
recognised as known and a process owner's workbench version stays the latest.

Revision ID: 7d2e4f1a8c30
Revises: 5b1c0e7a9d21
Create Date: 2026-12-01 00:50:00

"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op
from lxml import etree
from sqlalchemy import Text  # noqa: F401  (used by rendered JSONB types)
from sqlalchemy.dialects import postgresql

from engine.platform.settings import processes_dir

revision = '7d2e4f1a8c30'
down_revision = '5b1c0e7a9d21'
branch_labels = None
depends_on = None

# Shipped forms as they are laid out now (processes/<procedure>/forms/<key>.json); a migration runs with the
# code of its release, so it reads them through the same layout.
FORMS = {path.stem: path for path in processes_dir().glob("*/forms/*.json")}
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _forms(bpmn_xml: str) -> dict:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(bpmn_xml.encode("utf-8"), parser=parser)
    keys = {e.get("value") for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("}property")
            and e.get("name") == "formKey" and e.get("value")}
    return {k: json.loads(FORMS[k].read_text(encoding="utf-8")) for k in sorted(keys) if k in FORMS}


def _sha(bpmn_xml: str, dmn_files: dict, forms: dict) -> str:
    digest = hashlib.sha256(bpmn_xml.encode("utf-8"))
    for name in sorted(dmn_files):
        digest.update(b"\0" + name.encode("utf-8") + b"\0" + dmn_files[name].encode("utf-8"))
    if forms:
        digest.update(b"\0forms\0" + json.dumps(forms, sort_keys=True, ensure_ascii=False,
                                                  separators=(",", ":")).encode("utf-8"))
    return digest.hexdigest()


def upgrade():
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forms', JSON, nullable=True))
    versions = sa.table('process_version', sa.column('id', sa.Integer), sa.column('bpmn_xml', sa.Text),
                        sa.column('dmn_files', JSON), sa.column('forms', JSON), sa.column('sha256', sa.String))
    conn = op.get_bind()
    for row in conn.execute(sa.select(versions.c.id, versions.c.bpmn_xml, versions.c.dmn_files)).all():
        forms = _forms(row.bpmn_xml)
        conn.execute(versions.update().where(versions.c.id == row.id).values(
            forms=forms, sha256=_sha(row.bpmn_xml, row.dmn_files or {}, forms)))


def downgrade():
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_column('forms')
