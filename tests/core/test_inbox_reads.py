"""The inbox's split visibility (a UNION ALL of index range scans) returns exactly the rows the OR predicate did,
for users of every kind, and a page and its counts cost a fixed number of SQL statements."""

from datetime import timedelta

import pytest
from sqlalchemy import and_, event, or_, select

from engine.admission import services as admission
from engine.core import inbox
from engine.core.models import HumanTask
from engine.platform import policy
from engine.platform.models import User
from engine.tasks import services as task_service
from tests.admission.test_admission_paths import PASS
from tests.assignment_support import create, make_pool
from tests.support import PASSWORD, T0, application_form, id_number, make_call, make_user
from webui.extensions import db

RETURN = {"decision": "return", "credit_checked": "on", "checklist_ok": "", "comment": "请补正"}


def _old_visible_to(user):
    """The predicate as it was before the split (issue 14), kept here as the reference."""
    roles = set(user.roles)
    by_role = and_(HumanTask.assignee_id.is_(None), HumanTask.lane_role.in_(roles - policy.UNIT_SCOPED_ROLES))
    by_unit = and_(HumanTask.assignee_id.is_(None), HumanTask.lane_role.in_(roles & policy.UNIT_SCOPED_ROLES),
                   HumanTask.unit_id == user.unit_id)
    return or_(HumanTask.assignee_id == user.id, by_role, by_unit)


def _open_task(session, instance_id):
    return session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "open"))


@pytest.fixture()
def world(session, users):
    """Open tasks of every kind, made by the real flows: lane tasks (talent_center, quality_division), a task
    returned to its applicant (named assignee), drawn experts asked to confirm (named assignees, expert lane),
    and two using units' requests short of experts (unit-scoped lane, two units)."""
    call = make_call(session)
    apps = [admission.submit_public(session, users["applicant"] if i == 0 else make_user(
        session, f"applicant{i}", policy.APPLICANT), application_form(id_number=id_number(100 + i)), {}, T0, call.id)
        for i in range(4)]
    tc = users["talent_center"]
    task_service.complete(session, _open_task(session, apps[0].instance_id).id, tc, RETURN, {}, T0)
    task_service.complete(session, _open_task(session, apps[1].instance_id).id, tc, PASS, {}, T0)
    make_pool(session, 3)
    create(session, users["using_unit"], n_experts="2", n_backups="0")  # the drawn experts confirm
    xiamen = make_user(session, "xm_unit", policy.USING_UNIT, unit_code="xiamen")
    create(session, users["using_unit"], group_code="risk_monitoring")  # nobody to draw: the unit decides
    create(session, xiamen, group_code="risk_monitoring")
    both = make_user(session, "tc_and_unit", policy.TALENT_CENTER, policy.USING_UNIT, unit_code="xiamen")
    unitless = make_user(session, "unit_without_unit", policy.USING_UNIT)
    experts = list(session.scalars(select(HumanTask.assignee_id).where(
        HumanTask.bpmn_id == "confirm_availability", HumanTask.state == "open")))
    kinds = {**{k: users[k] for k in ("applicant", "talent_center", "quality_division", "using_unit", "auditor")},
             "xiamen unit": xiamen, "talent_center + using_unit": both, "using_unit without unit": unitless,
             "drawn expert": session.get(User, experts[0])}
    return kinds


def test_split_predicate_returns_exactly_the_rows_of_the_or(session, world):
    seen = {}
    for kind, user in world.items():
        old = set(session.scalars(select(HumanTask.id).where(HumanTask.state == "open", _old_visible_to(user))))
        split = [t.id for t in session.scalars(inbox.inbox_query(user, inbox.InboxFilter(), T0))]
        twin = {t.id for t in session.scalars(select(HumanTask).where(HumanTask.state == "open"))
                if inbox.can_act(user, t)}
        assert len(split) == len(set(split)), kind  # the parts are disjoint: no row twice
        assert set(split) == old == twin, kind
        counts = inbox.inbox_counts(session, user, T0)
        assert counts["total"] == len(old) == sum(step[4] for step in counts["steps"]), kind
        seen[kind] = len(old)
    # every kind of visibility is exercised: these users have tasks; no lane of the auditor's, no unit of one's own
    assert all(seen[k] for k in seen if k not in ("auditor", "using_unit without unit"))
    assert seen["auditor"] == seen["using_unit without unit"] == 0
    assert seen["talent_center + using_unit"] == seen["talent_center"] + seen["xiamen unit"]


def test_pages_filters_and_sorts_match_the_or(session, world):
    user = world["talent_center + using_unit"]
    later = T0 + timedelta(days=30)
    for flt in (inbox.InboxFilter(), inbox.InboxFilter(sort="-created"), inbox.InboxFilter(sort="due"),
                inbox.InboxFilter(process_key="assignment"), inbox.InboxFilter(overdue=True),
                inbox.InboxFilter(form_key="initial_review")):
        expected = list(session.scalars(
            select(HumanTask.id).where(HumanTask.state == "open", _old_visible_to(user),
                                       *inbox.filter_clauses(user, flt, later))
            .order_by(inbox.SORTS[flt.sort], HumanTask.id)))
        pages, page_no = [], 1
        while True:
            page = inbox.inbox_page(session, user, flt, later, page_no, 2)
            assert page.total == len(expected), flt
            pages += [t.id for t in page.items]
            if not page.has_next:
                break
            page_no += 1
        assert pages == expected, flt
        assert [t.id for t in session.scalars(inbox.inbox_query(user, flt, later))] == expected
    everything = set(session.scalars(select(HumanTask.id).where(HumanTask.state == "open", _old_visible_to(user))))
    past_the_end = inbox.inbox_page(session, user, inbox.InboxFilter(process_key="assignment"), T0, 99, 2)
    assert past_the_end.items == [] and past_the_end.total == len(
        [t for t in everything if session.get(HumanTask, t).process_key == "assignment"])
    assert inbox.inbox_page(session, user, inbox.InboxFilter(), T0, 99, 2).total == len(everything)


class Statements:
    """Counts the SQL statements sent while it is active."""

    def __init__(self):
        self.n = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        self.n += 1


def _token(client, username):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": "Bearer " + response.get_json()["token"]}


def _statements(client, url, headers=None) -> int:
    client.get(url, headers=headers or {})  # warm: first-request work is not the point
    with Statements() as seen:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return seen.n


def test_inbox_and_expert_list_cost_a_fixed_number_of_statements(client, session, users):
    """A page of 50 costs what a page of 2 does: no query per row (the expert list asked sees_pii per row and
    lazy-loaded per row: 62 statements for 50 experts), and the inbox reads its counts and page in two."""
    tc = users["talent_center"]
    headers = _token(client, tc.username)
    call = make_call(session)
    for i in range(2):
        admission.submit_public(session, make_user(session, f"a{i}", policy.APPLICANT),
                                application_form(id_number=id_number(200 + i)), {}, T0, call.id)
    make_pool(session, 2)
    small = {url: _statements(client, url, headers) for url in ("/api/v1/tasks", "/api/v1/experts")}
    for i in range(2, 52):
        admission.submit_public(session, make_user(session, f"a{i}", policy.APPLICANT),
                                application_form(id_number=id_number(200 + i)), {}, T0, call.id)
    make_pool(session, 50, prefix="池")
    large = {url: _statements(client, url, headers) for url in ("/api/v1/tasks", "/api/v1/experts")}
    assert large == small
    assert large["/api/v1/tasks"] <= 4  # token, user, counts, page
    assert large["/api/v1/experts"] <= 12  # auth, count, page, memberships, sees_pii, the PII-view event
    client.post("/login", data={"username": tc.username, "password": PASSWORD})
    assert _statements(client, "/experts") <= 14
    # user+session, counts, page, the sidebar's quick and saved-filter counts, follow-ups, the bulk bar's
    # matching count, the rows' facts, units, startable processes — none of them per row
    assert _statements(client, "/tasks") <= 11
