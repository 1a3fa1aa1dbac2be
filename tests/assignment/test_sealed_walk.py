"""Sealed names do not leak (Art 13): a staffed, redrawn request is walked through EVERY GET page and API route
of the app as each viewer who sees it sealed — the bureau leader (who approved one cancellation), the quality
division, admin, the process owner — and as one drawn expert; no response holds the seed, the candidates' or
the record's hashes, the pool size, a candidate or drawn expert id field, and no response that shows the request
names a drawn expert the viewer may not know of. The unit (full access) still sees all of it."""

import json
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine.assignment.models import DrawRecordRow
from engine.core.models import AuditEvent, HumanTask
from engine.experts.models import Expert
from tests.admission.documents_support import DOCX, read_docx
from tests.assignment_support import (
    APPROVE_JUSTIFIED,
    CONFIRM,
    DECLINE,
    answer,
    complete_all,
    create,
    engagements,
)
from tests.assignment_support import make_pool as pool
from tests.draw_support import api_headers, user_for
from tests.support import UserClient, login
from tests.webui.test_ui_support import client_for

TITLE = "2026年电线电缆产品监督抽查"
# Path arguments this scenario has no object for (other procedures' records): those routes are not walked.
NOT_WALKED = {"application_id", "attachment_id", "evaluation_id", "case_id", "renewal_id", "change_id",
              "draft_id", "item_id", "filename", "package", "source", "name", "incident_id", "delegation_id",
              "version_id", "process_key", "user_id"}  # user_id: account administration (no draw data)
SEALED_KEYS = {"seed_hex", "candidates_sha256", "record_sha256", "inputs_sha256", "pool_size", "candidates",
               "record", "picked", "available", "names", "problems"}


def staffed_after_a_redraw(session, users) -> dict:
    """A draws 2 (+1 backup); A declines, the leader approves, round 2 draws C; B and C confirm: staffed."""
    pool(session, 6)
    request = create(session, users["using_unit"], title=TITLE, n_experts="2", n_backups="1")
    a, b, backup = engagements(session, request.id)
    answer(session, a, DECLINE)
    answer(session, b, CONFIRM)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_JUSTIFIED)
    c = engagements(session, request.id)[-1]
    answer(session, c, CONFIRM)
    rows = engagements(session, request.id)
    draw = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    anchors = [e.data_after for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "draw_round"))]
    names = {role: session.get(Expert, e.expert_id).name for role, e in zip("ABDC", rows, strict=True)}
    hexes = {draw.seed_hex, draw.candidates_sha256} | {a["record_sha256"] for a in anchors} | {
        r["inputs_sha256"] for r in draw.record["rounds"]}
    return {"request": request, "draw": draw, "names": names, "hexes": hexes, "engagements": rows,
            "experts": [e.expert_id for e in rows],
            "tasks": list(session.scalars(select(HumanTask.id).where(HumanTask.instance_id == request.instance_id)))}


def _arguments(world: dict) -> dict[str, list]:
    return {"request_id": [world["request"].id], "draw_id": [world["draw"].id], "instance_id": [
        world["request"].instance_id], "engagement_id": [e.id for e in world["engagements"]],
        "task_id": world["tasks"], "expert_id": world["experts"], "year": [2026], "key": ["assignment"],
        "fmt": ["csv"]}  # exports (the expert list, the audit search) are walked as CSV: text to search


def walk(app) -> list[tuple[str, str]]:
    """(endpoint, rule) of every GET route; asserts each is walked or its object is named in NOT_WALKED."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            missing = set(rule.arguments) - {"request_id", "draw_id", "instance_id", "engagement_id", "task_id",
                                              "expert_id", "year", "key", "fmt"}
            assert missing <= NOT_WALKED, (rule.rule, missing)
            if not missing:
                routes.append((rule.endpoint, rule.rule))
    return routes


def urls(app, world) -> list[str]:
    found = []
    for _, rule in walk(app):
        paths = [rule]
        for argument, values in _arguments(world).items():
            pattern = re.compile(rf"<(?:[^:<>]+:)?{argument}>")
            paths = [pattern.sub(str(v), p) for p in paths for v in values] if pattern.search(rule) else paths
        found += paths
    return found


def sealed_keys(value, own: set[int], path="") -> list[str]:
    """Keys of a JSON response that carry sealed values (an expert id unless it is the viewer's own)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SEALED_KEYS or (key == "expert_id" and item is not None and item not in own):
                found.append(f"{path}.{key}")
            found += sealed_keys(item, own, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            found += sealed_keys(item, own, path)
    return found


def body_text(response) -> str:
    """A response's text; a DOCX by its printed text and an XLSX (统计看板) cell by cell, so neither can leak."""
    if response.mimetype == DOCX:  # an expert's 推荐表, 承诺书, 聘书: read as the text it prints
        return read_docx(response)[1]
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(BytesIO(response.data), read_only=True)
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
                         if v is not None)
    return response.get_data(as_text=True)


def leaks(app, client, world, user, allowed_names: set[str]) -> list[str]:
    """Every sealed value any GET response gives this viewer."""
    found, ui, headers = [], client_for(app, user), api_headers(client, user)
    sealed_names = set(world["names"].values()) - allowed_names
    for url in urls(app, world):
        response = client.get(url, headers=headers) if url.startswith("/api/") else ui.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        text = body_text(response)
        found += [f"{url}: {h}" for h in world["hexes"] if h in text]
        if TITLE in text:  # a response that shows the request names no one the viewer may not know of
            found += [f"{url}: {n}" for n in sealed_names if n in text]
        if response.is_json and url.startswith(("/api/v1/requests", "/api/v1/draws")):
            own = {i for i, n in zip(world["experts"], world["names"].values(), strict=True) if n in allowed_names}
            found += [f"{url}: {k}" for k in sealed_keys(response.get_json(), own)]
    return found


@pytest.mark.parametrize("role", ["bureau_leader", "quality_division", "admin", "process_owner"])
def test_no_page_or_api_response_gives_a_sealed_viewer_the_draw(app, client, session, users, role):
    world = staffed_after_a_redraw(session, users)
    allowed = {world["names"]["A"]} if role == "bureau_leader" else set()  # the cancellation they approved
    assert leaks(app, client, world, users[role], allowed) == []
    if role != "process_owner":  # the request page itself still shows the sealed request and the verification
        page = client_for(app, users[role]).get(f"/assignment/requests/{world['request'].id}").get_data(as_text=True)
        assert TITLE in page and "抽中名单密封" in page
        verified = client.get(f"/api/v1/draws/{world['draw'].id}/verify", headers=api_headers(client, users[role]))
        assert verified.get_json() == {"draw_id": world["draw"].id, "request_id": world["request"].id,
                                       "match": True, "rules_version": "draw-2", "rounds": 2, "problem_count": 0,
                                       "sealed": True, "checkpoint": None}  # no signed checkpoint yet
    assert client_for(app, users[role]).get(f"/instances/{world['request'].instance_id}").status_code == 403
    assert client_for(app, users[role]).get(f"/assignment/draws/{world['draw'].id}/export.json").status_code == 403


def test_a_drawn_expert_learns_no_other_drawn_name(app, client, session, users):
    world = staffed_after_a_redraw(session, users)
    expert = user_for(session, world["experts"][-1])  # C, drawn in round 2
    assert leaks(app, client, world, expert, {world["names"]["C"]}) == []


def test_the_requesting_unit_and_the_auditor_see_everything(app, client, session, users):
    world = staffed_after_a_redraw(session, users)
    for role in ("using_unit", "auditor"):
        page = client_for(app, users[role]).get(f"/assignment/requests/{world['request'].id}").get_data(as_text=True)
        assert world["draw"].seed_hex in page and all(n in page for n in world["names"].values())
        shown = client.get(f"/api/v1/requests/{world['request'].id}", headers=api_headers(client, users[role]))
        assert shown.get_json()["draw"]["seed_hex"] == world["draw"].seed_hex
        history = client_for(app, users[role]).get(f"/instances/{world['request'].instance_id}")
        assert history.status_code == 200 and world["names"]["B"] in history.get_data(as_text=True)
    exported = client.get(f"/api/v1/draws/{world['draw'].id}/export", headers=api_headers(client, users["auditor"]))
    assert exported.status_code == 200 and json.dumps(exported.get_json())


def test_task_pages_link_the_history_only_for_those_who_may_open_it(app, session, users):
    world = staffed_after_a_redraw(session, users)
    history = f'href="/instances/{world["request"].instance_id}"'
    leader = UserClient(app, app.response_class)
    assert login(leader, users["bureau_leader"].username).status_code == 302
    shown = [leader.get(f"/tasks/{task_id}") for task_id in world["tasks"]]
    pages = [r.get_data(as_text=True) for r in shown if r.status_code == 200]
    assert pages and not any(history in page for page in pages)  # the history would answer 403
    assert leader.get(f"/instances/{world['request'].instance_id}").status_code == 403
