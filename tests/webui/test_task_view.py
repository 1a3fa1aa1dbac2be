"""One read model per task: the task page and the API's task detail show the same view (issue 10) — the
correction note, what the task is about, earlier steps masked per viewer, the recorded view of personal data."""

from datetime import date, timedelta

from sqlalchemy import func, select

from engine.core.models import AuditEvent
from engine.experts.models import Expert
from engine.platform.models import User
from engine.renewal import services as renewals
from engine.renewal.models import RenewalCase
from engine.tasks import services as task_service
from tests.assignment_support import create, engagements, make_pool, open_tasks, user_of
from tests.experts.roster_support import act, expert_user, make_expert
from tests.experts.roster_support import open_tasks as instance_tasks
from tests.support import T0, api_headers, make_call
from tests.webui.test_ui_support import client_for, open_task, submit, text_of

RENEW = {"renew": "yes", "recommit": "on", "unit_name": "福建省计量科学研究院", "title": "正高级工程师",
         "title_level": "senior", "phone": "13905910000"}

RETURN = {"decision": "return", "credit_checked": "on", "comment": "请补充职称证书并核对联系电话"}


def _detail(client, user, task_id: int) -> dict:
    response = client.get(f"/api/v1/tasks/{task_id}", headers=api_headers(client, user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _pii_views(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "pii_viewed"))


def test_the_correction_note_and_the_form_to_start_from_are_in_the_page_and_the_api(app, client, session, users):
    application = submit(session, users["applicant"], make_call(session))
    task_service.complete(session, open_task(session, application).id, users["talent_center"], RETURN, {}, T0)
    correction = open_task(session, application)

    detail = _detail(client, users["applicant"], correction.id)
    assert detail["instance_visible"] is True and detail["task"]["follow_up_on"] is None  # the applicant's own case
    context = detail["context"]
    note = context["correction"]
    assert note["comment"] == RETURN["comment"] and note["step"] == "人才开发中心初审"
    assert note["by"] == users["talent_center"].display_name and note["at"].startswith("2026-")
    assert context["prefill"]["name"] == "林建华" and context["prefill"]["response"] == ""
    assert [f["filename"] for f in context["attachments"]] == ["证明材料.pdf"]
    assert context["application"]["form"]["phone"] == "13805912345"  # the applicant's own data, unmasked

    page = text_of(client_for(app, users["applicant"]).get(f"/tasks/{correction.id}"))
    assert RETURN["comment"] in page and f"人才开发中心初审退回补正（{note['by']}" in page
    assert 'name="name" value="林建华"' in page and "证明材料.pdf" in page


def test_a_review_task_has_no_correction_note_and_shows_my_follow_up_date(app, client, session, users):
    application = submit(session, users["applicant"], make_call(session))
    review = open_task(session, application)
    context = _detail(client, users["talent_center"], review.id)["context"]
    assert context["correction"] is None and "prefill" not in context
    assert context["application"]["name"] == "林建华"
    day = (T0 + timedelta(days=3)).date().isoformat()
    put = client.put(f"/api/v1/tasks/{review.id}/follow-up", json={"follow_up_on": day},
                     headers=api_headers(client, users["talent_center"]))
    assert put.status_code == 200, put.get_json()
    assert _detail(client, users["talent_center"], review.id)["task"]["follow_up_on"] == day
    assert f'value="{day}"' in text_of(client_for(app, users["talent_center"]).get(f"/tasks/{review.id}"))


def test_earlier_steps_are_masked_alike_for_a_viewer_without_the_pii_flag(app, client, session, users):
    expert = make_expert(session, "林建华", user=expert_user(session, "linjianhua"), term_start=date(2023, 5, 2),
                         term_end=date(2026, 5, 1))  # the renewal scan of T0 finds it 60 days before the end
    renewals.renewal_scan_job(session, T0)
    instance_id = session.scalar(select(RenewalCase.instance_id).where(RenewalCase.expert_id == expert.id))
    act(session, instance_id, session.get(User, expert.user_id), RENEW, "renewal_confirm", now=T0)
    act(session, instance_id, users["quality_division"], {"decision": "pass"}, "renewal_division_review", now=T0)
    (approval,) = instance_tasks(session, instance_id)

    history = _detail(client, users["bureau_leader"], approval.id)["history"]  # 局领导: no PII flag
    assert [step["bpmn_id"] for step in history] == ["renewal_confirm", "renewal_division_review"]
    assert history[0]["values"]["phone"] == "139****0000" and history[0]["values"]["title"] == "正高级工程师"
    page = text_of(client_for(app, users["bureau_leader"]).get(f"/tasks/{approval.id}"))
    assert "13905910000" not in page and "139****0000" in page and "正高级工程师" in page


def test_an_unmasked_view_through_the_api_is_recorded_like_the_page(app, client, session, users):
    application = submit(session, users["applicant"], make_call(session))
    review = open_task(session, application)
    before = _pii_views(session)
    _detail(client, users["talent_center"], review.id)
    assert _pii_views(session) == before + 1
    page = client_for(app, users["talent_center"])
    page.get(f"/tasks/{review.id}")
    assert _pii_views(session) == before + 2
    refused = page.post(f"/tasks/{review.id}", data={"decision": "maybe"})  # shown again, not seen anew
    assert refused.status_code == 422 and "13805912345" in text_of(refused)
    assert _pii_views(session) == before + 2
    assert client.get(f"/api/v1/tasks/{review.id}",
                      headers=api_headers(client, users["applicant"])).status_code == 403
    assert _pii_views(session) == before + 2


def test_a_confirmation_is_about_the_request_and_the_expert_in_the_page_and_the_api(app, client, session, users):
    make_pool(session, 3)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    (task,) = open_tasks(session, request, "confirm_availability")
    expert = session.get(Expert, row.expert_id)

    context = _detail(client, user_of(session, row), task.id)["context"]
    assert context["request"]["title"] == request.title and context["request"]["id"] == request.id
    assert context["request"]["start_date"] == request.start_date.isoformat()
    assert context["person"] == {"name": expert.name, "unit": expert.unit_name}
    assert context["engagement"]["id"] == row.id and context["engagement"]["status"] == "drawn"
    page = text_of(client_for(app, user_of(session, row)).get(f"/tasks/{task.id}"))
    assert request.title in page and f"{expert.name}（{expert.unit_name}）" in page

