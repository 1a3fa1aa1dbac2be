"""The route × role matrix's world (no tests here): one database seeded through the real services.

Every role has a user; for each kind of object the matrix substitutes into a route there is, per role, an
object of its own (where the role can own one) and one that is not its own: another unit's request, another
expert's engagement, evaluation, exit case, renewal, declaration, another applicant's application, a task in
another lane or unit. Applications, requests, draws, evaluations, renewals, exits and group changes go through
the services that production uses, so the workflow state, inbox and audit chain are what a real server holds.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, text

from engine.admission import services as admission
from engine.admission.models import Application
from engine.assignment import services as assignment
from engine.assignment.models import DrawRecordRow
from engine.core.db import Base
from engine.core.models import HumanTask, ProcessVersion
from engine.deploy import drafts
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from engine.exit import services as exits
from engine.exit.models import ExitCase
from engine.experts import selfservice
from engine.experts.models import Engagement, ExpertGroup
from engine.groups import services as groups
from engine.platform import policy
from engine.platform.models import Attachment, User
from engine.renewal import services as renewals
from engine.renewal.models import RenewalCase
from engine.tasks import inbox_prefs
from engine.tasks import services as task_service
from tests.assignment_support import create, fixed_rng
from tests.experts.roster_support import DEC1, expert_user, make_expert
from tests.support import T0, application_form, id_number, make_call, make_user
from tests.webui.test_ui_support import advance, pdf

REFERENCE_TABLES = {"role", "unit", "expert_group", "process_version", "alembic_version"}
DECLARATION = {"kind": "employment", "org_name": "福建某某电缆有限公司", "credit_code": "91350100ma3123456d",
               "start": "2019-01-01", "end": "", "note": ""}
TERM_ENDING = date(2027, 1, 15)  # within the renewal window on 1 December 2026


@dataclass
class World:
    """Users per role and object ids per kind: own[kind][role], foreign[kind][role or "*"], single[kind]."""

    users: dict = field(default_factory=dict)  # role -> the user who plays it
    own: dict = field(default_factory=dict)
    foreign: dict = field(default_factory=dict)
    foreign_label: dict = field(default_factory=dict)  # kind -> {role or "*": "another unit's" ...}
    single: dict = field(default_factory=dict)  # objects nobody owns (drafts, versions, group changes, ...)

    def own_id(self, kind: str, role: str):
        """The role's own object of a kind, or None when the role cannot own one."""
        return self.own.get(kind, {}).get(role)

    def foreign_id(self, kind: str, role: str):
        """An object of the kind that is not the role's own (another unit's, expert's, applicant's, lane's)."""
        table = self.foreign.get(kind, {})
        return table.get(role, table.get("*"))

    def label(self, kind: str, role: str) -> str:
        """What the foreign object is to this role, for failure messages and the summary."""
        table = self.foreign_label.get(kind, {})
        return table.get(role, table.get("*", "another's"))


def wipe(session) -> None:
    """Delete every non-reference row (the same reset the `session` fixture does after each test)."""
    session.rollback()
    for table in reversed(Base.metadata.sorted_tables):
        if table.name == "app_user":
            session.execute(text("DELETE FROM process_version WHERE source != 'shipped'"))
        if table.name not in REFERENCE_TABLES:
            session.execute(table.delete())
    session.commit()


def _open(session, instance_id: int, bpmn_id: str | None = None) -> list[HumanTask]:
    session.expire_all()
    query = select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "open")
    if bpmn_id:
        query = query.where(HumanTask.bpmn_id == bpmn_id)
    return list(session.scalars(query.order_by(HumanTask.id)))


def _one(session, instance_id: int, bpmn_id: str) -> HumanTask:
    rows = _open(session, instance_id, bpmn_id)
    assert len(rows) == 1, (instance_id, bpmn_id, [r.bpmn_id for r in _open(session, instance_id)])
    return rows[0]


def _attachment(session, app: Application) -> int:
    return session.scalar(select(Attachment.id).where(Attachment.application_id == app.id).order_by(Attachment.id))


def _applications(session, w: World, staff: dict) -> None:
    """Applications at four steps: signing (applicant A), division review (applicant B), initial review and
    leader approval (paper forms entered by talent_center)."""
    call = make_call(session)
    a_user, b_user, tc = w.users["applicant"], staff["applicant_b"], w.users["talent_center"]
    app_a = admission.submit_public(session, a_user, application_form(), {"attachments": [pdf()]}, T0, call.id)
    signing = advance(session, staff, app_a, "sign_commitment")
    app_b = admission.submit_public(session, b_user, application_form(name="王秀英", id_number=id_number(2)),
                                    {"attachments": [pdf()]}, T0, call.id)
    division = advance(session, staff, app_b, "division_review")
    paper_1 = admission.submit_public(session, tc, application_form(name="郑立新", id_number=id_number(3)),
                                      {"attachments": [pdf()]}, T0, call.id, paper=True)
    initial = advance(session, staff, paper_1, "initial_review")
    paper_2 = admission.submit_public(session, tc, application_form(name="黄海峰", id_number=id_number(4)),
                                      {"attachments": [pdf()]}, T0, call.id, paper=True)
    approval = advance(session, staff, paper_2, "leader_approval")

    w.own["application"] = {"applicant": app_a.id, "talent_center": paper_1.id}
    w.foreign["application"] = {"*": app_b.id}
    w.foreign_label["application"] = {"*": "another applicant's"}
    w.own["attachment"] = {"applicant": _attachment(session, app_a), "talent_center": _attachment(session, paper_1)}
    w.foreign["attachment"] = {"*": _attachment(session, app_b)}
    w.foreign_label["attachment"] = {"*": "another applicant's"}
    w.own["task"] = {"applicant": signing.id, "talent_center": initial.id, "quality_division": division.id,
                     "bureau_leader": approval.id}
    w.foreign["task"] = {"*": initial.id, "talent_center": division.id}
    w.foreign_label["task"] = {"*": "another lane's"}
    w.own["instance"] = {"applicant": app_a.instance_id, "talent_center": paper_1.instance_id}
    w.foreign["instance"] = {"applicant": app_b.instance_id}


def _pool(session, w: World) -> dict:
    """Two groups, each with a leader (expert + group_leader) and members with accounts; distinct units."""
    gl_a = expert_user(session, "m_leader_a", policy.GROUP_LEADER)
    gl_b = expert_user(session, "m_leader_b", policy.GROUP_LEADER)
    experts = {
        "gl_a": make_expert(session, "组长甲", user=gl_a, position="leader", unit_name="厦门市产品质量监督检验院"),
        "gl_b": make_expert(session, "组长乙", user=gl_b, groups=("risk_monitoring",), position="leader",
                            unit_name="泉州市产品质量检验所"),
    }
    for i, name in enumerate(("专家甲", "专家乙", "专家丙")):
        user = expert_user(session, f"m_expert_{i}")
        experts[f"s{i}"] = make_expert(session, name, user=user, term_end=TERM_ENDING, unit_name=f"第{i}检验院")
    for i, name in enumerate(("专家丁", "专家戊")):
        user = expert_user(session, f"m_expert_r{i}")
        experts[f"r{i}"] = make_expert(session, name, user=user, groups=("risk_monitoring",),
                                       unit_name=f"第{i}监测中心")
    w.users["group_leader"] = gl_a
    return experts


def _requests(session, w: World, xm_user, experts: dict) -> dict:
    """Drawn requests of Fuzhou (group S) and Xiamen (group R); two requests in an empty group, each
    waiting on its unit's shortfall decision."""
    fz = w.users["using_unit"]
    r_fz = create(session, fz, rng=fixed_rng(7))
    r_xm = create(session, xm_user, rng=fixed_rng(9), group_code="risk_monitoring", n_experts="1",
                  title="电动自行车锂电池风险监测评审", parties="厦门某某电池有限公司")
    short_fz = create(session, fz, rng=fixed_rng(3), group_code="post_license", title="证后检查（福州）")
    short_xm = create(session, xm_user, rng=fixed_rng(5), group_code="post_license", title="证后检查（厦门）")
    session.expire_all()
    asked = _open(session, r_fz.instance_id, "confirm_availability")
    pure = [experts[k] for k in ("s0", "s1", "s2")]
    me = next(e for e in pure if any(t.assignee_id == e.user_id for t in asked))
    rows = list(session.scalars(select(Engagement).where(Engagement.request_id == r_fz.id).order_by(Engagement.id)))
    mine = next(r for r in rows if r.expert_id == me.id)
    theirs = next(r for r in rows if r.expert_id in {e.id for e in pure} - {me.id})
    other = next(e for e in pure if e.id == theirs.expert_id)
    xm_engagement = session.scalar(select(Engagement.id).where(Engagement.request_id == r_xm.id))
    my_task = next(t for t in asked if t.assignee_id == me.user_id)
    their_task = next(t for t in asked if t.assignee_id != me.user_id)
    draws = dict(session.execute(select(DrawRecordRow.request_id, DrawRecordRow.id)).all())

    w.users["expert"] = session.get(User, me.user_id)
    w.own["request"] = {"using_unit": r_fz.id, "expert": r_fz.id}
    w.foreign["request"] = {"*": r_xm.id}
    w.foreign_label["request"] = {"*": "another unit's"}
    w.own["draw"] = {"using_unit": draws[r_fz.id], "expert": draws[r_fz.id]}
    w.foreign["draw"] = {"*": draws[r_xm.id]}
    w.foreign_label["draw"] = {"*": "another unit's"}
    # The export holds the seed and the candidates: the drawn expert's own request's is sealed from them (Art 13).
    w.own["draw_export"] = {"using_unit": draws[r_fz.id]}
    w.foreign["draw_export"] = {"*": draws[r_xm.id], "expert": draws[r_fz.id]}
    w.foreign_label["draw_export"] = {"*": "another unit's", "expert": "the expert's own request's (sealed)"}
    w.own["engagement"] = {"using_unit": mine.id, "expert": mine.id}
    w.foreign["engagement"] = {"*": xm_engagement, "expert": theirs.id}
    w.foreign_label["engagement"] = {"*": "another unit's", "expert": "another expert's"}
    shortfall_fz = _one(session, short_fz.instance_id, "shortfall_decision")
    shortfall_xm = _one(session, short_xm.instance_id, "shortfall_decision")
    w.own["assignment_task"] = {"expert": my_task.id, "using_unit": shortfall_fz.id}
    w.foreign["assignment_task"] = {"*": shortfall_xm.id, "expert": their_task.id}
    w.foreign_label["assignment_task"] = {"*": "another unit's", "expert": "another expert's"}
    w.own["task"] |= {"expert": my_task.id, "using_unit": shortfall_fz.id}
    w.foreign["task"] |= {"expert": their_task.id, "using_unit": shortfall_xm.id}
    w.foreign_label["task"] |= {"expert": "another expert's", "using_unit": "another unit's"}
    # An assignment instance's history names the drawn experts: only the requesting unit, talent_center and
    # auditors open it (Art 13, tests/assignment/test_sealed_walk.py); the matrix's instances are therefore the
    # unit's own request and, as another's, an admission case (the expert's own is their withdrawal, below).
    w.own["instance"] |= {"using_unit": r_fz.instance_id}
    w.foreign["instance"] |= {"*": w.foreign["instance"]["applicant"]}
    w.foreign_label["instance"] = {"*": "another applicant's"}
    return {"me": me, "other": other, "r_fz": r_fz, "r_xm": r_xm}


def _workbench(session, w: World, qd, leader, owner) -> None:
    version = session.scalar(select(ProcessVersion).where(ProcessVersion.process_key == "admission_public")
                             .order_by(ProcessVersion.version.desc()))
    draft = drafts.create_from_version(session, owner, version.id, T0)
    dead = drafts.create_from_version(session, owner, version.id, T0)
    drafts.abandon(session, owner, dead.id, T0)
    group = session.scalar(select(ExpertGroup).where(ExpertGroup.code == "quality_assistance"))
    change = groups.propose(session, qd, "rename", {"group_id": str(group.id), "name": "质量帮扶服务组",
                                                     "reason": "按新的职能划分调整组名"}, T0)
    delegation = assignment.grant_delegation(session, leader, "cancellation", date(2026, 3, 1), date(2026, 12, 31),
                                             "", T0)
    assignment.revoke_delegation(session, leader, delegation.id, T0)
    w.single |= {"version": version.id, "draft": draft.id, "abandoned_draft": dead.id, "change": change.id,
                 "delegation": delegation.id, "incident": 999999, "process": "admission_public", "year": 2026}


def _declarations(session, w: World, me_user, other_user) -> None:
    ids = {}
    for key, user in (("me", me_user), ("other", other_user)):
        row = selfservice.add_declaration(session, user, DECLARATION, T0)
        selfservice.end_declaration(session, user, row.id, T0)  # ending it again is a 409: nothing changes
        ids[key] = row.id
    w.own["declaration"] = {"expert": ids["me"]}
    w.foreign["declaration"] = {"*": ids["other"]}
    w.foreign_label["declaration"] = {"*": "another expert's"}


def _yearly(session, w: World, experts: dict, me, other, tc) -> None:
    """December: the campaign (two forms finalized, one waiting on leader A), renewals and withdrawals."""
    campaign.year_end_job(session, DEC1)
    forms = {e: session.scalar(select(Evaluation).where(Evaluation.expert_id == e.id)) for e in experts.values()}
    gl_a, gl_b = w.users["group_leader"], session.get(User, experts["gl_b"].user_id)
    for expert in (me, other):
        form = forms[expert]
        rater = gl_a if form.rater_user_id == gl_a.id else gl_b
        task_service.complete(session, _one(session, form.instance_id, "group_leader_rating").id, rater,
                              {"rating": "good", "opinion": "按时参加评审"}, {}, DEC1)
        task_service.complete(session, _one(session, form.instance_id, "center_evaluation").id, tc,
                              {"overall_rating": "good", "opinion": "同意专家组评价"}, {}, DEC1)
    pending = next(forms[e] for e in experts.values() if e not in (me, other) and forms[e].rater_user_id == gl_a.id)
    foreign = next(forms[e] for e in experts.values() if forms[e].rater_user_id == gl_b.id)
    w.own["evaluation"] = {"expert": forms[me].id, "group_leader": pending.id}
    w.foreign["evaluation"] = {"*": forms[other].id, "group_leader": foreign.id}
    w.foreign_label["evaluation"] = {"*": "another expert's", "group_leader": "another group's"}
    rating = _one(session, pending.instance_id, "group_leader_rating")
    foreign_rating = _one(session, foreign.instance_id, "group_leader_rating")
    w.own["task"]["group_leader"] = rating.id
    w.foreign["task"]["group_leader"] = foreign_rating.id
    w.foreign_label["task"]["group_leader"] = "another group's"
    w.own["instance"]["group_leader"] = pending.instance_id
    w.foreign["instance"]["group_leader"] = foreign.instance_id
    w.foreign_label["instance"]["group_leader"] = "another group's"

    renewals.renewal_scan_job(session, DEC1)
    session.expire_all()
    cases = dict(session.execute(select(RenewalCase.expert_id, RenewalCase.id)).all())
    w.own["renewal"] = {"expert": cases[me.id]}
    w.foreign["renewal"] = {"*": cases[other.id]}
    w.foreign_label["renewal"] = {"*": "another expert's"}
    for expert in (me, other):
        exits.request_withdrawal(session, session.get(User, expert.user_id),
                                 {"reason": "工作调动", "confirm": "on"}, DEC1)
    session.expire_all()
    cases = dict(session.execute(select(ExitCase.expert_id, ExitCase.id)).all())
    w.own["instance"]["expert"] = session.get(ExitCase, cases[me.id]).instance_id  # started by the expert
    w.own["exit_case"] = {"expert": cases[me.id]}
    w.foreign["exit_case"] = {"*": cases[other.id]}
    w.foreign_label["exit_case"] = {"*": "another expert's"}
    w.own["expert"] = {"expert": me.id, "group_leader": experts["gl_a"].id}
    w.foreign["expert"] = {"*": other.id}
    w.foreign_label["expert"] = {"*": "another expert's"}


def seed_world(session) -> World:
    """Seed the world (about a second on SQLite) and return who owns what."""
    w = World()
    units = {"talent_center": "prov_talent", "quality_division": "prov_quality", "bureau_leader": "prov_office",
             "process_owner": "prov_quality", "auditor": "prov_office", "admin": "prov_office",
             "using_unit": "fuzhou", "applicant": None}
    for role, unit in units.items():
        w.users[role] = make_user(session, f"m_{role}", role, unit_code=unit)
    staff = dict(w.users) | {"applicant_b": make_user(session, "m_applicant_b", policy.APPLICANT)}
    xm_user = make_user(session, "m_unit_xm", policy.USING_UNIT, unit_code="xiamen")
    _applications(session, w, staff)
    # A saved inbox filter of a user no role of the matrix plays: every role's rename/delete of it is a 404.
    w.single["foreign_filter"] = inbox_prefs.create_filter(session, staff["applicant_b"], "我的申请", "q=王秀英", T0).id
    experts = _pool(session, w)
    picked = _requests(session, w, xm_user, experts)
    me, other = picked["me"], picked["other"]
    _workbench(session, w, w.users["quality_division"], w.users["bureau_leader"], w.users["process_owner"])
    _declarations(session, w, session.get(User, me.user_id), session.get(User, other.user_id))
    _yearly(session, w, experts, me, other, w.users["talent_center"])
    session.expire_all()
    w.users = {role: session.get(User, w.users[role].id) for role in policy.ROLES}
    return w
