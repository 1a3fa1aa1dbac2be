"""Art 14: 评价工作于每年12月集中开展. A manual start outside December is refused; a December missed altogether
(the year's campaign never started) may still be started in January or February with a written reason, which
the campaign and the audit log keep."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engine.core.errors import ValidationFailed
from engine.core.models import AuditEvent
from engine.evaluation import campaign
from engine.evaluation.models import EvaluationCampaign
from tests.experts.roster_support import DEC1, make_expert
from tests.support import T0
from tests.webui.test_ui_support import client_for, text_of

MARCH = T0  # 2026-03-02 09:00 Asia/Shanghai
NOVEMBER = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 November, local
JANUARY = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
REASON = "2026年12月系统迁移停机，年度评价未能按期启动，经请示后补充开展"


def _campaigns(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(EvaluationCampaign))


@pytest.mark.parametrize("when", [MARCH, NOVEMBER], ids=["march", "last_minute_of_november"])
def test_a_start_before_december_is_refused_and_december_still_starts(session, users, when):
    make_expert(session, "王丽")
    with pytest.raises(ValidationFailed) as err:
        campaign.start_now(session, users["talent_center"], 2026, when)
    assert "第十四条" in err.value.errors["year"] and "12月" in err.value.errors["year"]
    with pytest.raises(ValidationFailed):  # no reason makes an early start right
        campaign.start_now(session, users["talent_center"], 2026, when, reason=REASON)
    assert _campaigns(session) == 0
    assert campaign.year_end_job(session, DEC1)["created"] is True  # December's campaign is not blocked


def test_the_page_refuses_a_march_start_with_the_reason(app, session, users):
    app.config["FIXED_NOW"] = MARCH
    tc = client_for(app, users["talent_center"])
    page = text_of(tc.get("/yearly"))
    assert 'id="start-campaign"' not in page and "12月1日" in page  # nothing to start in March
    refused = tc.post("/yearly/campaigns", data={"year": "2026"})
    assert refused.status_code == 422 and "第十四条" in text_of(refused)
    assert _campaigns(session) == 0


def test_a_missed_december_is_started_in_january_with_an_audited_reason(app, session, users):
    make_expert(session, "王丽")
    with pytest.raises(ValidationFailed) as err:
        campaign.start_now(session, users["talent_center"], 2026, JANUARY, reason="补")
    assert "原因" in err.value.errors["reason"]
    assert _campaigns(session) == 0
    app.config["FIXED_NOW"] = JANUARY
    tc = client_for(app, users["talent_center"])
    page = text_of(tc.get("/yearly"))
    assert 'id="start-campaign"' in page and 'name="reason"' in page and 'name="csrf_token"' in page
    done = tc.post("/yearly/campaigns", data={"year": "2026", "reason": REASON})
    assert done.status_code == 302
    started = session.scalar(select(EvaluationCampaign))
    assert (started.year, started.trigger, started.start_reason) == (2026, "manual", REASON)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "evaluation_campaign_started"))
    assert event.data_after["reason"] == REASON and event.actor_id == users["talent_center"].id
    assert REASON in text_of(tc.get("/yearly/campaigns/2026"))


def test_in_december_no_reason_is_asked(session, users):
    make_expert(session, "王丽")
    started = campaign.start_now(session, users["talent_center"], 2026, DEC1)
    assert (started.year, started.start_reason) == (2026, None)


def test_the_command_refuses_march_and_takes_a_late_reason(app, session, users):
    from webui.evaluation.cli import start_evaluation

    make_expert(session, "王丽")
    runner = app.test_cli_runner()
    march = runner.invoke(start_evaluation, ["--year", "2026", "--user", "tc_staff", "--now", MARCH.isoformat()])
    assert march.exit_code == 1 and "第十四条" in march.output
    late = ["--year", "2026", "--user", "tc_staff", "--now", JANUARY.isoformat()]
    assert "原因" in runner.invoke(start_evaluation, late).output
    done = runner.invoke(start_evaluation, [*late, "--reason", REASON])
    assert done.exit_code == 0 and session.scalar(select(EvaluationCampaign.start_reason)) == REASON
