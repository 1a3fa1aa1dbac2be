"""专家库 pages: search, pagination, PII masking by role, access."""

from datetime import date

from engine.experts.models import Expert, ExpertGroup, GroupMembership
from tests.support import T0, make_user
from tests.webui.test_ui_support import client_for, text_of


def _expert(session, i: int, **fields) -> Expert:
    values = dict(name=f"专家{i:03d}", gender="male", birth_date=date(1975, 1, 1), phone=f"1380591{i:04d}",
                  id_number=f"35010219750101{i:04d}", unit_name="福建省产品质量检验研究院", rank_level="none",
                  title_level="senior", field_years=10, work_history="检验", specialties="家用电器",
                  status="active", created_at=T0)
    values.update(fields)
    expert = Expert(**values)
    session.add(expert)
    session.flush()
    return expert


def test_pii_masked_for_using_unit_but_not_for_talent_center(app, session, users):
    expert = _expert(session, 1, phone="13805915678", id_number="350102197501011234", email="e@example.test")
    session.commit()
    for url in ("/experts", f"/experts/{expert.id}"):
        masked = text_of(client_for(app, users["using_unit"]).get(url))
        assert "专家001" in masked and "138****5678" in masked and "13805915678" not in masked
        full = text_of(client_for(app, users["talent_center"]).get(url))
        assert "13805915678" in full and "138****5678" not in full
    detail = text_of(client_for(app, users["using_unit"]).get(f"/experts/{expert.id}"))
    assert "3501**********1234" in detail and "350102197501011234" not in detail and "e@example.test" not in detail


def test_search_filters_and_pages(app, session, users):
    group = session.query(ExpertGroup).filter_by(code="risk_monitoring").one()
    for i in range(55):
        _expert(session, i)
    special = _expert(session, 100, name="陈风险", unit_name="厦门大学", specialties="儿童玩具", status="suspended")
    special.memberships = [GroupMembership(group_id=group.id, position="leader")]
    session.commit()
    tc = client_for(app, users["talent_center"])
    first = text_of(tc.get("/experts"))
    assert 'id="expert-total">56<' in first and first.count('data-expert-id="') == 50 and "第 1 / 2 页" in first
    assert text_of(tc.get("/experts?page=2")).count('data-expert-id="') == 6
    for query in ("q=厦门", "q=陈风险", "group=risk_monitoring", "specialty=玩具", "status=suspended"):
        page = text_of(tc.get(f"/experts?{query}"))
        assert page.count('data-expert-id="') == 1 and "陈风险" in page and "风险监控组（组长）" in page, query


def test_expert_pages_need_a_staff_role_or_self(app, session, users):
    expert = _expert(session, 7)
    session.commit()
    assert client_for(app, users["applicant"]).get("/experts").status_code == 403
    assert client_for(app, users["applicant"]).get(f"/experts/{expert.id}").status_code == 403
    own = make_user(session, "expert_self", "expert")
    expert.user_id = own.id
    session.commit()
    page = text_of(client_for(app, own).get(f"/experts/{expert.id}"))
    assert expert.phone in page  # experts see their own record unmasked
    assert client_for(app, users["talent_center"]).get("/experts/99999").status_code == 404
