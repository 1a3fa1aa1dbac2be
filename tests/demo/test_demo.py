"""The demo data set: every role has an account, Art 9 posts, applications at every step, idempotent."""

import re
import time
from collections import Counter

from sqlalchemy import func, select

from demo.data import id_check_digit
from demo.seed import ACCOUNTS, DEMO_PASSWORD, seed
from engine.admission.models import Application, PublicCall
from engine.core.audit import verify_chain
from engine.core.models import HumanTask
from engine.experts.models import DishonestyEntry, Expert, ExpertGroup, GroupMembership
from engine.experts.reference import ROLES
from engine.platform.models import User
from engine.platform.passwords import check_password
from tests.support import T0


def _open_tasks(session) -> Counter:
    rows = session.execute(select(HumanTask.process_key, HumanTask.bpmn_id).where(HumanTask.state == "open")).all()
    return Counter(rows)


def test_seed_creates_accounts_pool_and_applications(session):
    started = time.perf_counter()
    result = seed(session, T0, expert_count=60)
    assert time.perf_counter() - started < 10

    users = {u.username: u for u in session.scalars(select(User))}
    assert [r[0] for r in result] == [a[0] for a in ACCOUNTS]
    held = set().union(*(u.roles for u in users.values()))
    assert {code for code, _, _ in ROLES if code != "system"} <= held
    assert check_password(users["talent"].password_hash, DEMO_PASSWORD)
    assert users["talent"].password_hash == users["admin"].password_hash  # hashed once, reused
    assert users["fzunit"].unit.code == "fuzhou" and users["xmunit"].unit.code == "xiamen"
    assert dict((r[0], r[2]) for r in result)["expert1"].endswith("专家")

    expert1 = session.scalar(select(Expert).where(Expert.user_id == users["expert1"].id))
    assert expert1 is not None and expert1.status == "active" and "expert" in users["expert1"].roles
    assert session.scalar(select(Expert).where(Expert.user_id == users["groupleader"].id)) is not None

    calls = session.scalars(select(PublicCall)).all()
    assert sorted(c.is_open(T0) for c in calls) == [False, True]


def test_pool_is_realistic_and_art9_posts_are_filled(session):
    seed(session, T0, expert_count=60)
    experts = session.scalars(select(Expert)).all()
    assert 60 <= len(experts) <= 61  # plus expert1, admitted through the flow
    ids = [e.id_number for e in experts]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"35\d{15}[\dX]", i) and id_check_digit(i[:17]) == i[17] for i in ids)
    assert all(re.fullmatch(r"1[3-9]\d{9}", e.phone) for e in experts)
    certificates = [e.certificate_no for e in experts]
    assert len(set(certificates)) == len(certificates)
    assert all(re.fullmatch(r"闽质安专聘〔\d{4}〕\d{4}号", c) for c in certificates)
    assert all(1 <= len(e.memberships) <= 3 for e in experts)
    assert {e.status for e in experts} >= {"active"}
    assert any(0 <= (e.term_end - T0.date()).days <= 60 for e in experts)

    for group in session.scalars(select(ExpertGroup).where(ExpertGroup.active)):
        positions = Counter(session.scalars(select(GroupMembership.position)
                                            .where(GroupMembership.group_id == group.id)))
        assert positions["leader"] == 1, group.name
        assert 2 <= positions["deputy"] <= 3, group.name
    posted = session.execute(select(GroupMembership.expert_id).where(GroupMembership.position != "member")).all()
    assert len(posted) == len(set(posted))  # one post per person
    assert session.scalar(select(func.count()).select_from(DishonestyEntry)) >= 3


def test_applications_wait_at_every_step(session):
    seed(session, T0, expert_count=60)
    tasks = _open_tasks(session)
    public = {bpmn_id: n for (key, bpmn_id), n in tasks.items() if key == "admission_public"}
    assert public["initial_review"] >= 1
    assert public["correct_application"] == 1
    assert public["division_review"] >= 1
    assert public["leader_approval"] >= 2
    assert public["record_document"] >= 1
    assert public["sign_commitment"] >= 1
    assert tasks[("admission_invited", "division_review")] == 1

    statuses = Counter(session.scalars(select(Application.status)))
    assert statuses["admitted"] == 1 and statuses["rejected"] >= 1 and statuses["returned"] == 1
    assert statuses["awaiting_commitment"] == 1
    returned = session.scalar(select(HumanTask).where(HumanTask.bpmn_id == "correct_application",
                                                      HumanTask.state == "open"))
    applicant = session.scalar(select(User).where(User.username == "applicant"))
    assert returned.assignee_id == applicant.id
    assert verify_chain(session) is None


def test_seed_twice_does_not_duplicate(session):
    first = seed(session, T0, expert_count=60)
    counts = [session.scalar(select(func.count()).select_from(m)) for m in (User, Expert, Application, HumanTask)]
    second = seed(session, T0, expert_count=60)
    assert first == second
    assert [session.scalar(select(func.count()).select_from(m)) for m in (User, Expert, Application, HumanTask)] \
        == counts
