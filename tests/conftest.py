"""Fixtures: one schema per run (via migrations) on SQLite or PostgreSQL (DATABASE_URL); rows wiped per test."""

import os
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from engine.core.db import Base
from engine.core.integrity import check
from engine.core.spiff import spec_cache
from engine.deploy.versions import deploy_shipped
from engine.experts.reference import ensure_reference_data
from tests.support import T0, UserClient, make_user
from webui.app import create_app
from webui.extensions import db

REFERENCE_TABLES = {"role", "unit", "expert_group", "process_version", "alembic_version"}


def _database_url(tmp_path_factory) -> str:
    return os.environ.get("DATABASE_URL") or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


def _drop_everything() -> None:
    Base.metadata.drop_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The Flask app on a fresh schema built by the migrations."""
    application = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}, "FIXED_NOW": T0,
    })
    application.test_client_class = UserClient
    with application.app_context():
        _drop_everything()
        upgrade()
        ensure_reference_data(db.session)
        deploy_shipped(db.session, T0)
        yield application
        db.session.remove()
        if db.engine.dialect.name == "postgresql":  # the SQLite file is temporary anyway
            _drop_everything()


def _wipe(session) -> None:
    session.rollback()
    for table in reversed(Base.metadata.sorted_tables):
        if table.name == "app_user":  # versions deployed by test users go before their deployers
            session.execute(text("DELETE FROM process_version WHERE source != 'shipped'"))
        if table.name not in REFERENCE_TABLES:
            session.execute(table.delete())
    session.commit()


def _assert_invariants(request, session) -> None:
    """The engine's invariants hold after the test (engine.core.integrity), on a fresh spec cache."""
    session.rollback()
    spec_cache.clear()  # check against specs compiled afresh, as a restarted server would load them
    marker = request.node.get_closest_marker("breaks_invariant")
    allowed = set(marker.args) if marker else set()
    problems = [p for p in check(session) if p.code not in allowed]
    session.rollback()
    assert not problems, "integrity invariants broken after the test:\n" + "\n".join(map(str, problems))


@pytest.fixture()
def session(app, request):
    """The app's SQLAlchemy session; after the test the invariants are checked and rows deleted."""
    app.config["FIXED_NOW"] = T0
    yield db.session
    try:
        _assert_invariants(request, db.session)
    finally:
        _wipe(db.session)
        spec_cache.clear()
        db.session.remove()


@pytest.fixture()
def client(app, session):
    """A Flask test client sharing the wiped-per-test database."""
    return app.test_client()


ROLE_USERS = {
    "applicant": ("zhang_applicant", None),
    "talent_center": ("tc_staff", "prov_talent"),
    "quality_division": ("qd_staff", "prov_quality"),
    "bureau_leader": ("leader", "prov_office"),
    "using_unit": ("fz_unit", "fuzhou"),
    "auditor": ("auditor", "prov_office"),
    "process_owner": ("owner", "prov_quality"),
    "admin": ("admin", "prov_office"),
}


@pytest.fixture()
def users(session):
    """One user per main role, keyed by role code."""
    return {role: make_user(session, name, role, unit_code=unit) for role, (name, unit) in ROLE_USERS.items()}


SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def pytest_configure(config):
    config.addinivalue_line("markers", "breaks_invariant(*codes): the test breaks these invariants on purpose")
    config.addinivalue_line("markers", "shared_corpus: reads ../shared (collected only when it exists)")
    config.addinivalue_line("markers", "postgresql_only: needs DATABASE_URL on PostgreSQL (collected only then)")


def _on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    # A clone with nothing beside it runs everything else; CI (.ci/run) always has ../shared.
    if not SHARED.is_dir():
        items[:] = [item for item in items if item.get_closest_marker("shared_corpus") is None]
    # Several server processes on one database: PostgreSQL only. CI's PostgreSQL run (.ci/run) always has it.
    if not _on_postgresql():
        items[:] = [item for item in items if item.get_closest_marker("postgresql_only") is None]


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL") or "sqlite (temporary file)"
    cache = os.environ.get("EXPERTPOOL_SPEC_CACHE", "on")
    shared = "found" if SHARED.is_dir() else "missing: tests marked shared_corpus not collected"
    pg_only = "" if _on_postgresql() else "; tests marked postgresql_only not collected"
    return f"database: {url.split('@')[-1]}; spec cache: {cache}; ../shared: {shared}{pg_only}"


