"""The database part of a backup: a consistent copy out (`dump`) and back in (`load`), per dialect."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from engine.core.errors import ServiceError

PG_TIMEOUT = 3600  # seconds a pg_dump / pg_restore may take


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise ServiceError("内存中的 SQLite 数据库不能备份或恢复")
    return Path(url.database)


def pg_command(name: str, url: URL) -> tuple[str, str, dict]:
    """The client binary, a libpq connection string without the password, and an environment holding it."""
    binary = shutil.which(name)
    if binary is None:
        raise ServiceError(f"找不到 {name}：请安装 PostgreSQL 客户端（与服务器同一主版本），并放入 PATH")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where `ps` would show it
    # (URL.set treats password=None as "unchanged": replace the field itself)
    dsn = url.set(drivername="postgresql")._replace(password=None).render_as_string(hide_password=False)
    return binary, dsn, env


def _run(command: list[str], env: dict, what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT, check=False)
    if done.returncode != 0:
        raise ServiceError(f"{what}失败（退出码 {done.returncode}）：{done.stderr.strip()[-2000:]}")


def dump(url: str, into: Path) -> Path:
    """A consistent copy of the database as one file in `into`: SQLite online backup or pg_dump custom format."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source_path, target = _sqlite_path(parsed), into / "database.sqlite"
        if not source_path.is_file():
            raise ServiceError(f"SQLite 数据库文件不存在：{source_path}")
        source, copy = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True), sqlite3.connect(target)
        try:
            source.backup(copy)  # page by page, consistent even while the server writes
        finally:
            copy.close()
            source.close()
        return target
    if parsed.get_backend_name() == "postgresql":
        binary, dsn, env = pg_command("pg_dump", parsed)
        target = into / "database.pgdump"
        _run([binary, "--format=custom", "--no-owner", "--no-privileges", "--file", str(target),
              "--dbname", dsn], env, "pg_dump ")
        return target
    raise ServiceError(f"不支持备份 {parsed.get_backend_name()} 数据库")


def load(url: str, source: Path, existing_tables: list[str]) -> None:
    """Replace the database's whole content with the dumped copy (existing tables are dropped first)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        copy, target = sqlite3.connect(source), sqlite3.connect(_sqlite_path(parsed), timeout=30)
        try:
            copy.backup(target)  # replaces every page of the target: its old tables are gone
        finally:
            target.close()
            copy.close()
        return
    if existing_tables:
        _drop_everything(url)
    binary, dsn, env = pg_command("pg_restore", parsed)
    _run([binary, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          "--dbname", dsn, str(source)], env, "pg_restore ")


def _drop_everything(url: str) -> None:
    """PostgreSQL: drop every table, sequence and enum type of the connection's schema, in one transaction."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        schema = inspector.default_schema_name
        tables, sequences = inspector.get_table_names(), inspector.get_sequence_names()
        types = [e["name"] for e in inspector.get_enums()]
        with engine.begin() as conn:
            for name in tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{schema}"."{name}" CASCADE'))
            for name in sequences:
                conn.execute(text(f'DROP SEQUENCE IF EXISTS "{schema}"."{name}" CASCADE'))
            for name in types:
                conn.execute(text(f'DROP TYPE IF EXISTS "{schema}"."{name}" CASCADE'))
    finally:
        engine.dispose()
