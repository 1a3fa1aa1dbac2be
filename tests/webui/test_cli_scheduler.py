"""CLI commands (fire-timers --now, verify-audit) and the scheduler's leader election."""

from datetime import timedelta

from sqlalchemy import create_engine

from engine.admission.models import Application
from engine.core.leader import LeaderLock, build_scheduler
from tests.admission.test_admission_paths import approve_to_commitment
from tests.support import T0, application_form, make_call
from webui.cli import fire_timers, verify_audit
from webui.extensions import db


def _awaiting_commitment(session, users) -> Application:
    from engine.admission import services as admission

    call = make_call(session)
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, call.id)
    approve_to_commitment(session, users, app.id)
    return app


def test_fire_timers_command_uses_the_given_time(app, session, users):
    submitted = _awaiting_commitment(session, users)
    runner = app.test_cli_runner()
    early = runner.invoke(fire_timers, ["--now", (T0 + timedelta(days=1)).isoformat()])
    assert early.exit_code == 0 and "fired 0" in early.output
    late = runner.invoke(fire_timers, ["--now", "2026-03-16T10:00:00+08:00"])
    assert late.exit_code == 0 and "fired 1" in late.output
    session.expire_all()
    assert session.get(Application, submitted.id).status == "lapsed"
    again = runner.invoke(fire_timers, ["--now", "2026-03-20T10:00:00+08:00"])
    assert "fired 0" in again.output  # a fired timer never fires twice


def test_verify_audit_command(app, session, users):
    _awaiting_commitment(session, users)
    result = app.test_cli_runner().invoke(verify_audit)
    assert result.exit_code == 0 and "intact" in result.output


def test_only_one_worker_is_the_timer_leader(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    first, second = LeaderLock(create_engine(url)), LeaderLock(create_engine(url))
    try:
        assert first.is_leader()
        if db.engine.dialect.name == "postgresql":
            assert not second.is_leader()
            first.release()
            assert second.is_leader()
        else:
            assert second.is_leader()  # SQLite deployments are single-host
    finally:
        first.release()
        second.release()


def test_scheduler_has_one_non_overlapping_timer_job():
    scheduler = build_scheduler(lambda: None, seconds=5)
    job = scheduler.get_jobs()[0]
    assert job.id == "fire_timers" and job.max_instances == 1 and job.coalesce
