"""Shared test helpers: fixed times, valid form data, user factory, login."""

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.admission.models import PublicCall
from engine.platform.models import Unit, User, UserRole
from engine.platform.passwords import hash_password

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 2026-03-02 09:00 Asia/Shanghai
PASSWORD = "test-pass-123"
_HASH = hash_password(PASSWORD)  # scrypt is slow on purpose; hash once per test run


def make_user(session, username: str, *roles: str, unit_code: str | None = None, name: str | None = None) -> User:
    """Create and flush a user with roles (and a unit by code)."""
    unit = session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
    user = User(username=username, password_hash=_HASH, display_name=name or username,
                email=f"{username}@example.test", unit_id=unit.id if unit else None)
    user.role_links = [UserRole(role_code=r) for r in roles]
    session.add(user)
    session.commit()
    return user


def make_call(session, opens: datetime = T0 - timedelta(days=10), closes: datetime = T0 + timedelta(days=30),
              title: str = "2026年度专家征集") -> PublicCall:
    """A public call open around T0."""
    call = PublicCall(title=title, description="", opens_at=opens, closes_at=closes, created_at=opens)
    session.add(call)
    session.commit()
    return call


def application_form(**overrides) -> dict:
    """A valid 推荐表 (附件1) as raw form input (strings / lists), eligible by the title path."""
    form = {
        "name": "林建华", "gender": "male", "political_status": "中共党员", "birth_date": "1975-06-18",
        "education": "硕士研究生", "phone": "13805912345", "email": "ljh@example.test",
        "id_number": "350102197506181233", "unit_name": "福建省产品质量检验研究院", "position": "室主任",
        "rank_level": "none", "title": "高级工程师", "title_level": "vice_senior", "field_years": "12",
        "work_history": "2013年起从事电器产品质量检验与监督抽查技术工作。", "specialties": "家用电器；电线电缆",
        "groups": ["supervision_sampling", "risk_monitoring"], "work_areas": ["sampling", "risk"],
        "age_exemptions": [], "exemption_note": "", "pledge": "on", "response": "",
    }
    form.update(overrides)
    return form


def id_number(sequence: int, region: str = "350102", birth: str = "19750618") -> str:
    """A valid 18-digit resident ID number (GB 11643 check digit) for a birth date and sequence."""
    body = f"{region}{birth}{sequence % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def birth_date_for_age(age: int, on: date) -> str:
    """An ISO birth date that makes someone exactly `age` on `on` (birthday today)."""
    return on.replace(year=on.year - age).isoformat()


def login(client, username: str, password: str = PASSWORD):
    """Log a test client in through the real login form."""
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=False)


class UserClient(FlaskClient):
    """A test client that forgets the cached login user before each request.

    The session-wide `app` fixture keeps one app context pushed, so requests share `flask.g` and
    Flask-Login's cached `g._login_user` would leak from one client to the next.
    """

    def open(self, *args, **kwargs):
        """Issue the request as the user in this client's own session cookie."""
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@contextmanager
def migrated_app(path):
    """A separate app on a fresh SQLite file built by the migrations (reference data and shipped versions in), inside
    its app context; the spec cache is cleared around it (keyed by version id: that database's ids are not the
    suite's)."""
    from flask_migrate import upgrade

    from engine.core.spiff import spec_cache
    from engine.deploy.versions import deploy_shipped
    from engine.experts.reference import ensure_reference_data
    from webui.app import create_app
    from webui.extensions import db

    fresh = create_app({"TESTING": True, "SECRET_KEY": "x", "FIXED_NOW": T0, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    spec_cache.clear()
    try:
        with fresh.app_context():
            upgrade()
            ensure_reference_data(db.session)
            deploy_shipped(db.session, T0)
            yield fresh
            db.session.remove()
            db.engine.dispose()
    finally:
        spec_cache.clear()


def api_headers(client, user) -> dict:
    """Bearer headers for a user, through the API's token endpoint (the real login)."""
    response = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
