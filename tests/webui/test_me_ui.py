"""Expert self-service (record, contact, declarations used by recusal, withdrawal) and the exit pages."""

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from engine.assignment.profiles import load_profiles
from engine.core.models import AuditEvent
from engine.exit.models import ExitCase
from engine.experts.models import Expert, ExpertDeclaration
from engine.renewal.models import RenewalCase
from rules.recusal import Party, RequestSpec, screen
from tests.experts.roster_support import expert_user, make_engagement, make_expert
from tests.support import T0
from tests.webui.test_ui_support import PDF, client_for, text_of

DECLARE = {"kind": "employment", "org_name": "福建某某电缆有限公司", "credit_code": "91350100ma3123456d",
           "start": "2019-01-01", "end": "2024-06-30", "note": ""}


@pytest.fixture()
def me(session, users):
    """An active expert with an account, one engagement."""
    user = expert_user(session, "linjianhua")
    expert = make_expert(session, "林建华", user=user)
    make_engagement(session, expert, users["using_unit"], date(2026, 1, 20), title="电线电缆监督抽查方案评审")
    return user, expert


def test_my_record_page_shows_term_engagements_and_forms(app, session, me):
    page = text_of(client_for(app, me[0]).get("/yearly/me"))
    assert "2025-03-10 至 2028-03-09" in page and "电线电缆监督抽查方案评审" in page
    for form_id in ("contact-form", "declaration-form", "withdraw-form"):
        start = page.index(f'id="{form_id}"')
        assert 'name="csrf_token"' in page[start:start + 400], form_id
    assert 'value="13805910' in page  # the contact form starts from the current data
    other = client_for(app, expert_user(session, "no_record"))
    assert other.get("/yearly/me").status_code == 404  # an expert role without a record


def test_contact_update_records_the_old_unit_as_a_past_employer(app, session, me):
    user, expert = me
    client = client_for(app, user)
    bad = client.post("/yearly/me/contact", data={"phone": "12345", "email": "x", "unit_name": "", "position": ""})
    assert bad.status_code == 422 and "请填写有效的手机号或固定电话" in text_of(bad)
    ok = client.post("/yearly/me/contact", data={"phone": "13905910000", "email": "new@example.test",
                                                "unit_name": "福建省计量科学研究院", "position": "所长"})
    assert ok.status_code == 302
    session.expire_all()
    expert = session.get(Expert, expert.id)
    assert (expert.phone, expert.unit_name, expert.position) == ("13905910000", "福建省计量科学研究院", "所长")
    past = session.scalar(select(ExpertDeclaration).where(ExpertDeclaration.expert_id == expert.id))
    assert (past.kind, past.org_name, past.end) == ("employment", "福建省产品质量检验研究院", T0.date())
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "expert_contact_updated"))
    assert event.data_after["changed"]["phone"] == ["已更新", "已更新"]  # no phone numbers in the audit log
    same = client.post("/yearly/me/contact", data={"phone": "13905910000", "email": "new@example.test",
                                                  "unit_name": "福建省计量科学研究院", "position": "所长"},
                       follow_redirects=True)
    assert "信息没有变化" in text_of(same)


def test_declarations_are_validated_and_used_by_recusal(app, session, me):
    user, expert = me
    client = client_for(app, user)
    bad = client.post("/yearly/me/declarations", data=DECLARE | {"credit_code": "123", "end": "2018-01-01"})
    assert bad.status_code == 422 and "统一社会信用代码应为18位" in text_of(bad)
    reversed_dates = client.post("/yearly/me/declarations", data=DECLARE | {"end": "2018-01-01"})
    assert reversed_dates.status_code == 422 and "结束日期不能早于开始日期" in text_of(reversed_dates)
    relative = client.post("/yearly/me/declarations", data=DECLARE | {"kind": "relative", "note": ""})
    assert relative.status_code == 422  # a relative needs the relation written down
    assert session.scalar(select(func.count()).select_from(ExpertDeclaration)) == 0
    assert client.post("/yearly/me/declarations", data=DECLARE).status_code == 302
    row = session.scalar(select(ExpertDeclaration))
    assert row.credit_code == "91350100MA3123456D"
    spec = RequestSpec(group="supervision_sampling", start=date(2026, 5, 1), end=date(2026, 5, 1),
                       parties=(Party("福建某某电缆有限公司", "91350100MA3123456D"),))
    eligible, exclusions = screen(load_profiles(session, [expert.id], "supervision_sampling"), spec, date(2026, 4, 1))
    assert eligible == [] and exclusions[0].code == "affiliated_with_party"  # recusal reads the declaration


def test_ending_a_declaration_keeps_it_and_only_the_owner_may(app, session, me):
    user, _ = me
    client = client_for(app, user)
    client.post("/yearly/me/declarations", data=DECLARE | {"end": ""})
    row = session.scalar(select(ExpertDeclaration))
    other = expert_user(session, "wangli")
    make_expert(session, "王丽", user=other)
    assert client_for(app, other).post(f"/yearly/me/declarations/{row.id}/end").status_code == 403
    assert client.post("/yearly/me/declarations/99999/end").status_code == 404
    assert client.post(f"/yearly/me/declarations/{row.id}/end").status_code == 302
    session.expire_all()
    assert session.get(ExpertDeclaration, row.id).end == T0.date()
    assert client.post(f"/yearly/me/declarations/{row.id}/end").status_code == 409


def test_withdrawal_request_opens_an_exit_case(app, session, users, me):
    user, expert = me
    client = client_for(app, user)
    missing = client.post("/yearly/me/withdraw", data={"reason": "工作调动"})
    assert missing.status_code == 422 and "本人确认申请退出专家库" in text_of(missing)
    done = client.post("/yearly/me/withdraw", data={"reason": "工作调动", "confirm": "on"})
    assert done.status_code == 302
    case = session.scalar(select(ExitCase))
    assert done.headers["Location"].endswith(f"/yearly/exits/{case.id}")
    assert (case.source, case.ground) == ("expert", "voluntary")
    own = text_of(client.get(f"/yearly/exits/{case.id}"))
    assert "人才开发中心审查" in own and "主动申请退出专家库" in own
    assert "您有正在办理的出库事项" in text_of(client.get("/yearly/me"))
    assert client.post("/yearly/me/withdraw", data={"reason": "x", "confirm": "on"}).status_code == 409
    other = expert_user(session, "wangli")
    make_expert(session, "王丽", user=other)
    assert client_for(app, other).get(f"/yearly/exits/{case.id}").status_code == 403
    staff = text_of(client_for(app, users["talent_center"]).get(f"/yearly/exits/{case.id}"))
    assert "去办理" in staff


def test_talent_center_exit_form_needs_evidence(app, session, users, me):
    _, expert = me
    tc = client_for(app, users["talent_center"])
    page = text_of(tc.get(f"/yearly/exits/new?expert_id={expert.id}"))
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page and f'value="{expert.id}"' in page
    data = {"expert_id": str(expert.id), "ground": "art15_4", "facts": "接受被检查企业宴请"}
    no_file = tc.post("/yearly/exits/new", data=data)
    assert no_file.status_code == 422 and "证据材料" in text_of(no_file)
    assert tc.post("/yearly/exits/new", data=data | {"expert_id": "99999",
                                                     "evidence": [(io.BytesIO(PDF), "证据.pdf", "application/pdf")]}
                   ).status_code == 422
    assert session.scalar(select(func.count()).select_from(ExitCase)) == 0
    done = tc.post("/yearly/exits/new", data=data | {"evidence": [(io.BytesIO(PDF), "证据.pdf", "application/pdf")]})
    assert done.status_code == 302
    case = session.scalar(select(ExitCase))
    assert case.ground == "art15_4" and len(case.evidence_ids) == 1
    assert client_for(app, users["quality_division"]).get("/yearly/exits/new").status_code == 403
    overview = text_of(tc.get("/yearly"))
    assert f"#{case.id}" in overview and "人才开发中心审查" in overview


def test_renewal_case_page_for_the_expert_and_staff(app, session, users):
    from engine.renewal import services as renewals

    user = expert_user(session, "wangli")
    expert = make_expert(session, "王丽", user=user, term_start=date(2023, 5, 2), term_end=date(2026, 5, 1))
    renewals.renewal_scan_job(session, T0)
    case_id = session.scalar(select(RenewalCase.id))
    own = text_of(client_for(app, user).get(f"/yearly/renewals/{case_id}"))
    assert "2023-05-02 至 2026-05-01" in own and "专家确认续聘并更新信息" in own and "去办理" in own
    assert "聘期 2026-05-01 届满续聘" in text_of(client_for(app, user).get("/yearly/me"))
    staff = text_of(client_for(app, users["talent_center"]).get("/yearly"))
    assert f"#{case_id}" in staff and expert.name in staff
    assert client_for(app, users["talent_center"]).get(f"/yearly/renewals/{case_id}").status_code == 200
    other = expert_user(session, "someone")
    make_expert(session, "某专家", user=other)
    assert client_for(app, other).get(f"/yearly/renewals/{case_id}").status_code == 403
    assert client_for(app, users["talent_center"]).get("/yearly/renewals/9999").status_code == 404
