"""Every page, API route and export that shows someone else's phone, ID number, e-mail or address unmasked records
one `pii_viewed` event naming the page, the people and the fields; a masked showing, one's own data, or a page that
shows none records nothing (engine/platform/privacy). The world is made through the product's own flows."""

from datetime import UTC, datetime, timedelta

import pytest

from engine.platform import admin as accounts
from engine.platform import users as account_service
from engine.platform.models import User
from engine.renewal import services as renewals
from engine.renewal.models import RenewalCase
from tests.admission.admission_support import API, admit, api_headers
from tests.experts.roster_support import act
from tests.experts.roster_support import open_tasks as instance_tasks
from tests.support import make_call
from tests.webui.history_support import pii_events
from tests.webui.test_ui_support import client_for, text_of

NEW_PHONE, STAFF_PHONE = "13905910000", "13600000001"


@pytest.fixture
def world(app, session, users):
    """An admitted expert who renewed with a new phone (open at 质量监督处), and a staff account whose phone the
    administrator changed (the account log holds it)."""
    expert = admit(session, users, make_call(session))
    scan = datetime.combine(expert.term_end - timedelta(days=60), datetime.min.time(), UTC)
    renewals.renewal_scan_job(session, scan)
    case = session.query(RenewalCase).filter_by(expert_id=expert.id).one()
    renew = {"renew": "yes", "recommit": "on", "unit_name": expert.unit_name, "title": expert.title,
             "title_level": expert.title_level, "phone": NEW_PHONE}
    act(session, case.instance_id, session.get(User, expert.user_id), renew, "renewal_confirm", now=scan)
    (review,) = instance_tasks(session, case.instance_id)
    staff = account_service.create_user(session, users["admin"], scan, username="zhang_staff", display_name="张敏",
                                        password="Fjzj-2026-staff", roles=["using_unit"], unit_code="fuzhou",
                                        email="zhangmin@example.gov.cn", phone="13600000000")
    values = {"display_name": "张敏", "email": staff.email, "phone": STAFF_PHONE, "unit": "fuzhou",
              "roles": ["using_unit"]}
    accounts.update_user(session, users["admin"], staff.id, values, accounts.fingerprint(staff), scan)
    return {"expert": expert, "case": case, "review": review, "staff": staff}


def _get(app, user, url, api: bool = False):
    client = client_for(app, user)
    headers = api_headers(client, user) if api else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _recorded(session, before: int) -> list[dict]:
    return [e.data_after | {"actor_id": e.actor_id} for e in pii_events(session)[before:]]


def _unmasked(world, users):
    """(viewer role, url, API?, page the event names, subjects as (kind, id), fields)."""
    expert, case, review, staff = world["expert"], world["case"], world["review"], world["staff"]
    person, instance, account = ("expert", expert.id), ("instance", case.instance_id), ("user", staff.id)
    return [
        # recorded before this change: pinned so a regression shows
        ("talent_center", "/experts", False, "专家库列表", [person], ["email", "id_number", "phone"]),
        ("talent_center", f"/experts/{expert.id}", False, "专家详情", [person], ["email", "id_number", "phone"]),
        ("talent_center", f"{API}/experts", True, "接口：专家列表", [person], ["email", "id_number", "phone"]),
        ("talent_center", f"/experts/{expert.id}/recommendation.docx", False, "推荐表（DOCX）", [person],
         ["id_number", "phone"]),
        ("talent_center", f"/instances/{case.instance_id}", False, "流程历史", [instance], ["phone"]),
        ("talent_center", f"{API}/instances/{case.instance_id}", True, "接口：流程历史", [instance], ["phone"]),
        # the gaps this change closes
        ("admin", f"/admin/users/{staff.id}", False, "系统管理：账号", [account], ["email", "phone"]),
        ("admin", "/admin/log", False, "账号管理日志", [account], ["email", "phone"]),
        ("auditor", "/admin/log", False, "账号管理日志", [account], ["email", "phone"]),
        ("talent_center", "/experts/export.csv", False, "专家库导出（CSV）", [person], ["phone"]),
        ("talent_center", "/experts/export.xlsx", False, "专家库导出（XLSX）", [person], ["phone"]),
        ("talent_center", f"/yearly/renewals/{case.id}", False, "续聘事项", [person], ["phone"]),
        ("quality_division", f"/tasks/{review.id}", False, "任务办理", [instance], ["phone"]),
        ("quality_division", f"{API}/tasks/{review.id}", True, "接口：任务详情", [instance], ["phone"]),
    ]


def test_each_unmasked_showing_records_one_event_naming_the_page_people_and_fields(app, session, users, world):
    wrong = []  # every route checked, then every mismatch reported at once
    for role, url, api, page, subjects, fields in _unmasked(world, users):
        before = len(pii_events(session))
        _get(app, users[role], url, api)
        recorded = _recorded(session, before)
        expected = {"page": page, "fields": fields, "subjects": subjects, "actor_id": users[role].id}
        got = [{"page": e["page"], "fields": e["fields"], "subjects": [(s["kind"], s["id"]) for s in e["subjects"]],
                "actor_id": e["actor_id"]} for e in recorded]
        if got != [expected] or not all(s["name"] for e in recorded for s in e["subjects"]):
            wrong.append((url, got))
    assert not wrong, "\n".join(f"{url}: {got}" for url, got in wrong)


def test_masked_own_or_contact_free_showings_record_nothing(app, session, users, world):
    expert, case, staff = world["expert"], world["case"], world["staff"]
    own = session.get(User, expert.user_id)
    before = len(pii_events(session))
    renewal = text_of(_get(app, users["bureau_leader"], f"/yearly/renewals/{case.id}"))  # no PII flag
    assert "139****0000" in renewal and NEW_PHONE not in renewal
    exported = text_of(_get(app, users["bureau_leader"], "/experts/export.csv"))
    assert "138****2345" in exported and "13805912345" not in exported
    assert NEW_PHONE in text_of(_get(app, own, f"/yearly/renewals/{case.id}"))  # one's own data
    listing = text_of(_get(app, users["admin"], "/admin/users"))  # names and roles, no contact data
    assert "张敏" in listing and STAFF_PHONE not in listing
    _get(app, users["admin"], f"/admin/users/{users['admin'].id}")  # the administrator's own account
    _get(app, users["talent_center"], f"/experts/{expert.id}/history")
    _get(app, users["talent_center"], f"/experts/{expert.id}/history.xlsx")
    assert len(pii_events(session)) == before

    client = client_for(app, users["admin"])  # a refused edit shows the form again: not a new showing
    page = text_of(client.get(f"/admin/users/{staff.id}"))
    assert STAFF_PHONE in page
    shown = len(pii_events(session))
    refused = client.post(f"/admin/users/{staff.id}", data={"display_name": "", "fingerprint": "stale"})
    assert refused.status_code in (409, 422) and len(pii_events(session)) == shown


def test_the_auditors_list_names_the_page_and_the_people(app, session, users, world):
    _get(app, users["admin"], f"/admin/users/{world['staff'].id}")
    _get(app, users["talent_center"], f"/yearly/renewals/{world['case'].id}")
    listing = text_of(_get(app, users["auditor"], "/experts/pii-views"))
    assert "系统管理：账号" in listing and "张敏（zhang_staff）" in listing
    assert "续聘事项" in listing and world["expert"].name in listing
