"""The migrations alone build exactly the models' schema: nothing missing, nothing extra."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from engine.core.db import Base
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
