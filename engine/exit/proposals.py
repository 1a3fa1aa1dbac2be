"""Proposals made while an expert's exit case is open (one case at a time): attached to it, never lost.

A later proposal (a 差 rating, Art 14 → Art 15; refusals, Art 15(1); …) becomes a note with a link on the open
case, which its reviewers see; if that case closes without exit, the proposal opens its own case then
(engine.exit.services.follow_up), since the reviewers decided on the other ground.
"""

from datetime import datetime

from sqlalchemy import select

from engine.core import audit
from engine.exit.models import ExitCase, ExitProposal
from engine.platform import policy
from engine.platform.notifications import notify
from engine.platform.roles import users_with_role
from rules.exit import TRIGGERS


def known(session, expert_id: int, key: str) -> bool:
    """Whether this proposal was made already (as a case of its own or attached to one)."""
    return bool(session.scalar(select(ExitCase.id).where(ExitCase.expert_id == expert_id, ExitCase.trigger_key == key))
                or session.scalar(select(ExitProposal.id).where(ExitProposal.expert_id == expert_id,
                                                                ExitProposal.trigger_key == key)))


def attach(session, case: ExitCase, trigger: str, key: str, facts: str, link: str | None, actor,
           now: datetime) -> ExitProposal:
    """Record the proposal on the open case and tell talent_center (inside the caller's unit of work)."""
    proposal = ExitProposal(expert_id=case.expert_id, case_id=case.id, trigger=trigger, trigger_key=key,
                            facts=facts[:4000], link=link, created_at=now)
    session.add(proposal)
    session.flush()
    audit.record(session, "exit_proposal_attached", actor, now,
                 after={"exit_case_id": case.id, "trigger": trigger, "key": key})
    notify(session, users_with_role(session, policy.TALENT_CENTER), f"出库审查补充事项：出库事项 #{case.id}",
           f"{TRIGGERS[trigger][0]}。该专家已有正在办理的出库事项，已附入该事项一并审查。", now,
           link=f"/yearly/exits/{case.id}")
    return proposal


def pending(session, case_id: int) -> list[ExitProposal]:
    """The proposals attached to a case that have no case of their own yet, oldest first."""
    return list(session.scalars(select(ExitProposal).where(
        ExitProposal.case_id == case_id, ExitProposal.followed_by.is_(None)).order_by(ExitProposal.id)))


def of_case(session, case_id: int) -> list[ExitProposal]:
    """Every proposal attached to a case, and the one this case was opened for (its origin)."""
    return list(session.scalars(select(ExitProposal).where(
        (ExitProposal.case_id == case_id) | (ExitProposal.followed_by == case_id)).order_by(ExitProposal.id)))
