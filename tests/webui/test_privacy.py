"""Privacy (issue 13): phone, ID number, e-mail masked except for the roles flagged sees_pii; every unmasked view
of someone else's personal data is one audit event (who, whose, where, when); the auditor lists them."""

from datetime import UTC, datetime, timedelta

from engine.renewal import services as renewals
from engine.renewal.models import RenewalCase
from tests.admission.admission_support import API, admit, api_headers
from tests.experts.roster_support import act
from tests.support import make_call
from tests.webui.history_support import pii_events
from tests.webui.test_ui_support import client_for, submit, text_of

PHONE, ID_NUMBER = "13805912345", "350102197506181233"  # tests.support.application_form


def test_application_page_masks_for_leaders_and_audits_each_unmasked_view(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    url = f"/applications/{application.id}"
    leader = text_of(client_for(app, users["bureau_leader"]).get(url))  # VIEW_APPLICATIONS, not sees_pii
    assert "138****2345" in leader and "3501**********1233" in leader and PHONE not in leader
    assert client_for(app, users["applicant"]).get(url).status_code == 200  # one's own data: no disclosure
    assert pii_events(session) == []

    center = text_of(client_for(app, users["talent_center"]).get(url))
    assert PHONE in center and ID_NUMBER in center
    (event,) = pii_events(session)  # one event per view, not per field
    assert event.actor_id == users["talent_center"].id and event.data_after == {
        "page": "申请详情", "fields": ["email", "id_number", "phone"],
        "subjects": [{"kind": "application", "id": application.id, "name": "林建华"}]}


def test_expert_pages_and_api_audit_unmasked_views_and_the_auditor_lists_them(app, session, users):
    expert = admit(session, users, make_call(session))
    leader = text_of(client_for(app, users["bureau_leader"]).get(f"/experts/{expert.id}"))
    assert "138****2345" in leader and PHONE not in leader
    own = client_for(app, session.get(type(users["admin"]), expert.user_id))
    assert PHONE in text_of(own.get(f"/experts/{expert.id}"))  # the expert themself
    assert pii_events(session) == []  # masked, or one's own: nothing recorded

    center = client_for(app, users["talent_center"])
    assert PHONE in text_of(center.get(f"/experts/{expert.id}"))
    assert PHONE in text_of(center.get("/experts"))
    headers = api_headers(center, users["talent_center"])
    assert center.get(f"{API}/experts/{expert.id}", headers=headers).get_json()["phone"] == PHONE
    assert [e.data_after["page"] for e in pii_events(session)] == ["专家详情", "专家库列表", "接口：专家详情"]
    assert all(e.data_after["subjects"] == [{"kind": "expert", "id": expert.id, "name": "林建华"}]
               for e in pii_events(session))

    listing = text_of(client_for(app, users["auditor"]).get("/experts/pii-views"))
    assert listing.count('class="viewer">tc_staff<') == 3 and "接口：专家详情" in listing
    assert "电子邮箱、身份证号、联系电话" in listing
    assert "个人信息查看记录" in text_of(client_for(app, users["auditor"]).get("/tasks"))  # in the auditor's menu
    assert "个人信息查看记录" not in text_of(client_for(app, users["talent_center"]).get("/tasks"))
    assert client_for(app, users["bureau_leader"]).get("/experts/pii-views").status_code == 403
    assert client_for(app, users["talent_center"]).get("/experts/pii-views").status_code == 403


def test_instance_history_masks_contact_data_from_roles_without_pii(app, session, users):
    expert = admit(session, users, make_call(session))
    scan = datetime.combine(expert.term_end - timedelta(days=60), datetime.min.time(), UTC)
    renewals.renewal_scan_job(session, scan)
    case = session.query(RenewalCase).filter_by(expert_id=expert.id).one()
    renew = {"renew": "yes", "recommit": "on", "unit_name": expert.unit_name, "title": expert.title,
             "title_level": expert.title_level, "phone": "13905910000"}
    act(session, case.instance_id, session.get(type(users["admin"]), expert.user_id), renew, "renewal_confirm",
        now=scan)
    url = f"/instances/{case.instance_id}"
    leader = text_of(client_for(app, users["bureau_leader"]).get(url))
    assert "139****0000" in leader and "13905910000" not in leader
    assert pii_events(session) == []
    assert "13905910000" in text_of(client_for(app, users["talent_center"]).get(url))
    (event,) = pii_events(session)
    assert (event.instance_id, event.data_after["page"], event.data_after["fields"]) == (
        case.instance_id, "流程历史", ["phone"])

    api = client_for(app, users["bureau_leader"])  # the API's instance history: the same masking, the same trace
    body = api.get(f"{API}/instances/{case.instance_id}", headers=api_headers(api, users["bureau_leader"]))
    confirm = next(e for e in body.get_json()["events"] if e["bpmn_id"] == "renewal_confirm")
    assert confirm["data_after"]["renewal_confirm"]["phone"] == "139****0000" and "13905910000" not in body.text
    center = client_for(app, users["talent_center"])
    body = center.get(f"{API}/instances/{case.instance_id}", headers=api_headers(center, users["talent_center"]))
    assert "13905910000" in body.text
    assert [e.data_after["page"] for e in pii_events(session)] == ["流程历史", "接口：流程历史"]
