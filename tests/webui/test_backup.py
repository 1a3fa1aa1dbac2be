"""`expertpool backup` / `restore` (issue 14): state built through the real flows survives a backup, a wiped
database and a restore — the audit chain and its signed checkpoints still verify, `doctor` finds nothing,
the draw still verifies and the open task is still in its owner's inbox and can be completed."""

import json
import tarfile

import pytest
from sqlalchemy import func, select, text

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core import checkpoints
from engine.core.db import Base
from engine.core.models import AuditEvent
from tests.admission.test_admission_paths import SIGN, approve_to_commitment
from tests.draw_support import api_headers
from tests.evidence_support import drawn_request, signing_key
from tests.support import T0, application_form, make_call
from webui.cli import main as cli_main
from webui.extensions import db


@pytest.fixture()
def audit_files(tmp_path, monkeypatch):
    """A signing key and a checkpoint log in tmp, configured for the engine (the instance files backed up)."""
    return signing_key(tmp_path, monkeypatch)


def _state(session, users):
    """An admission submitted and reviewed up to the 承诺书 (a timer and the applicant's open task) and a draw."""
    call = make_call(session)
    application = admission.submit_public(session, users["applicant"], application_form(), {}, T0, call.id)
    approve_to_commitment(session, users, application.id)
    _, draw = drawn_request(session, users)
    return application.id, draw.id


def _wipe_database() -> None:
    db.session.remove()
    Base.metadata.drop_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _inbox(client, headers) -> list[dict]:
    response = client.get("/api/v1/tasks", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_backup_wipe_restore_keeps_the_chain_the_draw_and_the_open_task(app, session, users, client, tmp_path,
                                                                         audit_files):
    key_file, log_file = audit_files
    cli = app.test_cli_runner()
    application_id, draw_id = _state(session, users)
    _ok(cli.invoke(cli_main, ["checkpoint", "--key-file", str(key_file), "--log-file", str(log_file)]))
    headers = api_headers(client, users["applicant"])
    before = _inbox(client, headers)
    assert [t["bpmn_id"] for t in before] == ["sign_commitment"]
    archive = tmp_path / "expertpool-backup.tar.gz"
    assert "已备份到" in _ok(cli.invoke(cli_main, ["backup", str(archive)]))
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        assert {"manifest.json", manifest["database"], "files/audit-checkpoints.jsonl"} <= set(tar.getnames())
    assert manifest["dialect"] == db.engine.dialect.name and manifest["checkpoint_log"]
    events = session.scalar(select(func.count(AuditEvent.id)))
    assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "database_backup"

    again = cli.invoke(cli_main, ["backup", str(archive)])
    assert again.exit_code == 1 and "已存在" in again.output  # a backup is never overwritten
    session.rollback()
    refused = cli.invoke(cli_main, ["restore", str(archive)])
    assert refused.exit_code == 1 and "不是空的" in refused.output and "--force" in refused.output
    assert session.scalar(select(func.count(AuditEvent.id))) == events  # nothing changed
    session.rollback()

    _wipe_database()
    log_file.unlink()
    assert "已从" in _ok(cli.invoke(cli_main, ["restore", str(archive)]))
    assert log_file.exists()  # the signed checkpoint log came back from the archive

    assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "database_restored"
    assert session.scalar(select(func.count(AuditEvent.id))) == events + 1
    assert "matches every signed checkpoint" in _ok(cli.invoke(cli_main, [
        "verify-audit", "--checkpoints", str(log_file), "--public-key", str(checkpoints.public_key_path(key_file))]))
    assert "0 个问题" in _ok(cli.invoke(cli_main, ["doctor"]))
    assert "mismatch" not in _ok(cli.invoke(cli_main, ["verify-draw", str(draw_id)]))
    after = _inbox(client, headers)  # the bearer token was a row of the database: it is back too
    assert [(t["id"], t["bpmn_id"]) for t in after] == [(t["id"], t["bpmn_id"]) for t in before]
    done = client.post(f"/api/v1/tasks/{after[0]['id']}/complete", headers=headers, json={"data": SIGN})
    assert done.status_code == 200, done.get_json()
    session.expire_all()
    assert session.get(Application, application_id).status == "admitted"
    assert _inbox(client, headers) == []


def test_restore_refuses_another_dialect_and_a_damaged_archive(app, session, users, tmp_path):
    cli = app.test_cli_runner()
    archive = tmp_path / "b.tar.gz"
    _ok(cli.invoke(cli_main, ["backup", str(archive)]))
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members["manifest.json"])
    damaged = tmp_path / "damaged.tar.gz"
    _rewrite(damaged, members, manifest, flip=manifest["database"])
    result = cli.invoke(cli_main, ["restore", "--force", str(damaged)])
    assert result.exit_code == 1 and "校验值不符" in result.output
    other = "postgresql" if manifest["dialect"] == "sqlite" else "sqlite"
    foreign = tmp_path / "foreign.tar.gz"
    _rewrite(foreign, members, {**manifest, "dialect": other})
    result = cli.invoke(cli_main, ["restore", "--force", str(foreign)])
    assert result.exit_code == 1 and "不能直接恢复" in result.output
    session.rollback()
    assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "database_backup"


def _rewrite(path, members: dict, manifest: dict, flip: str | None = None) -> None:
    import io

    with tarfile.open(path, "w:gz") as tar:
        for name, body in {**members, "manifest.json": json.dumps(manifest).encode()}.items():
            if name == flip:
                body = body[:-1] + bytes([body[-1] ^ 1])
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))


def test_the_database_password_never_reaches_the_pg_dump_command_line():
    from sqlalchemy.engine import make_url

    from engine.core.backup_db import pg_command

    _, dsn, env = pg_command("sh", make_url("postgresql+psycopg://expertpool:s3cr%40t@/expertpool?host=/run/pg"))
    assert "s3cr" not in dsn and env["PGPASSWORD"] == "s3cr@t"
    assert dsn.startswith("postgresql://expertpool@/expertpool?host=")
