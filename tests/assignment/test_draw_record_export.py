"""The draw record is verifiable by an outsider without the product's code (Art 13), through the real flow:
exported by the CLI, the API and the page (for those who may see the names), checked by tools/verify_draw.py in
an isolated interpreter; `expertpool verify-draw` holds the record to its audit anchors and the chain, so a
forger who rewrites record, engagements and anchors is caught; records of the earlier rules still verify."""

import json

import pytest
from sqlalchemy import select, update

from engine.assignment import exclusions
from engine.assignment.models import DrawRecordRow
from engine.assignment.verification import export_draw, verify_draw
from engine.core import audit
from engine.core.models import AuditEvent
from engine.experts.models import Engagement
from rules import draw as draw_rules
from rules.draw_record import record_sha256
from tests.assignment_support import (
    APPROVE_JUSTIFIED,
    CONFIRM,
    DECLINE,
    answer,
    complete_all,
    create,
    engagements,
    make_expert,
    make_pool,
)
from tests.draw_support import api_headers, run_verifier
from tests.webui.test_ui_support import client_for
from webui.cli import main as cli_main

PARTY = "福建某某电缆有限公司"


def redrawn_request(session, users):
    """A random request whose draw screened someone out, skipped a same-company colleague and was redrawn."""
    make_pool(session, 4)
    for i in range(3):
        make_expert(session, f"同院{i}", unit_name="福建省产品质量检验研究院")
    make_expert(session, "当事方专家", unit_name=PARTY)
    request = create(session, users["using_unit"], n_experts="3", n_backups="0", parties=PARTY)
    first = engagements(session, request.id)[0]
    answer(session, first, DECLINE)
    for row in engagements(session, request.id)[1:]:
        answer(session, row, CONFIRM)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_JUSTIFIED)
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    assert row.rounds == 2 and row.rules_version == "draw-2"
    return request, row


def test_the_verifier_replays_same_entity_skips(app, session, users, cli, tmp_path):
    # Four colleagues of one institute and one outsider, three wanted: the ranking is walked to its end, so
    # three colleagues are always skipped (one expert per legal entity), whatever the ids and the seed rank.
    for i in range(4):
        make_expert(session, f"同院{i}", unit_name="福建省产品质量检验研究院")
    make_expert(session, "外院", unit_name="厦门检验院")
    request = create(session, users["using_unit"], n_experts="3", n_backups="0")
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    out = tmp_path / "draw.json"
    assert cli.invoke(cli_main, ["export-draw", str(row.id), "-o", str(out)]).exit_code == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert len(exported["record"]["rounds"][0]["skipped_same_entity"]) == 3
    code, output = run_verifier(tmp_path, exported)
    assert code == 0 and output.strip().endswith("match"), output


@pytest.fixture()
def cli(app):
    return app.test_cli_runner()


def test_an_outsider_verifies_the_exported_draw_without_the_code(app, client, session, users, cli, tmp_path):
    request, row = redrawn_request(session, users)
    out = tmp_path / "draw.json"
    assert cli.invoke(cli_main, ["export-draw", str(row.id), "-o", str(out)]).exit_code == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    first = exported["record"]["rounds"][0]
    assert all(round_["inputs_sha256"] for round_ in exported["record"]["rounds"])
    assert [x.code for r, x in exclusions.of_request(session, request.id) if r == 1] == [
        code for _, code in first["screened"]] == ["unit_is_party"]
    assert [a["data_after"]["round"] for a in exported["anchors"]] == [1, 2]
    code, output = run_verifier(tmp_path, exported)
    assert code == 0 and output.strip().endswith("match") and "round 2: picked" in output, output
    api = client.get(f"/api/v1/draws/{row.id}/export", headers=api_headers(client, users["using_unit"]))
    page = client_for(app, users["auditor"]).get(f"/assignment/draws/{row.id}/export.json")
    assert api.get_json() == json.loads(page.get_data(as_text=True)) == exported
    assert "attachment" in page.headers["Content-Disposition"]


def test_a_tampered_export_is_caught_by_the_outsider(session, users, tmp_path):
    _, row = redrawn_request(session, users)
    exported = export_draw(session, row.id)
    picked = exported["record"]["rounds"][0]["picked"]
    forged = json.loads(json.dumps(exported))
    forged["record"]["rounds"][0]["picked"] = [picked[1], picked[0], *picked[2:]]
    code, output = run_verifier(tmp_path, forged)
    assert code == 1 and "mismatch" in output and "第 1 轮的 picked" in output
    forged = json.loads(json.dumps(exported))
    forged["anchors"][0]["data_after"]["picked"] = picked[:1]
    code, output = run_verifier(tmp_path, forged)
    assert code == 1 and "存证事件的哈希值与其内容不符" in output


def forge(session, row) -> None:
    """What a forger with database access does: a new seed, the record recomputed consistently, the random
    engagements moved to the new picks, and every anchor's data rewritten with its own hash recomputed."""
    stored = draw_rules.DrawRecord.from_dict(row.record)
    record = draw_rules.new_draw(stored.candidates, bytes([1]) * 32, stored.rounds[0].wanted, stored.entity_of,
                                 stored.rounds[0].screened)
    for r in stored.rounds[1:]:
        record = draw_rules.redraw(record, r.wanted, r.excluded, r.screened)
    moved = dict(zip(stored.drawn(), record.drawn(), strict=False))
    for engagement in session.scalars(select(Engagement).where(Engagement.request_id == row.request_id)):
        engagement.expert_id = moved.get(engagement.expert_id, engagement.expert_id)
    row.record, row.seed_hex = record.to_dict(), record.seed_hex
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "draw_round").order_by(AuditEvent.id))
    for event in events.all():
        n = event.data_after["round"]
        prefix = dict(row.record, rounds=row.record["rounds"][:n])
        data_after = event.data_after | {
            "picked": row.record["rounds"][n - 1]["picked"], "seed_hex": record.seed_hex,
            "inputs_sha256": row.record["rounds"][n - 1]["inputs_sha256"],
            "record_sha256": record_sha256(prefix)}
        fields = audit.hashed_fields(event) | {"data_after": data_after}
        # in SQL, as a forger does (the application refuses to change a written event)
        session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(
            data_after=data_after, hash=audit.event_hash(event.prev_hash, fields)))
    session.commit()


@pytest.mark.breaks_invariant("audit")
def test_a_forger_who_rewrites_record_engagements_and_anchors_is_caught(session, users, cli):
    _, row = redrawn_request(session, users)
    forge(session, row)
    assert draw_rules.verify(row.record).match  # the forged record is consistent in itself …
    result = verify_draw(session, row.id)
    assert not result["match"]  # … but its anchors no longer sit in the chain
    assert any("审计日志在第" in p and "不完整" in p for p in result["problems"]), result["problems"]
    command = cli.invoke(cli_main, ["verify-draw", str(row.id)])
    assert command.exit_code == 1 and "mismatch" in command.output and "审计日志" in command.output


def test_records_of_the_earlier_rules_still_verify_redraw_and_export(session, users, monkeypatch, tmp_path):
    monkeypatch.setattr(draw_rules, "RULES_VERSION", "draw-1")  # the draw as the code before draw-2 made it
    make_pool(session, 6)
    request = create(session, users["using_unit"], n_experts="2", n_backups="0")
    monkeypatch.undo()
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    assert row.rules_version == "draw-1" and "inputs_sha256" not in row.record["rounds"][0]
    first, second = engagements(session, request.id)
    answer(session, first, DECLINE)
    answer(session, second, CONFIRM)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_JUSTIFIED)
    session.refresh(row)
    assert row.rounds == 2 and row.record["rules_version"] == "draw-1"
    assert verify_draw(session, row.id, full_chain=True)["match"]
    assert run_verifier(tmp_path, export_draw(session, row.id))[0] == 0
