"""Helpers shared by the workbench tests (no tests here): experts in groups, restoring the group table,
driving group changes and reading the shipped/external BPMN."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from engine.core.models import HumanTask
from engine.deploy.versions import shipped_file
from engine.experts.models import Expert, ExpertGroup, GroupMembership
from engine.groups.models import GroupChange, GroupPositionHistory, SubTeam
from engine.platform.models import UserRole
from engine.tasks import services as task_service
from tests.support import T0, make_user

EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "bpmn-corpus" / "external"
PUBLIC_BPMN = shipped_file("admission_public.bpmn").read_text(encoding="utf-8")
GROUP_BPMN = shipped_file("group_change.bpmn").read_text(encoding="utf-8")


def external_files() -> list[Path]:
    """The external corpus (../shared). Tests using it carry the `shared_corpus` marker and are collected
    only when the folder exists (a clone with nothing beside it); `.ci/run` fails when it is missing."""
    return sorted(EXTERNAL.glob("*.bpmn"))


def make_expert(session, i: int, group_codes=(), user=None, **fields) -> Expert:
    """An active expert (member of the given groups), optionally linked to a login user."""
    values = dict(name=f"专家{i:03d}", gender="male", birth_date=date(1975, 1, 1), phone=f"1390591{i:04d}",
                  id_number=f"35010219760101{i:04d}", unit_name="福建省产品质量检验研究院", rank_level="none",
                  title_level="senior", field_years=10, work_history="检验", specialties="家用电器",
                  status="active", created_at=T0, user_id=getattr(user, "id", None))
    values.update(fields)
    expert = Expert(**values)
    groups = session.scalars(select(ExpertGroup).where(ExpertGroup.code.in_(group_codes))).all()
    expert.memberships = [GroupMembership(group_id=g.id, position="member") for g in groups]
    session.add(expert)
    session.commit()
    return expert


def group(session, code: str) -> ExpertGroup:
    """A group by code."""
    return session.scalar(select(ExpertGroup).where(ExpertGroup.code == code))


def experts_with_users(session, n: int, code: str = "supervision_sampling") -> list[Expert]:
    """n experts of one group, each with an `expert` login."""
    return [make_expert(session, i, [code], user=make_user(session, f"exp{i}", "expert")) for i in range(1, n + 1)]


def open_rows(session, instance_id: int) -> list[HumanTask]:
    """Open inbox rows of an instance."""
    session.expire_all()
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.state == "open")))


def decide(session, change: GroupChange, leader_user, decision: str = "approve", comment: str = ""):
    """bureau_leader completes the approval task of a group change."""
    (row,) = open_rows(session, change.instance_id)
    assert row.bpmn_id == "approve_change" and row.lane_role == "bureau_leader"
    task_service.complete(session, row.id, leader_user, {"decision": decision, "comment": comment}, {}, T0)
    session.expire_all()
    return session.get(GroupChange, change.id)


def roles_of(session, user_id: int) -> set[str]:
    """Role codes of a user, read from the database."""
    return set(session.scalars(select(UserRole.role_code).where(UserRole.user_id == user_id)))


@pytest.fixture()
def groups_restored(session):
    """Groups are reference data kept across tests: undo whatever a test added, renamed or retired."""
    before = {g.id: (g.name, g.active, list(g.aliases or [])) for g in session.scalars(select(ExpertGroup))}
    yield
    session.rollback()
    for model in (GroupPositionHistory, SubTeam, GroupChange):
        session.execute(delete(model))
    added = [i for i in session.scalars(select(ExpertGroup.id)) if i not in before]
    if added:
        session.execute(delete(GroupMembership).where(GroupMembership.group_id.in_(added)))
        session.execute(delete(ExpertGroup).where(ExpertGroup.id.in_(added)))
    session.execute(text("UPDATE expert_group SET name = name || '#'"))  # free the unique names first
    session.expire_all()
    for group_id, (name, active, aliases) in before.items():
        row = session.get(ExpertGroup, group_id)
        row.name, row.active, row.aliases = name, active, aliases
    session.commit()

