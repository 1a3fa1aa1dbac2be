"""Recusal by legal person through the real flow (Art 11(5)): a unit's credit code declared by one expert applies
to every colleague of that unit, and a branch (分公司/分支机构) is its company — for random draws and for
designations."""

import pytest
from sqlalchemy import func, select

from engine.assignment.models import DrawRecordRow, WorkRequest
from engine.core.errors import ValidationFailed
from engine.experts.models import Expert
from tests.assignment_support import create, engagements, make_expert, make_pool
from tests.draw_support import declare, exclusion_codes, stored_exclusions

PARTY = "福建闽光电线电缆有限公司"
CODE = "91350100MA3123456D"


def candidates(session, request) -> set[str]:
    record = session.scalar(select(DrawRecordRow.record).where(DrawRecordRow.request_id == request.id))
    return {session.get(Expert, i).name for i in record["candidates"]}


def test_a_code_declared_by_one_expert_excludes_the_colleagues_who_declared_nothing(session, users):
    make_pool(session, 3)
    declarer = make_expert(session, "申报人", unit_name="闽光电缆公司", group="risk_monitoring")  # another group
    colleague = make_expert(session, "同事", unit_name="闽光电缆 公司")  # same unit, nothing declared
    declare(session, declarer, org_name="闽光电缆公司", credit_code=CODE.lower(), start="2019-01-01")
    request = create(session, users["using_unit"], n_experts="4", n_backups="0", parties=f"{PARTY}，{CODE}")
    assert exclusion_codes(session, request.id)["同事"] == {"unit_is_party"}
    assert "同事" not in candidates(session, request)
    assert colleague.id not in {e.expert_id for e in engagements(session, request.id)}
    reason = next(x.reason for x in stored_exclusions(session, request.id) if x.expert_id == colleague.id)
    assert CODE in reason and "申报记录" in reason and PARTY in reason


def test_the_colleague_cannot_be_designated_either(session, users):
    make_pool(session, 1)
    declarer = make_expert(session, "申报人", unit_name="闽光电缆公司")
    colleague = make_expert(session, "同事", unit_name="闽光电缆公司")
    declare(session, declarer, kind="relative", org_name="闽光电缆公司", credit_code=CODE, note="配偶任职")
    with pytest.raises(ValidationFailed) as err:
        create(session, users["using_unit"], method="designated", method_reason="熟悉该企业",
               designated_experts=colleague.certificate_no, parties=f"只写代码的当事方，{CODE}")
    assert "同事" in err.value.errors["designated_experts"] and CODE in err.value.errors["designated_experts"]
    assert session.scalar(select(func.count()).select_from(WorkRequest)) == 0


@pytest.mark.parametrize("unit,party", [
    (f"{PARTY}厦门分公司", f"{PARTY}，{CODE}"),  # the expert works at a branch of the party
    ("福建闽光电线电缆有限责任公司", f"{PARTY}福州分公司"),  # the party is a branch of the expert's company
    (f"{PARTY}泉州分支机构", f"{PARTY}"),
], ids=["expert-at-a-branch", "party-is-a-branch", "branch-office"])
def test_a_branch_is_its_company(session, users, unit, party):
    make_pool(session, 3)
    make_expert(session, "分支机构专家", unit_name=unit)
    request = create(session, users["using_unit"], n_experts="4", n_backups="0", parties=party)
    assert exclusion_codes(session, request.id)["分支机构专家"] == {"unit_is_party"}
    reason = next(x.reason for x in stored_exclusions(session, request.id) if x.code == "unit_is_party")
    assert "分支机构不具有法人资格" in reason


def test_a_company_and_its_branch_are_one_legal_entity_in_a_draw(session, users):
    make_expert(session, "总公司专家", unit_name="福建某检测技术有限公司")
    make_expert(session, "分公司专家", unit_name="福建某检测技术有限公司漳州分公司")
    make_expert(session, "外单位专家", unit_name="厦门检验院")
    request = create(session, users["using_unit"], n_experts="3", n_backups="0", parties="无关企业")
    drawn = {session.get(Expert, e.expert_id).name for e in engagements(session, request.id)}
    assert len(drawn) == 2 and "外单位专家" in drawn
    record = session.scalar(select(DrawRecordRow.record).where(DrawRecordRow.request_id == request.id))
    assert len(record["rounds"][0]["skipped_same_entity"]) == 1
