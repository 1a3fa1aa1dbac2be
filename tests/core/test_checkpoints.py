"""Signed checkpoints (issue 13): the audit chain head signed with a key outside the database proves the database
still holds exactly the signed prefix, even against a forger who rewrites events and recomputes the whole chain."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from engine.assignment.verification import verify_draw
from engine.core import checkpoints
from engine.core.errors import Conflict
from engine.core.jobs import JOBS
from engine.core.models import AuditEvent
from tests.assignment_support import CONFIRM, answer, engagements
from tests.evidence_support import drawn_request, recompute_chain, rewrite_draw, signing_key
from tests.support import T0
from webui.cli import main as cli_main


@pytest.fixture()
def cli(app):
    return app.test_cli_runner()


def _checkpoint(cli, key_file, log_file):
    result = cli.invoke(cli_main, ["checkpoint", "--key-file", str(key_file), "--log-file", str(log_file)])
    assert result.exit_code == 0, result.output
    return result


def _verify(cli, log_file, key_file):
    return cli.invoke(cli_main, ["verify-audit", "--checkpoints", str(log_file),
                                 "--public-key", str(checkpoints.public_key_path(key_file))])


def test_keygen_writes_a_private_key_outside_the_database_and_refuses_to_overwrite(app, cli, tmp_path):
    key_file = tmp_path / "audit.key"
    result = cli.invoke(cli_main, ["audit-keygen", "--key-file", str(key_file)])
    assert result.exit_code == 0 and "公钥" in result.output
    assert key_file.stat().st_mode & 0o077 == 0 and checkpoints.public_key_path(key_file).exists()
    again = cli.invoke(cli_main, ["audit-keygen", "--key-file", str(key_file)])
    assert again.exit_code == 1 and "已存在" in again.output


def test_a_consistent_rewrite_of_the_database_is_caught_by_the_signed_checkpoint(session, users, cli, tmp_path):
    request, _ = drawn_request(session, users)
    key_file, log_file = signing_key(tmp_path)
    result = _checkpoint(cli, key_file, log_file)
    assert "已签署检查点" in result.output
    entry = json.loads(log_file.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["count"] == session.scalar(select(func.count(AuditEvent.id)))
    # the chain grows after the checkpoint: the signed prefix still verifies
    answer(session, engagements(session, request.id)[0], CONFIRM)
    intact = _verify(cli, log_file, key_file)
    assert intact.exit_code == 0 and "matches every signed checkpoint" in intact.output, intact.output
    # the forger edits an event before the checkpoint and recomputes the whole chain …
    first = session.scalar(select(AuditEvent).order_by(AuditEvent.id).limit(1))
    recompute_chain(session, {first.id: {"actor_name": "伪造者"}})
    assert cli.invoke(cli_main, ["verify-audit"]).exit_code == 0  # … which the unkeyed chain cannot see
    caught = _verify(cli, log_file, key_file)
    assert caught.exit_code == 1 and "哈希值与签名时不同" in caught.output, caught.output


def test_a_removed_event_is_caught_by_the_signed_count(session, users, cli, tmp_path):
    drawn_request(session, users)
    key_file, log_file = signing_key(tmp_path)
    _checkpoint(cli, key_file, log_file)
    first = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id).limit(1))
    session.execute(delete(AuditEvent).where(AuditEvent.id == first))  # SQL, as a forger would
    session.commit()
    recompute_chain(session)
    caught = _verify(cli, log_file, key_file)
    assert caught.exit_code == 1 and "事件被增删" in caught.output, caught.output


def test_a_forged_checkpoint_or_another_key_is_refused(session, users, cli, tmp_path):
    drawn_request(session, users)
    key_file, log_file = signing_key(tmp_path)
    _checkpoint(cli, key_file, log_file)
    entry = json.loads(log_file.read_text(encoding="utf-8"))
    forged = tmp_path / "forged.jsonl"
    forged.write_text(json.dumps(entry | {"count": entry["count"] + 1}) + "\n", encoding="utf-8")
    result = _verify(cli, forged, key_file)
    assert result.exit_code == 1 and "签名无效" in result.output
    other_key, _ = signing_key(tmp_path / "other")
    assert "签名无效" in _verify(cli, log_file, other_key).output
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n", encoding="utf-8")
    result = _verify(cli, garbage, key_file)
    assert result.exit_code == 1 and "不是有效的 JSON" in result.output


def test_the_scheduled_job_signs_only_when_the_head_moved(session, users, tmp_path, monkeypatch):
    key_file, log_file = signing_key(tmp_path, monkeypatch)
    request, _ = drawn_request(session, users)
    job = JOBS["audit_checkpoint"]
    assert job.run(session, T0)["event_id"] == session.scalar(select(func.max(AuditEvent.id)))
    assert job.run(session, T0 + timedelta(hours=1)) is None  # nothing new: no second checkpoint
    answer(session, engagements(session, request.id)[0], CONFIRM)
    assert job.run(session, T0 + timedelta(hours=2)) is not None
    assert len(checkpoints.read_log(log_file)) == 2


def test_verify_draw_reports_the_checkpoint_and_catches_a_draw_rewritten_with_its_whole_chain(
        session, users, cli, tmp_path, monkeypatch):
    _, row = drawn_request(session, users)
    signing_key(tmp_path, monkeypatch)
    assert verify_draw(session, row.id)["checkpoint"] is None  # no checkpoint yet
    checkpoints.scheduled_checkpoint(session, T0)
    result = verify_draw(session, row.id, full_chain=True)
    assert result["match"] and result["checkpoint"]["covered"], result
    command = cli.invoke(cli_main, ["verify-draw", str(row.id)])
    assert command.exit_code == 0 and "covered by the signed checkpoint" in command.output
    rewrite_draw(session, row)
    monkeypatch.setitem(checkpoints.SETTINGS, "log_file", str(tmp_path / "absent.jsonl"))
    assert verify_draw(session, row.id, full_chain=True)["match"]  # without the checkpoint the rewrite passes …
    monkeypatch.setitem(checkpoints.SETTINGS, "log_file", str(tmp_path / "audit-checkpoints.jsonl"))
    result = verify_draw(session, row.id, full_chain=True)
    assert not result["match"] and not result["checkpoint"]["covered"]  # … the signed checkpoint catches it
    assert any("签名检查点不认可" in p for p in result["problems"]), result["problems"]


def test_the_application_never_changes_or_removes_a_written_event(session, users):
    drawn_request(session, users)
    event = session.scalar(select(AuditEvent).order_by(AuditEvent.id).limit(1))
    name, count = event.actor_name, session.scalar(select(func.count(AuditEvent.id)))
    event.actor_name = "改写者"
    with pytest.raises(Conflict, match="只能追加"):
        session.commit()
    session.rollback()
    session.delete(session.get(AuditEvent, event.id))
    with pytest.raises(Conflict, match="只能追加"):
        session.flush()
    session.rollback()
    assert session.get(AuditEvent, event.id).actor_name == name
    assert session.scalar(select(func.count(AuditEvent.id))) == count
