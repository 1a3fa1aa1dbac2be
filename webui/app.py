"""Application factory (flaskr style): config, extensions, blueprints, error pages."""

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import bootstrap
from engine.core import checkpoints
from engine.platform import settings
from webui.extensions import csrf, db, login_manager, migrate
from webui.logs import configure_logging

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")
log = logging.getLogger(__name__)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # SQLite: enforce foreign keys and let readers proceed while one writer commits. Write-ahead log: a commit is
    # one fsync of the log instead of the rollback journal's several (still durable: synchronous stays FULL),
    # and readers never wait for a writer. The mode is kept in the file, so only a new database switches.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "delete":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _default_config(app: Flask) -> dict:
    secret = settings.secret_key()
    if not secret:
        log.warning("EXPERTPOOL_SECRET_KEY not set: using a random key (sessions end on restart)")
        secret = secrets.token_hex(32)
    return {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", "sqlite:///" + str(Path(app.instance_path) / "expertpool.sqlite")),
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,  # a form left open over a working day must be reloaded
        "SESSION_COOKIE_SECURE": _flag("EXPERTPOOL_SECURE_COOKIES"),  # on behind HTTPS (production set-up)
        "REMEMBER_COOKIE_SECURE": _flag("EXPERTPOOL_SECURE_COOKIES"),
        "SMTP_HOST": os.environ.get("EXPERTPOOL_SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("EXPERTPOOL_SMTP_PORT", "25")),
        "RUN_SCHEDULER": False,
        # Login/registration throttling counters: Redis (redis://host:6379/0) when several workers serve.
        "RATELIMIT_STORAGE_URI": os.environ.get("EXPERTPOOL_RATELIMIT_STORAGE", "memory://"),
        "FIXED_NOW": None,
        # Signed audit checkpoints (engine.core.checkpoints): key and log outside the database.
        "AUDIT_KEY_FILE": os.environ.get("EXPERTPOOL_AUDIT_KEY_FILE", ""),
        "AUDIT_CHECKPOINT_FILE": os.environ.get(
            "EXPERTPOOL_CHECKPOINT_FILE", str(Path(app.instance_path) / "audit-checkpoints.jsonl")),
        "AUDIT_RETENTION_DAYS": os.environ.get("EXPERTPOOL_AUDIT_RETENTION_DAYS", ""),  # empty: keep every event
    }


def create_app(overrides: dict | None = None) -> Flask:
    """Build the Flask app; `overrides` replace config keys (tests)."""
    instance_dir = os.environ.get("EXPERTPOOL_INSTANCE_DIR", "").strip()  # production: /var/lib/expertpool
    app = Flask(__name__, instance_relative_config=True,
                instance_path=str(Path(instance_dir).resolve()) if instance_dir else None)
    app.config.from_mapping(_default_config(app))
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    proxies = int(os.environ.get("EXPERTPOOL_TRUSTED_PROXIES", "0") or 0)
    if proxies:  # behind nginx: the client address (throttling, audit) is the one the proxy saw
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    configure_logging(app)
    bootstrap.install()
    checkpoints.configure(app.config["AUDIT_KEY_FILE"], app.config["AUDIT_CHECKPOINT_FILE"],
                          app.config["AUDIT_RETENTION_DAYS"])
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    from webui import blueprints, security, throttle

    security.install(app)  # before the blueprints: their routes use its bounded `<int:…>`
    blueprints.register(app)
    throttle.install(app)
    return app
