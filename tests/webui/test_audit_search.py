"""审计检索: each filter narrows the events real flows wrote; counts, paging, sorting; bad input; who may search."""

import pytest
from sqlalchemy import func, select

from engine.admission.models import Application, PublicCall
from engine.core.errors import Forbidden
from engine.core.models import AuditEvent, ProcessInstance, ProcessVersion
from engine.platform import policy
from engine.tasks import search
from tests.admission.admission_support import admit
from tests.support import id_number, make_call, make_user
from tests.webui.audit_support import make_history, shown_ids, shown_rows, total_of
from tests.webui.test_ui_support import advance, client_for, submit, text_of


def _ids(client, query: str = "") -> list[int]:
    response = client.get(f"/audit/events?per_page=100&{query}")
    assert response.status_code == 200, text_of(response)
    html = text_of(response)
    ids = shown_ids(html)
    assert total_of(html) == len(ids)  # under 100 rows: one page holds them all
    return ids


def _events(session, *where) -> list[int]:
    """The ids of the events the flows wrote that satisfy `where` (the expected answer, read with SQL)."""
    query = (select(AuditEvent.id).outerjoin(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id)
             .outerjoin(ProcessVersion, ProcessVersion.id == AuditEvent.version_id).where(*where))
    return sorted(session.scalars(query), reverse=True)


@pytest.fixture()
def history(session, users):
    return make_history(session, users)


def test_each_filter_narrows_to_exactly_the_matching_events(app, session, users, history):
    auditor = client_for(app, users["auditor"])
    everything = _ids(auditor)
    assert everything == _events(session)
    admission_id, request_instance = history.application.instance_id, history.request.instance_id
    version = session.get(ProcessInstance, admission_id).version.version
    expected = {
        "process_key=admission_public": _events(session, ProcessInstance.process_key == "admission_public"),
        f"process_key=admission_public&version={version}": _events(
            session, ProcessInstance.process_key == "admission_public", ProcessVersion.version == version),
        f"unit_id={users['using_unit'].unit_id}": _events(session, ProcessInstance.unit_id == users["using_unit"].unit_id),
        "actor=tc_staff": _events(session, AuditEvent.actor_name.contains("tc_staff")),
        "step=initial_review": _events(session, AuditEvent.bpmn_id == "initial_review"),
        "action=draw_round": _events(session, AuditEvent.action == "draw_round"),
        "outcome=running": _events(session, ProcessInstance.status == "running"),
        "q=林建华": _events(session, AuditEvent.instance_id == admission_id),
        "date_from=2026-03-02&date_to=2026-03-02": everything,  # T0 is 2026-03-02 09:00 in Shanghai
        "date_from=2026-03-03": [],
        "date_to=2026-03-01": [],
        f"expert_id={history.confirmed.id}": _events(session, AuditEvent.instance_id == request_instance),
    }
    for query, ids in expected.items():
        shown = _ids(auditor, query)
        assert shown == ids, query
        assert len(shown) < len(everything) or query.startswith("date_from=2026-03-02"), query
    assert expected["action=draw_round"] and expected["step=initial_review"] and expected["actor=tc_staff"]
    own = _events(session, AuditEvent.actor_id == history.confirmed.user_id)
    assert own and set(own) <= set(expected[f"expert_id={history.confirmed.id}"])  # their own answer is in


def test_counts_paging_and_sorting(app, session, users, history):
    call = session.get(Application, history.application.id).call_id
    for n in range(6):  # more cases through the same flow: enough events for three pages of ten
        more = submit(session, make_user(session, f"applicant{n}", "applicant"), session.get(PublicCall, call),
                      id_number=id_number(n + 2))
        advance(session, users, more, "leader_approval")
    auditor = client_for(app, users["auditor"])
    total = session.scalar(select(func.count()).select_from(AuditEvent))
    assert total > 20
    first = text_of(auditor.get("/audit/events?per_page=10"))
    assert total_of(first) == total and len(shown_ids(first)) == 10 and "第 1 / " in first
    pages = [shown_ids(text_of(auditor.get(f"/audit/events?per_page=10&page={p}"))) for p in range(1, total // 10 + 2)]
    seen = [i for page in pages for i in page]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == total  # newest first, no gaps
    oldest_first = _ids(auditor, "sort=at&order=asc")
    assert oldest_first == sorted(seen)
    by_action = shown_rows(text_of(auditor.get("/audit/events?per_page=100&sort=action&order=asc")))
    actions = [row[3] for row in by_action]
    runs = [a for i, a in enumerate(actions) if i == 0 or actions[i - 1] != a]
    assert len(runs) == len(set(runs)) > 1  # each action's rows together
    counts = search.search(session, users["auditor"], search.parse({}))["by_action"]
    assert sum(counts.values()) == total and counts == {a: actions.count(a) for a in set(actions)}
    page = text_of(auditor.get("/audit/events"))
    assert all(f"{a} {n}" in page for a, n in counts.items())


@pytest.mark.parametrize("query, message", [
    ("expert_id=abc", "请填写正整数"), ("date_from=2026-13-01", "日期格式应为 YYYY-MM-DD"),
    ("date_from=2026-03-05&date_to=2026-03-01", "截止日期不能早于起始日期"), ("outcome=weird", "未知的实例状态"),
    ("sort=hash", "未知的排序方式"), ("per_page=7", "每页条数只能是"), ("expert_id=999999", "专家不存在"),
])
def test_bad_filters_are_refused_in_chinese_and_change_nothing(app, session, users, history, query, message):
    auditor = client_for(app, users["auditor"])
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    page = auditor.get(f"/audit/events?{query}")
    assert page.status_code == 422 and message in text_of(page)
    export = auditor.get(f"/audit/events/export.csv?{query}")
    assert export.status_code == 422 and message in text_of(export)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_only_roles_that_see_drawn_names_may_search(app, session, users, history):
    """Art 13: a search by expert or actor would show a role that sees requests sealed who was drawn."""
    assert policy.SEARCH_AUDIT.roles <= policy.SEE_DRAWN_NAMES.roles
    expert_query = f"/audit/events?expert_id={history.confirmed.id}"
    for role in ("admin", "bureau_leader", "quality_division", "using_unit", "applicant", "process_owner"):
        client = client_for(app, users[role])
        assert client.get(expert_query).status_code == 403, role
        assert client.get("/audit/events/export.xlsx").status_code == 403, role
        with pytest.raises(Forbidden):
            search.search(session, users[role], search.parse({"expert_id": str(history.confirmed.id)}))
    talent_center = text_of(client_for(app, users["talent_center"]).get(expert_query))
    assert history.confirmed.name in talent_center  # the expert's own answer, by name: they see names


def test_expert_filter_finds_the_admission_that_made_the_expert_and_not_a_namesake_prefix(app, session, users):
    call = make_call(session)
    expert = admit(session, users, call)  # every admission step: the flow writes the expert row
    other = submit(session, make_user(session, "applicant_x", "applicant"), call, name=f"{expert.name}华",
                   id_number=id_number(9))
    advance(session, users, other, "division_review")
    admission_instance = session.scalar(select(Application.instance_id).where(Application.expert_id == expert.id))
    shown = _ids(client_for(app, users["auditor"]), f"expert_id={expert.id}")
    assert shown == _events(session, AuditEvent.instance_id == admission_instance)
    assert len(shown) > 4
