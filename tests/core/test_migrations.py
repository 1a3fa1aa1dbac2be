"""The migrations alone build exactly the models' schema, and data migrations fill what the code would."""

import importlib.util
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.orm import undefer

import webui
from engine.admission import services as admission
from engine.core.db import Base
from engine.core.models import ProcessInstance
from tests.admission.test_admission_paths import approve_to_commitment
from tests.assignment_support import CONFIRM, answer, create, engagements, make_pool
from tests.support import T0, application_form, make_call
from webui.app import create_app
from webui.extensions import db


def test_migrations_build_every_model(tmp_path):
    fresh = create_app({"TESTING": True, "SECRET_KEY": "x",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.sqlite'}"})
    with fresh.app_context():
        upgrade()
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        db.engine.dispose()
    assert differences == []


def _marks_migration():
    path = Path(webui.__file__).parent / "migrations" / "versions" / "e5a7c3d9b214_instance_element_marks.py"
    spec = importlib.util.spec_from_file_location("marks_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_marks_migration_fills_what_the_runner_saves(session, users):
    """Instances stepped through the real flows (a boundary timer waiting, a multi-instance round open): the
    migration's reading of the serialized state gives exactly the marks the runner saved with the step."""
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, make_call(session).id)
    approve_to_commitment(session, users, app.id)
    make_pool(session, 8)
    request = create(session, users["using_unit"])
    answer(session, engagements(session, request.id)[0], CONFIRM)
    migration = _marks_migration()
    instances = session.scalars(select(ProcessInstance).options(undefer(ProcessInstance.serialized))).all()
    assert len(instances) == 2
    for instance in instances:
        assert migration.marks_of(instance.serialized) == instance.element_marks
    by_key = {i.process_key: i.element_marks for i in instances}
    assert "sign_commitment" in by_key["admission_public"]["active"] and by_key["admission_public"]["waiting"]
    assert "confirm_availability" in by_key["assignment"]["active"]
    assert "draw_task" in by_key["assignment"]["completed"]
