"""审计存证 page (issue 13): an auditor signs a checkpoint with the button, sees the database match it, downloads
the log; a refused signing (no key) says why in Chinese and writes nothing."""

from sqlalchemy import func, select

from engine.core import checkpoints
from engine.core.models import AuditEvent
from tests.evidence_support import drawn_request, recompute_chain, signing_key
from tests.support import T0
from tests.webui.test_ui_support import client_for


def test_an_auditor_signs_sees_and_downloads_the_checkpoints(app, session, users, tmp_path, monkeypatch):
    _, row = drawn_request(session, users)
    _, log_file = signing_key(tmp_path, monkeypatch)
    client = client_for(app, users["auditor"])
    page = client.get("/evidence/checkpoints").get_data(as_text=True)
    assert "尚无签名检查点" in page and 'id="download-checkpoints"' not in page
    response = client.post("/evidence/checkpoints", data={})
    assert response.status_code == 303
    page = client.get("/evidence/checkpoints").get_data(as_text=True)
    assert "已签署检查点" in page and 'data-match="1"' in page
    download = client.get("/evidence/checkpoints.jsonl")
    assert download.status_code == 200 and download.data == log_file.read_bytes()
    assert checkpoints.read_log(log_file)[0]["signature"]
    verify = client.get(f"/assignment/draws/{row.id}/verify").get_data(as_text=True)  # the draw's own page
    assert 'data-match="1"' in verify and "签名检查点覆盖" in verify


def test_the_page_shows_a_rewritten_database(app, session, users, tmp_path, monkeypatch):
    drawn_request(session, users)
    signing_key(tmp_path, monkeypatch)
    checkpoints.sign_now(session, T0)
    first = session.scalar(select(func.min(AuditEvent.id)))
    recompute_chain(session, {first: {"actor_name": "伪造者"}})  # the forger recomputes the whole chain
    page = client_for(app, users["auditor"]).get("/evidence/checkpoints").get_data(as_text=True)
    assert 'data-match="0"' in page and "审计日志被改写" in page


def test_signing_without_a_key_is_refused_in_chinese_and_writes_nothing(app, session, users, tmp_path, monkeypatch):
    drawn_request(session, users)
    monkeypatch.setitem(checkpoints.SETTINGS, "key_file", None)
    monkeypatch.setitem(checkpoints.SETTINGS, "log_file", str(tmp_path / "log.jsonl"))
    response = client_for(app, users["admin"]).post("/evidence/checkpoints", data={})
    assert response.status_code == 409 and "未配置签名私钥" in response.get_data(as_text=True)
    assert not (tmp_path / "log.jsonl").exists()
