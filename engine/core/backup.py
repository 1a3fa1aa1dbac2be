"""Backup and restore: one archive (tar.gz) with a consistent copy of the database, the instance files the
audit needs (the signed checkpoint log and audit archives, which live outside the database) and a manifest.

SQLite: the sqlite3 online backup API (a consistent copy while the server runs). PostgreSQL: `pg_dump
--format=custom` (one snapshot) and `pg_restore`. Uploaded attachments are rows of the database, so the
dump holds them. The audit signing key is a secret and is never put in the archive: keep it with the other
secrets. A backup and a restore are each an audit event.
"""

import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from engine.core import audit, backup_db, checkpoints
from engine.core.errors import ServiceError
from engine.core.models import AuditEvent
from engine.core.uow import unit_of_work

FORMAT = "expertpool-backup"
MANIFEST = "manifest.json"
_MEMBER = re.compile(r"(files/)?[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}")
BACKED_UP = "database_backup"
RESTORED = "database_restored"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def instance_files() -> dict[str, Path]:
    """The files outside the database that belong in a backup: the checkpoint log and the audit archives."""
    log_file = checkpoints.SETTINGS.get("log_file")
    if not log_file:
        return {}
    log_path = Path(log_file)
    found = {"files/" + log_path.name: log_path} if log_path.is_file() else {}
    if log_path.parent.is_dir():
        found.update({"files/" + p.name: p for p in sorted(log_path.parent.glob("audit-archive-*.json"))})
    return found


def _log_member(files: dict[str, Path]) -> str | None:
    log_file = checkpoints.SETTINGS.get("log_file")
    return "files/" + Path(log_file).name if log_file and "files/" + Path(log_file).name in files else None


def _revision(session) -> str | None:
    try:
        return session.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # noqa: BLE001 - a database never migrated has no version table
        session.rollback()
        return None


def create(session, url: str, out_path: str | Path, now: datetime) -> dict:
    """Write a backup archive to `out_path` (never overwritten); returns its manifest."""
    out = Path(out_path)
    if out.exists():
        raise ServiceError(f"备份文件已存在：{out}（不会覆盖，请换一个文件名）")
    if not out.parent.is_dir():
        raise ServiceError(f"目录不存在：{out.parent}")
    dialect = make_url(url).get_backend_name()
    with unit_of_work(session):  # the archive then holds the record of its own making
        audit.record(session, BACKED_UP, None, now, after={"file": out.name, "dialect": dialect})
    head = checkpoints.head(session)
    revision = _revision(session)
    session.rollback()
    with tempfile.TemporaryDirectory(prefix="expertpool-backup-") as tmp:
        # The audit files first, then the database: every checkpoint copied signs events the dump holds.
        files = _copy_files(instance_files(), Path(tmp))
        database = backup_db.dump(url, Path(tmp))
        members = {database.name: database, **files}
        manifest = {
            "format": FORMAT, "version": 1, "created_at": now.isoformat(), "dialect": dialect,
            "database": database.name, "alembic_revision": revision,
            "audit_head": {"event_id": head[0], "hash": head[1], "count": head[2]} if head else None,
            "files": sorted(files), "checkpoint_log": _log_member(files),
            "sha256": {name: _sha256(path) for name, path in members.items()},
        }
        _write_archive(out, manifest, members)
    return manifest


def _copy_files(files: dict[str, Path], into: Path) -> dict[str, Path]:
    copies = {}
    for name, path in files.items():
        copies[name] = into / name.replace("/", "__")
        copies[name].write_bytes(path.read_bytes())
    return copies


def _write_archive(out: Path, manifest: dict, members: dict[str, Path]) -> None:
    partial = out.with_name(out.name + ".part")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(body), 0o600
            tar.addfile(info, io.BytesIO(body))
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
        os.chmod(partial, 0o600)  # it holds personal data
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def read_archive(archive: str | Path, into: Path) -> dict:
    """Check the archive (format, every member's sha256) and extract its members into `into`; the manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = json.loads(tar.extractfile(MANIFEST).read())
            if manifest.get("format") != FORMAT:
                raise ServiceError(f"{archive} 不是专家库备份文件")
            for name, digest in manifest["sha256"].items():
                if not _MEMBER.fullmatch(name):
                    raise ServiceError(f"备份文件含不允许的成员名：{name}")
                target = into / name.replace("/", "__")
                target.write_bytes(tar.extractfile(name).read())
                if _sha256(target) != digest:
                    raise ServiceError(f"备份文件已损坏：{name} 的校验值不符")
    except (OSError, tarfile.TarError, KeyError, ValueError, AttributeError) as exc:
        raise ServiceError(f"无法读取备份文件 {archive}：{exc}") from exc
    return manifest


def restore(session, url: str, archive: str | Path, now: datetime, force: bool = False) -> dict:
    """Replace the database (empty unless `force`) and the audit files with the archive's; returns a summary."""
    dialect = make_url(url).get_backend_name()
    with tempfile.TemporaryDirectory(prefix="expertpool-restore-") as tmp:
        manifest = read_archive(archive, Path(tmp))
        if manifest["dialect"] != dialect:
            raise ServiceError(f"备份来自 {manifest['dialect']} 数据库，目标是 {dialect}：不能直接恢复")
        tables = inspect(session.get_bind()).get_table_names()
        session.rollback()
        if tables and not force:
            raise ServiceError(
                f"目标数据库不是空的：已有 {len(tables)} 张表（如 {'、'.join(sorted(tables)[:3])}）。"
                "恢复会用备份替换其全部内容；确认覆盖请加 --force")
        session.close()
        session.get_bind().dispose()  # no pooled connection may hold the tables being replaced
        backup_db.load(url, Path(tmp) / manifest["database"], tables)
        set_aside = _put_files(Path(tmp), manifest, now)
    _check_head(session, manifest)
    summary = {"file": Path(archive).name, "backup_created_at": manifest["created_at"],
               "audit_head": manifest["audit_head"], "replaced_tables": len(tables), "set_aside": set_aside}
    with unit_of_work(session):
        audit.record(session, RESTORED, None, now, after=summary)
    return summary


def _put_files(extracted: Path, manifest: dict, now: datetime) -> list[str]:
    """Put the archived audit files back beside the configured checkpoint log; a different file already
    there is kept under a new name (a checkpoint log is evidence: never deleted)."""
    log_file = checkpoints.SETTINGS.get("log_file")
    if not manifest["files"]:
        return []
    if not log_file:
        raise ServiceError("备份含审计检查点文件，但未配置 EXPERTPOOL_CHECKPOINT_FILE")
    log_path, set_aside = Path(log_file), []
    for name in manifest["files"]:
        source = extracted / name.replace("/", "__")
        base = name.removeprefix("files/")
        target = log_path if name == manifest.get("checkpoint_log") else log_path.parent / base
        if target.exists() and _sha256(target) != manifest["sha256"][name]:
            kept = target.with_name(f"{target.name}.before-restore-{now:%Y%m%dT%H%M%S}")
            os.replace(target, kept)
            set_aside.append(str(kept))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    return set_aside


def _check_head(session, manifest: dict) -> None:
    head = manifest["audit_head"]
    if head is None:
        return
    stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == head["event_id"]))
    session.rollback()
    if stored != head["hash"]:
        raise ServiceError(f"恢复后的审计日志与备份清单不符（事件 {head['event_id']}）：请勿使用此数据库")
