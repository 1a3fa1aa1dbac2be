"""Retention (issue 13): the nightly job moves the oldest events to a signed archive file; the database chain
still verifies on its own, and archive + database + checkpoints verify together; a changed archive is caught."""

import json
from datetime import timedelta

from sqlalchemy import func, select

from engine.core import audit, checkpoints
from engine.core.jobs import JOBS
from engine.core.models import AuditEvent
from tests.assignment_support import CONFIRM, answer, engagements
from tests.evidence_support import drawn_request, signing_key
from tests.support import T0
from webui.cli import main as cli_main

LATER = T0 + timedelta(hours=2)


def _archived_world(session, users, tmp_path, monkeypatch):
    """A draw at T0 and a checkpoint, an answer two hours later and a checkpoint, then the retention job (1 day) a day later."""
    request, _ = drawn_request(session, users)
    key_file, log_file = signing_key(tmp_path, monkeypatch)
    checkpoints.checkpoint(session, T0, key_file, log_file)  # its event will be archived …
    answer(session, engagements(session, request.id)[0], CONFIRM, now=LATER)
    checkpoints.checkpoint(session, LATER, key_file, log_file)  # … this one's stays in the database
    first_kept = session.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.at >= LATER))
    total = session.scalar(select(func.count(AuditEvent.id)))
    monkeypatch.setitem(checkpoints.SETTINGS, "retention_days", "1")
    mark = JOBS["audit_retention"].run(session, T0 + timedelta(days=1, hours=1))
    return key_file, log_file, first_kept, total, mark


def _verify(cli, key_file, *args):
    return cli.invoke(cli_main, ["verify-audit", "--public-key", str(checkpoints.public_key_path(key_file)), *args])


def test_the_retention_job_archives_old_events_and_the_chain_verifies_across_the_archive(
        app, session, users, tmp_path, monkeypatch):
    key_file, log_file, first_kept, total, mark = _archived_world(session, users, tmp_path, monkeypatch)
    archive_file = log_file.parent / mark["file"]
    assert mark["last_id"] == first_kept - 1 and mark["count"] == total - session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action != audit.ARCHIVED))
    assert session.scalar(select(func.min(AuditEvent.id))) == first_kept  # older events left the database
    assert audit.verify_chain(session) is None  # the remaining chain starts from the archived hash
    cli = app.test_cli_runner()
    both = _verify(cli, key_file, "--archive", str(archive_file), "--checkpoints", str(log_file))
    assert both.exit_code == 0 and "across 1 archive(s)" in both.output, both.output
    without = _verify(cli, key_file, "--checkpoints", str(log_file))
    assert without.exit_code == 1 and "已归档" in without.output  # the checkpoint's event lives in the archive


def test_a_changed_archive_is_caught(app, session, users, tmp_path, monkeypatch):
    key_file, log_file, _, _, mark = _archived_world(session, users, tmp_path, monkeypatch)
    archive_file = log_file.parent / mark["file"]
    document = json.loads(archive_file.read_text(encoding="utf-8"))
    document["events"][0]["actor_name"] = "伪造者"
    archive_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = _verify(app.test_cli_runner(), key_file, "--archive", str(archive_file))
    assert result.exit_code == 1 and "签名无效" in result.output, result.output


def test_archiving_refuses_to_overwrite_and_leaves_the_database_as_it_was(app, session, users, tmp_path):
    drawn_request(session, users)
    key_file, _ = signing_key(tmp_path)
    out = tmp_path / "exists.json"
    out.write_text("{}", encoding="utf-8")
    count = session.scalar(select(func.count(AuditEvent.id)))
    result = app.test_cli_runner().invoke(cli_main, ["archive-audit", "--older-than-days", "1", "--key-file",
                                                     str(key_file), "--out", str(out)])
    assert result.exit_code == 1 and "不会覆盖" in result.output
    assert session.scalar(select(func.count(AuditEvent.id))) == count and out.read_text() == "{}"
