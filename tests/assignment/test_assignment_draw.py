"""Recusal on real rows, one expert per legal entity, the stored record, verification and tampering."""

from datetime import date

import pytest
from sqlalchemy import func, select

from engine.assignment.models import DrawRecordRow, WorkRequest
from engine.assignment.verification import verify_draw
from engine.core.errors import Forbidden, ValidationFailed
from engine.core.models import AuditEvent
from engine.experts.models import Expert, ExpertDeclaration
from engine.platform.models import Notification
from rules import draw as draw_rules
from tests.assignment_support import START, create, engagements, fixed_rng, make_expert, make_pool
from tests.draw_support import stored_exclusions
from tests.support import T0, make_user

PARTY = "福建某某电缆有限公司"
CODE = "91350100MA3123456D"


def exclusions(session, request_id):
    return {(session.get(Expert, x.expert_id).name, x.code) for x in stored_exclusions(session, request_id)}


def test_every_exclusion_reason_is_stored(session, users):
    make_pool(session, 2)
    make_expert(session, "本单位", unit_name="福建某某电缆 有限公司")
    former = make_expert(session, "前雇员")
    session.add(ExpertDeclaration(expert_id=former.id, kind="employment", org_name="其他名称", credit_code=CODE,
                                  start=date(2020, 1, 1), end=date(2024, 6, 30), declared_at=T0))
    relative = make_expert(session, "亲属")
    session.add(ExpertDeclaration(expert_id=relative.id, kind="relative", org_name=PARTY, note="配偶任职", declared_at=T0))
    make_expert(session, "暂停", status="suspended")
    make_expert(session, "聘期满", term_end=date(2026, 1, 31))
    make_expert(session, "专业不符", specialties="舆情处置")
    session.commit()
    busy_request = create(session, users["using_unit"], n_experts="2", n_backups="0", parties="无关企业")
    busy = {e.expert_id for e in engagements(session, busy_request.id)}
    request = create(session, users["using_unit"], specialties="电线电缆", n_backups="0")
    found = exclusions(session, request.id)
    assert {("本单位", "unit_is_party"), ("前雇员", "affiliated_with_party"), ("亲属", "declared_conflict"),
            ("暂停", "not_active"), ("聘期满", "term_expired"), ("专业不符", "specialty_mismatch")} <= found
    assert {session.get(Expert, i).name for i in busy} == {n for n, c in found if c == "busy"}
    reason = next(x.reason for x in stored_exclusions(session, request.id) if x.code == "declared_conflict")
    assert PARTY in reason and "配偶任职" in reason
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    excluded_ids = {x.expert_id for x in stored_exclusions(session, request.id)}
    assert row.pool_size == 8 and len(row.record["candidates"]) == 8 - len(excluded_ids)
    assert not excluded_ids & set(row.record["candidates"])


def test_one_expert_per_legal_entity(session, users):
    for i in range(4):
        make_expert(session, f"同院{i}", unit_name="福建省产品质量检验研究院")
    make_expert(session, "外院", unit_name="厦门检验院")
    request = create(session, users["using_unit"], n_experts="3", n_backups="0")
    drawn = [session.get(Expert, e.expert_id).unit_name for e in engagements(session, request.id)]
    assert sorted(drawn) == ["厦门检验院", "福建省产品质量检验研究院"]
    record = session.scalar(select(DrawRecordRow.record).where(DrawRecordRow.request_id == request.id))
    assert len(record["rounds"][0]["skipped_same_entity"]) == 3
    assert session.get(WorkRequest, request.id).status == "confirming"  # asked the two there are


def test_record_is_deterministic_and_verifies(session, users):
    make_pool(session, 8)
    request = create(session, users["using_unit"], rng=fixed_rng(9))
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    assert row.seed_hex == "09" * 32 and row.candidates_sha256 == draw_rules.candidates_sha256(row.record["candidates"])
    again = draw_rules.new_draw(row.record["candidates"], bytes([9]) * 32, 3,
                                {int(k): v for k, v in row.record["entity_of"].items()})
    assert list(again.rounds[0].picked) == [e.expert_id for e in engagements(session, request.id)]
    result = verify_draw(session, row.id)
    assert result["match"] and result["problems"] == [] and result["candidates"] == 8


def test_tampering_is_detected(session, users):
    make_pool(session, 8)
    request = create(session, users["using_unit"])
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    record = dict(row.record)
    record["rounds"] = [dict(record["rounds"][0], picked=list(reversed(record["rounds"][0]["picked"])))]
    row.record = record
    session.commit()
    result = verify_draw(session, row.id)
    assert not result["match"] and any("抽中名单" in p for p in result["problems"])
    # a consistent forgery (new seed, rounds recomputed) still breaks the audit anchor
    forged = draw_rules.new_draw(record["candidates"], bytes([1]) * 32, 3,
                                 {int(k): v for k, v in record["entity_of"].items()})
    row.record, row.seed_hex = forged.to_dict(), forged.seed_hex
    session.commit()
    problems = verify_draw(session, row.id)["problems"]
    assert any("审计日志" in p for p in problems)


def test_draw_is_anchored_in_the_audit_chain_and_experts_notified(session, users):
    make_pool(session, 4)
    request = create(session, users["using_unit"])
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "draw_round"))
    assert event.data_after["request_id"] == request.id and len(event.data_after["record_sha256"]) == 64
    asked = [e for e in engagements(session, request.id) if e.asked_at]
    notes = session.scalars(select(Notification).where(Notification.subject.like("%请确认是否参加%"))).all()
    assert len(notes) == len(asked) == 2


@pytest.mark.parametrize("overrides,field", [
    ({"parties": "某公司，91350100MA3123456X"}, "parties"),
    ({"end_date": "2026-03-01"}, "end_date"),
    ({"start_date": "2026-03-01", "end_date": "2026-03-05"}, "start_date"),
    ({"region": "福州", "region_reason": ""}, "region_reason"),
    ({"method": "designated", "method_reason": ""}, "method_reason"),
    ({"method": "external", "method_reason": "库外", "external_experts": "只有姓名"}, "external_experts"),
    ({"n_experts": "0"}, "n_experts"),
    ({"group_code": "no_such_group"}, "group_code"),
])
def test_bad_requests_save_nothing(session, users, overrides, field):
    make_pool(session, 3)
    with pytest.raises(ValidationFailed) as err:
        create(session, users["using_unit"], **overrides)
    assert field in err.value.errors
    assert session.scalar(select(func.count()).select_from(WorkRequest)) == 0


def test_only_using_units_request(session, users):
    with pytest.raises(Forbidden):
        create(session, users["talent_center"])
    nobody = make_user(session, "unitless", "using_unit")
    with pytest.raises(Forbidden):
        create(session, nobody)


def test_region_restriction_uses_the_unit_city(session, users):
    make_expert(session, "福州专家", unit_name="福州市产品质量检验所")
    make_expert(session, "厦门专家", unit_name="厦门市产品质量检验所")
    request = create(session, users["using_unit"], n_experts="1", n_backups="0", region="厦门",
                     region_reason="需现场连续多日检查", start_date=START.isoformat())
    (row,) = engagements(session, request.id)
    assert session.get(Expert, row.expert_id).name == "厦门专家"
    assert ("福州专家", "outside_region") in exclusions(session, request.id)
