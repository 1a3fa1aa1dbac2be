"""JSON API of the assignment capability and the verify-draw command."""

import pytest
from sqlalchemy import select

from engine.assignment.models import DrawRecordRow, WorkRequest
from tests.assignment_support import START, create, make_expert, make_pool
from tests.support import PASSWORD, make_user
from tests.webui.test_ui_support import count
from webui.cli import main as cli_main

API = "/api/v1"
BODY = {"title": "电热水器风险监测评审", "work_type": "risk_monitoring", "group_code": "supervision_sampling",
        "n_experts": 2, "n_backups": 1, "backups_first": True, "start_date": START.isoformat(),
        "end_date": START.isoformat(), "place": "厦门市思明区", "method": "random",
        "parties": [{"name": "厦门某某电器有限公司", "credit_code": "91350100MA3123456D"}]}


def _headers(client, user) -> dict:
    response = client.post(f"{API}/auth/token", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_create_show_and_verify(client, session, users):
    make_pool(session, 6)
    unit = _headers(client, users["using_unit"])
    response = client.post(f"{API}/requests", headers=unit, json=BODY)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["access"] == "full" and body["request"]["parties"][0]["credit_code"] == "91350100MA3123456D"
    draw = body["draw"]
    assert len(draw["record"]["rounds"][0]["picked"]) == 3 and draw["pool_size"] == 6
    assert [e["name"] is not None for e in body["engagements"]] == [True, True, True]
    shown = client.get(f"{API}/requests/{body['request']['id']}", headers=unit).get_json()
    assert shown["draw"]["candidates_sha256"] == draw["candidates_sha256"]
    verified = client.get(f"{API}/draws/{draw['id']}/verify", headers=unit)
    assert verified.status_code == 200 and verified.get_json()["match"] is True


def test_authorization_and_sealing(client, session, users):
    make_pool(session, 5)
    request = create(session, users["using_unit"])
    draw_id = session.scalar(select(DrawRecordRow.id))
    other = _headers(client, make_user(session, "xm_unit", "using_unit", unit_code="xiamen"))
    assert client.get(f"{API}/requests/{request.id}", headers=other).status_code == 403
    assert client.get(f"{API}/draws/{draw_id}/verify", headers=other).status_code == 403
    sealed = client.get(f"{API}/requests/{request.id}", headers=_headers(client, users["bureau_leader"])).get_json()
    assert sealed["access"] == "sealed" and "record" not in sealed["draw"] and sealed["exclusions"] == []
    assert all(e["name"] is None and e["expert_id"] is None for e in sealed["engagements"])
    auditor = client.get(f"{API}/requests/{request.id}", headers=_headers(client, users["auditor"])).get_json()
    assert auditor["access"] == "full" and "record" in auditor["draw"]
    assert client.get(f"{API}/requests/{request.id}").status_code == 401
    assert client.get(f"{API}/requests/999999", headers=other).status_code == 404
    assert client.get(f"{API}/draws/999999/verify", headers=other).status_code == 404


def test_create_errors(client, session, users):
    make_pool(session, 2)
    unit = _headers(client, users["using_unit"])
    bad = client.post(f"{API}/requests", headers=unit, json={**BODY, "parties": [{"name": "x", "credit_code": "123"}],
                                                             "end_date": "2026-01-01"})
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["fields"]
    assert "应为18位" in fields["parties"] and "end_date" in fields
    assert client.post(f"{API}/requests", headers=_headers(client, users["talent_center"]), json=BODY).status_code == 403
    assert client.post(f"{API}/requests", headers=unit, data="not json",
                       content_type="application/json").status_code == 400
    designated = client.post(f"{API}/requests", headers=unit, json={
        **BODY, "method": "external", "method_reason": "库内无此专业",
        "external_experts": [{"name": "王某", "unit": "某大学", "contact": "13900000000"}]})
    assert designated.status_code == 201 and designated.get_json()["request"]["status"] == "filing"
    assert count(session, WorkRequest) == 1


def test_designated_by_certificate_list(client, session, users):
    chosen = make_expert(session, "指定专家")
    response = client.post(f"{API}/requests", headers=_headers(client, users["using_unit"]), json={
        **BODY, "method": "designated", "method_reason": "熟悉该企业", "designated_experts": [chosen.certificate_no]})
    assert response.status_code == 201
    assert session.get(WorkRequest, response.get_json()["request"]["id"]).designated_expert_ids == [chosen.id]


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def test_verify_draw_command(runner, session, users):
    make_pool(session, 5)
    create(session, users["using_unit"])
    row = session.scalar(select(DrawRecordRow))
    ok = runner.invoke(cli_main, ["verify-draw", str(row.id)])
    assert ok.exit_code == 0 and ok.output.strip().endswith("match") and row.seed_hex in ok.output
    record = dict(row.record)
    record["candidates"] = record["candidates"][1:]
    row.record = record
    session.commit()
    bad = runner.invoke(cli_main, ["verify-draw", str(row.id)])
    assert bad.exit_code == 1 and "mismatch" in bad.output and "哈希" in bad.output
    missing = runner.invoke(cli_main, ["verify-draw", "999999"])
    assert missing.exit_code == 1
