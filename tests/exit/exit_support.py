"""Helpers for the exit tests (no tests here): refusals through the real assignment flow, the exit steps."""

from datetime import timedelta

from sqlalchemy import select

from engine.exit.models import ExitCase
from engine.experts.models import Engagement, Expert, ExpertGroup, GroupMembership
from tests import assignment_support as assignment
from tests.experts.roster_support import act
from tests.support import T0

PROCEED = {"decision": "proceed", "facts": "事实清楚，证据确实"}
AGREE = {"decision": "agree"}
APPROVE = {"decision": "approve"}
NOTICE = {"notice_no": "闽市监函〔2026〕123号", "notice_date": "2026-03-20"}


def refuse_unjustified(session, users, expert: Expert, times: int, now=T0,
                       judgement=assignment.APPROVE_UNJUSTIFIED) -> list[Engagement]:
    """`times` requests to the expert's group (the expert must be its only member, so the draw picks them): the
    expert declines and the leader approves the cancellation judging the refusal unjustified (or `judgement`)
    — Art 13 ¶3, counted by Art 15(1). Returns the engagements as the assignment flow leaves them."""
    group = session.scalar(select(ExpertGroup.code).join(GroupMembership, GroupMembership.group_id == ExpertGroup.id)
                           .where(GroupMembership.expert_id == expert.id).limit(1))
    refused = []
    for i in range(times):
        when = now + timedelta(days=i)
        request = assignment.create(session, users["using_unit"], now=when, n_experts="1", n_backups="0",
                                    group_code=group, title=f"电线电缆产品监督抽查（第{i + 1}批）")
        (row,) = assignment.engagements(session, request.id)
        assert row.expert_id == expert.id, "the expert is not alone in the group"
        assignment.answer(session, row, assignment.DECLINE, now=when)
        assert assignment.complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"],
                                       judgement, now=when) == 1
        refused.append(assignment.engagements(session, request.id)[0])
    return refused


def lone_expert(session, name: str, group: str):
    """An expert with an account, the only member of `group` (so every draw from it picks them)."""
    return assignment.make_expert(session, name, group=group)


def cases_of(session, expert_id: int) -> list[ExitCase]:
    """The expert's exit cases, oldest first."""
    session.expire_all()
    return list(session.scalars(select(ExitCase).where(ExitCase.expert_id == expert_id).order_by(ExitCase.id)))


def approve_through(session, users, case: ExitCase, review=PROCEED, now=T0):
    """talent_center → quality_division → bureau_leader → notice (the path of a case on an Art 15 ground)."""
    act(session, case.instance_id, users["talent_center"], review, "exit_center_review", now=now)
    act(session, case.instance_id, users["quality_division"], AGREE, "exit_division_review", now=now)
    act(session, case.instance_id, users["bureau_leader"], APPROVE, "exit_leader_approval", now=now)
    act(session, case.instance_id, users["talent_center"], NOTICE, "exit_record_notice", now=now)
    session.expire_all()
# The voluntary withdrawal's own steps (Art 10(4)): reviewed and recorded, no refusing choice.
WITHDRAWAL_STEPS = (("withdrawal_center_review", "talent_center", {"decision": "accept", "facts": "已核实为本人申请"}),
                    ("withdrawal_division_review", "quality_division", {"decision": "agree", "comment": ""}),
                    ("withdrawal_leader_approval", "bureau_leader", {"decision": "approve", "comment": ""}),
                    ("exit_record_notice", "talent_center", NOTICE))
# What each step would refuse with, were refusing offered.
REFUSING = {"withdrawal_center_review": {"decision": "dismiss", "facts": "不同意"},
            "withdrawal_division_review": {"decision": "disagree", "comment": "不同意"},
            "withdrawal_leader_approval": {"decision": "reject", "comment": "不予批准"},
            "exit_center_review": {"decision": "dismiss", "facts": "不同意"},
            "exit_division_review": {"decision": "disagree", "comment": "不同意"},
            "exit_leader_approval": {"decision": "reject", "comment": "不予批准"}}


def withdraw_through(session, users, case: ExitCase, now=T0):
    """Every step of a voluntary withdrawal, each accepting it."""
    for step, role, values in WITHDRAWAL_STEPS:
        act(session, case.instance_id, users[role], values, step, now=now)
    session.expire_all()
