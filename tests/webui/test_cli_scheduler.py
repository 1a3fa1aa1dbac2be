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


def test_scheduler_mode_comes_from_the_environment_and_a_typo_is_an_error(monkeypatch):
    import pytest

    from engine.platform.settings import scheduler_mode, timer_seconds

    monkeypatch.delenv("EXPERTPOOL_SCHEDULER", raising=False)
    assert scheduler_mode() == "leader" and timer_seconds() == 30
    monkeypatch.setenv("EXPERTPOOL_SCHEDULER", " OFF ")
    assert scheduler_mode() == "off"
    monkeypatch.setenv("EXPERTPOOL_SCHEDULER", "of")
    with pytest.raises(ValueError, match="leader, off"):
        scheduler_mode()


def test_a_web_process_with_the_scheduler_off_starts_none(app, monkeypatch):
    from webui import scheduler

    monkeypatch.setenv("EXPERTPOOL_SCHEDULER", "off")
    assert scheduler.start_for_web(app) is False and "scheduler" not in scheduler._RUNNING


def test_the_scheduler_process_runs_until_told_to_stop_then_gives_up_the_lead(app, monkeypatch):
    import signal
    import threading

    from webui import scheduler

    monkeypatch.setenv("EXPERTPOOL_TIMER_SECONDS", "1")  # a tick (taking the lead) before the stop
    stop = threading.Event()
    started = threading.Timer(1.8, stop.set)
    started.start()
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.run_foreground(app, stop)  # returns once `stop` is set (SIGTERM in production)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    assert scheduler._RUNNING == {}
    other = LeaderLock(create_engine(app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        assert other.is_leader()  # the lock was released on the way out
    finally:
        other.release()


def test_the_session_key_may_come_from_a_file(tmp_path, monkeypatch):
    from engine.platform.settings import search_key
    from engine.platform.settings import secret_key as _secret_key

    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 64 + "\n", encoding="utf-8")
    monkeypatch.setenv("EXPERTPOOL_SECRET_KEY", "from-env")
    assert _secret_key() == "from-env"
    monkeypatch.setenv("EXPERTPOOL_SECRET_KEY_FILE", str(key_file))
    assert _secret_key() == "k" * 64  # the file wins: the key is then not in any process environment
    monkeypatch.delenv("EXPERTPOOL_SEARCH_KEY", raising=False)
    assert search_key() == b"k" * 64  # the inbox's ID-number hashes use it too: the same after a restart
