"""JSON API: an admission from submission to admitted expert through every role, and the error rules."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from engine.admission.models import Application
from engine.core.models import AuditEvent, HumanTask
from engine.experts.models import Expert
from tests.support import PASSWORD, application_form, make_call, make_user

API = "/api/v1"
INITIAL_PASS = {"decision": "pass", "checklist_ok": True, "credit_checked": True, "accept_age_exemption": "na"}


def _headers(client, username: str) -> dict:
    response = client.post(f"{API}/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture()
def h(client, users):
    """Bearer headers per role."""
    return {role: _headers(client, user.username) for role, user in users.items()}


def _submit(client, session, headers, **overrides) -> dict:
    call = make_call(session)
    response = client.post(f"{API}/processes/admission_public/instances", headers=headers,
                           json={"call_id": call.id, "form": application_form(**overrides)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _my_task(client, headers, bpmn_id: str) -> dict:
    response = client.get(f"{API}/tasks", headers=headers, query_string={"bpmn_id": bpmn_id})
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert len(items) == 1, items
    return items[0]


def _complete(client, headers, task_id: int, data: dict, **extra):
    return client.post(f"{API}/tasks/{task_id}/complete", headers=headers, json={"data": data, **extra})


def _step(client, headers, bpmn_id: str, data: dict) -> dict:
    """Show my single task of a step, then complete it with the shown lock_version."""
    task = _my_task(client, headers, bpmn_id)
    detail = client.get(f"{API}/tasks/{task['id']}", headers=headers).get_json()
    response = _complete(client, headers, task["id"], data, lock_version=detail["task"]["lock_version"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["task"]["state"] == "done"
    return detail


def test_public_admission_end_to_end_through_the_api(client, session, users, h):
    started = _submit(client, session, h["applicant"])
    assert client.get(f"{API}/applications/mine", headers=h["applicant"]).get_json()["items"][0]["current_steps"] == [
        "人才开发中心初审"]

    detail = _step(client, h["talent_center"], "initial_review", INITIAL_PASS)
    assert detail["form"]["key"] == "initial_review" and detail["context"]["application"]["form"]["phone"] == "13805912345"
    detail = _step(client, h["quality_division"], "division_review", {"decision": "pass", "propose_role": "none"})
    assert [item["bpmn_id"] for item in detail["history"]] == ["initial_review"]
    assert detail["history"][0]["values"]["decision"] == "pass"
    detail = _step(client, h["bureau_leader"], "leader_approval", {"decision": "approve", "comment": "同意"})
    assert detail["context"]["application"]["form"]["phone"] == "138****2345"  # 局领导 has no PII flag
    assert detail["context"]["application"]["form"]["id_number"] == "3501**********1233"
    _step(client, h["talent_center"], "record_document", {"doc_no": "闽市监函〔2026〕88号", "doc_date": "2026-03-02"})
    _step(client, h["applicant"], "sign_commitment", {"agree": True, "signature": "林建华"})

    instance = client.get(f"{API}/instances/{started['instance_id']}", headers=h["applicant"]).get_json()
    assert instance["status"] == "completed" and instance["end_event"] == "已入库"
    assert instance["version"]["key"] == "admission_public" and len(instance["version"]["sha256"]) == 64
    assert [t["bpmn_id"] for t in instance["tasks"]] == [
        "initial_review", "division_review", "leader_approval", "record_document", "sign_commitment"]
    assert "instance_completed" in [e["action"] for e in instance["events"]]

    found = client.get(f"{API}/experts", headers=h["talent_center"], query_string={"q": "林建华"}).get_json()
    assert found["total"] == 1
    expert = found["items"][0]
    assert expert["status"] == "active" and expert["certificate_no"] == "闽质安专聘〔2026〕0001号"
    assert expert["term_start"] == "2026-03-02" and expert["term_end"] == "2029-03-01"
    assert date.fromisoformat(expert["term_end"]) == date(2026 + 3, 3, 2) - timedelta(days=1)
    mine = client.get(f"{API}/applications/mine", headers=h["applicant"]).get_json()["items"]
    assert mine[0]["status"] == "admitted" and mine[0]["expert_id"] == expert["id"]


def test_invited_nomination_starts_and_reaches_division_review(client, session, users, h):
    body = {"form": application_form(), "reason": "急需电器检验领域专家"}
    response = client.post(f"{API}/processes/admission_invited/instances", headers=h["talent_center"], json=body)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"].endswith(f"/instances/{response.get_json()['instance_id']}")
    assert _my_task(client, h["quality_division"], "division_review")["process_key"] == "admission_invited"
    no_reason = client.post(f"{API}/processes/admission_invited/instances", headers=h["quality_division"],
                            json={"form": application_form(), "reason": " "})
    assert no_reason.status_code == 422 and "nomination_reason" in no_reason.get_json()["error"]["fields"]
    denied = client.post(f"{API}/processes/admission_invited/instances", headers=h["applicant"], json=body)
    assert denied.status_code == 403


def test_start_errors(client, session, users, h):
    unknown = client.post(f"{API}/processes/no_such_process/instances", headers=h["applicant"], json={"form": {}})
    assert unknown.status_code == 404 and unknown.get_json()["error"]["status"] == 404
    no_form = client.post(f"{API}/processes/admission_public/instances", headers=h["applicant"], json={"call_id": 1})
    assert no_form.status_code == 400
    no_call = client.post(f"{API}/processes/admission_public/instances", headers=h["applicant"],
                          json={"form": application_form()})
    assert no_call.status_code == 422 and "call_id" in no_call.get_json()["error"]["fields"]
    rejected = client.post(f"{API}/processes/admission_public/instances", headers=h["applicant"],
                           json={"call_id": make_call(session).id,
                                 "form": application_form(id_number="35010219750618", groups=[])})
    assert rejected.status_code == 422
    assert {"id_number", "groups"} <= set(rejected.get_json()["error"]["fields"])
    paper = client.post(f"{API}/processes/admission_public/instances", headers=h["applicant"],
                        json={"call_id": make_call(session).id, "form": application_form(), "paper": True})
    assert paper.status_code == 403
    assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_other_roles_get_403_and_unknown_ids_404(client, session, users, h):
    _submit(client, session, h["applicant"])
    task = _my_task(client, h["talent_center"], "initial_review")
    for role in ("applicant", "quality_division", "using_unit"):
        assert client.get(f"{API}/tasks/{task['id']}", headers=h[role]).status_code == 403
        forbidden = _complete(client, h[role], task["id"], INITIAL_PASS)
        assert forbidden.status_code == 403 and forbidden.get_json()["error"]["status"] == 403
        assert client.post(f"{API}/tasks/{task['id']}/claim", headers=h[role]).status_code == 403
    assert client.get(f"{API}/tasks", headers=h["quality_division"]).get_json()["total"] == 0
    for path in ("/tasks/999999", "/instances/999999", "/experts/999999"):
        assert client.get(API + path, headers=h["talent_center"]).status_code == 404, path
    assert _complete(client, h["talent_center"], 999999, INITIAL_PASS).status_code == 404
    assert client.get(f"{API}/instances/{task['instance_id']}", headers=h["using_unit"]).status_code == 403
    assert client.get(f"{API}/experts", headers=h["applicant"]).status_code == 403


def test_double_completion_is_409(client, session, users, h):
    _submit(client, session, h["applicant"])
    task = _my_task(client, h["talent_center"], "initial_review")
    assert _complete(client, h["talent_center"], task["id"], INITIAL_PASS).status_code == 200
    again = _complete(client, h["talent_center"], task["id"], INITIAL_PASS)
    assert again.status_code == 409 and again.get_json()["error"]["status"] == 409


def test_stale_lock_version_is_409_and_changes_nothing(client, session, users, h):
    _submit(client, session, h["applicant"])
    task = _my_task(client, h["talent_center"], "initial_review")
    lock = client.get(f"{API}/tasks/{task['id']}", headers=h["talent_center"]).get_json()["task"]["lock_version"]
    stale = _complete(client, h["talent_center"], task["id"], INITIAL_PASS, lock_version=lock - 1)
    assert stale.status_code == 409
    assert session.get(HumanTask, task["id"]).state == "open"
    typed = _complete(client, h["talent_center"], task["id"], INITIAL_PASS, lock_version="1")
    assert typed.status_code == 422 and "lock_version" in typed.get_json()["error"]["fields"]
    assert _complete(client, h["talent_center"], task["id"], INITIAL_PASS, lock_version=lock).status_code == 200


def test_malformed_json_is_400(client, session, users, h):
    _submit(client, session, h["applicant"])
    task = _my_task(client, h["talent_center"], "initial_review")
    url = f"{API}/tasks/{task['id']}/complete"
    for payload in ('{"data": {"decision": ', "[1, 2]", '"text"'):
        response = client.post(url, headers=h["talent_center"], data=payload, content_type="application/json")
        assert response.status_code == 400, payload
        assert set(response.get_json()["error"]) == {"status", "message"}
    assert client.post(url, headers=h["talent_center"], json={"data": ["decision", "pass"]}).status_code == 400
    assert client.post(url, headers=h["talent_center"], data={"decision": "pass"}).status_code == 400
    assert session.get(HumanTask, task["id"]).state == "open"


def test_invalid_data_is_422_with_field_errors_and_nothing_saved(client, session, users, h):
    _submit(client, session, h["applicant"])
    task = _my_task(client, h["talent_center"], "initial_review")
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    response = _complete(client, h["talent_center"], task["id"], {"decision": "maybe"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["status"] == 422 and {"decision", "credit_checked"} <= set(error["fields"])
    returned = _complete(client, h["talent_center"], task["id"], {"decision": "return", "credit_checked": True})
    assert set(returned.get_json()["error"]["fields"]) == {"comment"}
    session.expire_all()
    assert session.get(HumanTask, task["id"]).state == "open"
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert _my_task(client, h["talent_center"], "initial_review")["id"] == task["id"]


def test_claim_unclaim_and_inbox_filters(client, session, users, h):
    _submit(client, session, h["applicant"])
    task = _my_task(client, h["talent_center"], "initial_review")
    claimed = client.post(f"{API}/tasks/{task['id']}/claim", headers=h["talent_center"])
    assert claimed.status_code == 200 and claimed.get_json()["task"]["claimed_by"] == users["talent_center"].id
    other = make_user(session, "tc_other", "talent_center", unit_code="prov_talent")
    other_h = _headers(client, other.username)
    assert client.post(f"{API}/tasks/{task['id']}/claim", headers=other_h).status_code == 409
    assert _complete(client, other_h, task["id"], INITIAL_PASS).status_code == 409
    inbox = client.get(f"{API}/tasks", headers=h["talent_center"], query_string={"claimed": "mine"}).get_json()
    assert inbox["total"] == 1 and inbox["counts"]["total"] == 1
    assert inbox["counts"]["steps"][0]["bpmn_id"] == "initial_review"
    assert client.post(f"{API}/tasks/{task['id']}/unclaim", headers=other_h).status_code == 409
    assert client.post(f"{API}/tasks/{task['id']}/unclaim", headers=h["talent_center"]).status_code == 200
    assert client.get(f"{API}/tasks", headers=h["talent_center"],
                      query_string={"claimed": "mine"}).get_json()["total"] == 0
    for args in ({"sort": "random"}, {"claimed": "all"}, {"per_page": "201"}, {"page": "x"}):
        bad = client.get(f"{API}/tasks", headers=h["talent_center"], query_string=args)
        assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == set(args)


def _expert(session) -> Expert:
    expert = Expert(name="陈思远", gender="male", birth_date=date(1978, 1, 2), phone="13905918888",
                    id_number="35010219780102567X", email="csy@example.test", unit_name="福建省计量科学研究院",
                    rank_level="none", title_level="senior", field_years=15, work_history="计量检测",
                    specialties="计量；电器", status="active", term_start=date(2026, 1, 1),
                    term_end=date(2028, 12, 31), certificate_no="闽质安专聘〔2026〕0100号")
    session.add(expert)
    session.commit()
    return expert


def test_expert_pii_is_masked_for_using_unit(client, session, users, h):
    expert = _expert(session)
    listed = client.get(f"{API}/experts", headers=h["using_unit"], query_string={"specialty": "计量"}).get_json()
    assert listed["total"] == 1
    shown = client.get(f"{API}/experts/{expert.id}", headers=h["using_unit"]).get_json()
    for item in (listed["items"][0], shown):
        assert item["phone"] == "139****8888" and item["id_number"] == "3501**********567X"
        assert item["email"] is None and item["certificate_no"] == "闽质安专聘〔2026〕0100号"
    full = client.get(f"{API}/experts/{expert.id}", headers=h["talent_center"]).get_json()
    assert full["phone"] == "13905918888" and full["id_number"] == "35010219780102567X"
    assert client.get(f"{API}/experts", headers=h["using_unit"],
                      query_string={"per_page": "500"}).status_code == 422


def test_file_fields_take_uploaded_attachment_ids(client, session, users, h):
    sent = client.post(f"{API}/attachments", headers=h["applicant"],
                       data={"file": (io.BytesIO(b"%PDF-1.4 stamped opinion"), "单位意见.pdf", "application/pdf")},
                       content_type="multipart/form-data")
    assert sent.status_code == 201, sent.get_json()
    attachment_id = sent.get_json()["id"]
    started = _submit(client, session, h["applicant"], attachments=[attachment_id])
    assert session.get(Application, started["application_id"]).form["attachments"] == [attachment_id]


def test_upload_refuses_wrong_type_and_foreign_ids(client, session, users, h):
    fake = client.post(f"{API}/attachments", headers=h["applicant"],
                       data={"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "evil.pdf", "application/pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422 and "内容与类型不符" in fake.get_json()["error"]["fields"]["upload"]
    theirs = client.post(f"{API}/attachments", headers=h["talent_center"],
                         data={"file": (io.BytesIO(b"%PDF-1.4 x"), "x.pdf", "application/pdf")},
                         content_type="multipart/form-data").get_json()["id"]
    call = make_call(session)
    response = client.post(f"{API}/processes/admission_public/instances", headers=h["applicant"],
                           json={"call_id": call.id, "form": application_form(attachments=[theirs])})
    assert response.status_code == 422 and "attachments" in response.get_json()["error"]["fields"]
    assert session.query(Application).count() == 0
