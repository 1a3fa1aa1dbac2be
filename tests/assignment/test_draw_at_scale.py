"""Issue 14, the draw: lean profiles and a per-group snapshot give exactly the draw the rules give on the rows,
a draw issues a bounded number of SQL statements whatever the pool's size, and exclusions stored as one
compact row per round read back into the page, the verification and the export."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import event, select, update

from engine.assignment import exclusions, queries, snapshot
from engine.assignment.models import DrawExclusionRound, DrawRecordRow, WorkRequest
from engine.assignment.profiles import CONFLICT_KINDS, RELATIONS, region_of, spec_of
from engine.assignment.verification import export_draw, verify_draw
from engine.core.clock import local_date
from engine.experts.models import Engagement, Expert, ExpertDeclaration, ExpertGroup, GroupMembership
from engine.experts.status import EngagementStatus
from rules import draw as draw_rules
from rules.entities import known_unit_codes
from rules.recusal import (
    Affiliation,
    Busy,
    DeclaredConflict,
    ExpertProfile,
    legal_entity_keys,
    normalize_org,
    screen,
)
from tests.assignment_support import GROUP, START, create, fixed_rng, make_expert, make_pool
from tests.draw_support import declare
from tests.support import T0
from webui.extensions import db

PARTY, CODE = "福建某某电缆有限公司", "91350100MA3123456D"
BUSY = (EngagementStatus.DRAWN, EngagementStatus.CONFIRMED, EngagementStatus.CANCEL_PENDING)


def _reference_profiles(session, group: str) -> list[ExpertProfile]:
    """The screening profiles as the ORM rows say, built the way the per-expert loader built them."""
    members = session.scalars(select(Expert).join(GroupMembership, GroupMembership.expert_id == Expert.id).join(
        ExpertGroup, ExpertGroup.id == GroupMembership.group_id).where(ExpertGroup.code == group)).all()
    declared, busy = defaultdict(list), defaultdict(list)
    for d in session.scalars(select(ExpertDeclaration).order_by(ExpertDeclaration.id)):
        declared[d.expert_id].append(d)
    for e in session.scalars(select(Engagement).where(Engagement.status.in_(BUSY)).order_by(Engagement.id)):
        busy[e.expert_id].append(Busy(e.start_date, e.end_date, e.request_id))
    profiles = []
    for e in members:
        ds = declared[e.id]
        code = next((d.credit_code for d in ds if d.kind == "employment" and d.end is None and d.credit_code
                     and normalize_org(d.org_name) == normalize_org(e.unit_name)), "")
        profiles.append(ExpertProfile(
            e.id, e.status, e.term_end, e.unit_name, code, (group,), e.specialties or "", region_of(e.unit_name),
            tuple(Affiliation(d.org_name, d.credit_code or "", RELATIONS[d.kind], d.start, d.end)
                  for d in ds if d.kind in RELATIONS),
            tuple(DeclaredConflict(d.org_name, d.credit_code or "", CONFLICT_KINDS[d.kind], d.note or "")
                  for d in ds if d.kind in CONFLICT_KINDS), tuple(busy[e.id])))
    return sorted(profiles, key=lambda p: p.id)


def _reference_draw(session, request: WorkRequest, rng) -> tuple[dict, list]:
    """The record and exclusions rules.recusal + rules.draw give for the request on the rows as they stand."""
    known = known_unit_codes(session.execute(select(ExpertDeclaration.org_name, ExpertDeclaration.credit_code)))
    profiles = _reference_profiles(session, request.group_code)
    eligible, excluded = screen(profiles, spec_of(request), local_date(T0), known)
    keep = set(eligible)
    entity_of = legal_entity_keys([p for p in profiles if p.id in keep], known)
    record = draw_rules.new_draw(eligible, draw_rules.new_seed(rng), request.n_experts + request.n_backups,
                                 entity_of, [(x.expert_id, x.code) for x in excluded])
    return record.to_dict(), excluded


def _pool(session, users) -> None:
    """A pool with every kind of exclusion: party's unit, past employment, a relative, busy, suspended."""
    make_pool(session, 12)
    for i in range(3):
        make_expert(session, f"当事方{i}", unit_name=PARTY)
        make_expert(session, f"同院{i}", unit_name="福建省产品质量检验研究院")
    make_expert(session, "暂停", status="suspended")
    former, relative = make_expert(session, "前雇员"), make_expert(session, "亲属")
    declare(session, former, org_name="别名公司", credit_code=CODE, start="2020-01-01", end="2024-06-30")
    declare(session, relative, kind="relative", org_name=PARTY, note="配偶任职")
    create(session, users["using_unit"], n_experts="2", n_backups="0", parties="无关企业")  # two experts busy


def _drawn(session, request_id: int) -> tuple[dict, list]:
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request_id))
    return row.record, [x for _, x in exclusions.of_request(session, request_id)]


_load = snapshot.load_profiles


def test_the_draw_is_the_rules_draw_on_the_rows_through_every_pool_change(session, users, monkeypatch):
    loads = []
    monkeypatch.setattr(snapshot, "load_profiles", lambda *a, **k: loads.append(1) or _load(*a, **k))
    _pool(session, users)
    seen = []
    for step in range(4):
        if step == 2:  # a declaration through self-service: the next draw must see it
            declare(session, session.scalar(select(Expert).where(Expert.name == "专家03")), kind="relative",
                    org_name=PARTY, note="子女任职")
        if step == 3:  # an ORM bulk UPDATE and a changed expert row
            session.execute(update(Expert).where(Expert.name == "专家04").values(status="suspended"))
            session.commit()
        rng = fixed_rng(step + 1)
        request = create(session, users["using_unit"], n_experts="3", n_backups="2", parties=f"{PARTY}，{CODE}",
                         rng=rng)
        record, stored = _drawn(session, request.id)
        expected, excluded = _reference_draw(session, request, rng)
        assert record == expected
        assert stored == excluded  # ids, codes, reasons and articles, in the screening order
        seen.append(len(loads))
    assert seen == [1, 1, 2, 3]  # loaded again after each pool change only
    codes = {x.code for x in stored}
    assert {"unit_is_party", "affiliated_with_party", "declared_conflict", "busy", "not_active"} <= codes


def _count_statements(session, fn) -> int:
    """SQL statements `fn` sends, each row of an executemany counted as one (per-row writes count per row)."""
    count = []

    def listener(_conn, _cursor, _statement, _parameters, context, executemany):
        count.append(len(context.compiled_parameters) if executemany and context is not None else 1)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return sum(count)


def _dates(days: int) -> dict:
    return {"start_date": (START + timedelta(days=days)).isoformat(),
            "end_date": (START + timedelta(days=days + 1)).isoformat()}


def test_a_draw_sends_as_many_statements_for_a_large_pool_as_for_a_small_one(session, users):
    make_pool(session, 4)
    make_expert(session, "当事方", unit_name=PARTY)
    create(session, users["using_unit"], parties=PARTY, title="预热")  # first-use work (spec cache, first rows)
    make_expert(session, "补充")  # the pool changed before each counted draw: both load it afresh
    small = _count_statements(session, lambda: create(session, users["using_unit"], parties=PARTY, **_dates(10)))
    for i in range(40):
        make_expert(session, f"大库{i:02d}", unit_name=PARTY if i % 2 else "")
    large = _count_statements(session, lambda: create(session, users["using_unit"], parties=PARTY, **_dates(20)))
    rows = session.scalars(select(DrawExclusionRound.count).order_by(DrawExclusionRound.id)).all()
    assert rows == [1, 1, 21]  # one stored row per round, however many it excludes
    drawn = session.scalars(select(DrawRecordRow.record)).all()
    assert [len(r["rounds"][0]["picked"]) for r in drawn] == [3, 3, 3]
    assert large == small <= 60, (small, large)


def test_compact_exclusions_read_back_into_the_page_the_verification_and_the_export(session, users):
    _pool(session, users)
    request = create(session, users["using_unit"], n_experts="3", n_backups="1", parties=f"{PARTY}，{CODE}")
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    stored = session.scalar(select(DrawExclusionRound).where(DrawExclusionRound.request_id == request.id))
    assert stored.count == len(stored.items["rows"]) > len(stored.items["texts"])  # a text is stored once
    page = queries.exclusion_rows(session, request, "full")
    names = {e.id: e.name for e in session.scalars(select(Expert))}
    pairs = sorted([x["expert_id"], x["code"]] for x in page)
    assert pairs == row.record["rounds"][0]["screened"] and len(page) == stored.count
    assert all(x["name"] == names[x["expert_id"]] and x["reason"] and x["article"] for x in page)
    assert queries.exclusion_rows(session, request, "sealed") == []
    exported = export_draw(session, row.id)
    assert exported["record"]["rounds"][0]["screened"] == pairs
    assert verify_draw(session, row.id)["match"]
    history = [i for i in queries_history(session, page[0]["expert_id"]) if i.exclusion]
    assert [f"{page[0]['reason']}（{page[0]['article']}）"] == [i.detail for i in history]
    items = dict(stored.items, rows=stored.items["rows"][1:])  # one exclusion erased from the stored row
    session.execute(update(DrawExclusionRound).where(DrawExclusionRound.id == stored.id).values(items=items))
    session.commit()
    assert any("排除记录被修改" in p for p in verify_draw(session, row.id)["problems"])


def queries_history(session, expert_id: int):
    """The expert's history items from assignment (what their history page lists)."""
    from engine.assignment.history import expert_cases

    return expert_cases(session, expert_id)


def test_the_pool_version_changes_when_a_change_to_what_recusal_reads_commits(session):
    from engine.experts import pool_version

    expert = make_expert(session, "甲")
    first = pool_version.current(session)
    session.execute(update(GroupMembership).where(GroupMembership.expert_id == expert.id).values(position="member"))
    assert pool_version.current(session) is None  # its own change is in no version: nothing kept may serve it
    session.commit()
    second = pool_version.current(session)
    expert.unit_name = "另一单位"
    session.flush()
    assert pool_version.current(session) is None
    session.rollback()
    assert pool_version.current(session) == second  # a change rolled back leaves the version
    session.get(Expert, expert.id).unit_name = "另一单位"
    session.commit()
    third = pool_version.current(session)
    session.commit()
    assert pool_version.current(session) == third  # reading and committing nothing change nothing
    assert None not in (first, second, third) and len({first, second, third}) == 3


def test_the_migration_moves_stored_exclusions_both_ways_and_the_draw_still_verifies(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from tests.support import make_user, migrated_app

    with migrated_app(tmp_path / "migrated.sqlite"):
        make_pool(db.session, 4)
        for i in range(2):
            make_expert(db.session, f"当事方{i}", unit_name=PARTY)
        request = create(db.session, make_user(db.session, "unit", "using_unit", unit_code="fuzhou"), parties=PARTY)
        before = exclusions.of_request(db.session, request.id)
        draw_id = db.session.scalar(select(DrawRecordRow.id).where(DrawRecordRow.request_id == request.id))
        assert [x.code for _, x in before] == ["unit_is_party"] * 2 and verify_draw(db.session, draw_id)["match"]
        db.session.remove()
        downgrade(revision="b7d41e9a2c63")  # one row per exclusion, as before this revision
        with db.engine.connect() as conn:
            old = conn.execute(text("SELECT round, expert_id, code, reason, article FROM draw_exclusion "
                                    "ORDER BY id")).all()
        assert [(r, x.expert_id, x.code, x.reason, x.article) for r, x in before] == [tuple(o) for o in old]
        upgrade()
        assert exclusions.of_request(db.session, request.id) == before
        assert verify_draw(db.session, draw_id)["match"]


def test_a_redraw_screens_the_kept_profiles_as_it_screened_the_loaded_ones(session, users):
    from engine.assignment.profiles import load_profiles

    _pool(session, users)
    outsider = make_expert(session, "他组专家", group="risk_monitoring")  # a candidate no longer in the group
    request = create(session, users["using_unit"], n_experts="3", n_backups="0", parties=f"{PARTY}，{CODE}")
    ids = [e.id for e in session.scalars(select(Expert))]
    assert outsider.id in ids
    kept = snapshot.profiles_of(session, ids, GROUP, request.start_date, request.end_date)
    loaded = load_profiles(session, ids, GROUP)
    assert [p.id for p in kept] == [p.id for p in loaded] == sorted(ids)
    spec, today = spec_of(request), local_date(T0)
    assert screen(kept, spec, today) == screen(loaded, spec, today)
