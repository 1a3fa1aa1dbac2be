"""`expertpool start-evaluation`, `run-job NAME --now`, `list-jobs`; CSRF on the yearly forms."""

from datetime import date

import pytest
from sqlalchemy import func, select

from engine.evaluation.models import Evaluation, EvaluationCampaign
from engine.renewal.models import RenewalCase
from tests.experts.roster_support import expert_user, make_expert
from tests.support import PASSWORD
from tests.webui.test_ui_support import csrf_token_in, text_of
from webui.app import create_app
from webui.evaluation.cli import list_jobs, run_job, start_evaluation


def test_run_job_at_a_given_time_is_idempotent(app, session):
    make_expert(session, "林建华")
    runner = app.test_cli_runner()
    early = runner.invoke(run_job, ["year_end_campaign", "--now", "2026-11-30T23:59:00+08:00"])
    assert early.exit_code == 0 and "'year': None" in early.output
    first = runner.invoke(run_job, ["year_end_campaign", "--now", "2026-12-01T00:00:00+08:00"])
    assert first.exit_code == 0 and "'created': True" in first.output and "'started': 1" in first.output
    again = runner.invoke(run_job, ["year_end_campaign", "--now", "2026-12-01T01:00:00+08:00"])
    assert "'created': False" in again.output and "'started': 0" in again.output
    assert session.scalar(select(func.count()).select_from(Evaluation)) == 1
    unknown = runner.invoke(run_job, ["no_such_job"])
    assert unknown.exit_code != 0 and "year_end_campaign" in unknown.output


def test_renewal_scan_from_the_cli(app, session):
    make_expert(session, "王丽", term_start=date(2023, 5, 2), term_end=date(2026, 5, 1))
    result = app.test_cli_runner().invoke(run_job, ["term_renewal_scan", "--now", "2026-03-02T09:00:00+08:00"])
    assert result.exit_code == 0 and "'started': 1" in result.output
    assert session.scalar(select(RenewalCase.old_term_end)) == date(2026, 5, 1)


def test_start_evaluation_command(app, session, users):
    make_expert(session, "林建华")
    runner = app.test_cli_runner()
    args = ["--year", "2026", "--user", "tc_staff", "--now", "2026-12-05T10:00:00+08:00"]
    done = runner.invoke(start_evaluation, args)
    assert done.exit_code == 0 and "2026年度评价已启动：1 份评价表" in done.output
    twice = runner.invoke(start_evaluation, args)
    assert twice.exit_code == 1 and "已经启动" in twice.output
    wrong = runner.invoke(start_evaluation, ["--year", "2026", "--user", "qd_staff"])
    assert wrong.exit_code != 0 and "不是人才开发中心用户" in wrong.output
    assert session.scalar(select(EvaluationCampaign.trigger)) == "manual"


def test_list_jobs_shows_the_yearly_schedule(app):
    output = app.test_cli_runner().invoke(list_jobs).output
    for name in ("year_end_campaign", "evaluation_reminders", "exit_proposal_scan", "term_renewal_scan"):
        assert name in output
    assert "month=12" in output


@pytest.fixture()
def csrf_app(app):
    """A second app on the same database with CSRF enabled (as in production)."""
    return create_app({"TESTING": True, "SECRET_KEY": "csrf-yearly", "WTF_CSRF_ENABLED": True,
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "FIXED_NOW": app.config["FIXED_NOW"]})


def test_yearly_posts_need_the_csrf_token(csrf_app, session, users):
    make_expert(session, "林建华", user=expert_user(session, "linjianhua"))
    client = csrf_app.test_client()
    token = csrf_token_in(text_of(client.get("/login")))
    assert client.post("/login", data={"username": "linjianhua", "password": PASSWORD, "csrf_token": token}
                       ).status_code == 302
    token = csrf_token_in(text_of(client.get("/yearly/me")))
    for url in ("/yearly/me/contact", "/yearly/me/declarations", "/yearly/me/withdraw", "/yearly/campaigns"):
        assert client.post(url, data={"reason": "x", "confirm": "on"}).status_code == 400, url
    ok = client.post("/yearly/me/withdraw", data={"reason": "退休", "confirm": "on", "csrf_token": token})
    assert ok.status_code == 302
