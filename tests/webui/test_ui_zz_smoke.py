from tests.support import make_call
from tests.webui.test_ui_support import client_for, submit, text_of, advance

def test_smoke(app, session, users):
    call = make_call(session)
    a = submit(session, users["applicant"], call)
    tc = client_for(app, users["talent_center"])
    r = tc.get("/")
    print(r.status_code); html = text_of(r); print(html[:200])
    assert r.status_code == 200, html
    task = advance(session, users, a, "initial_review")
    r = tc.get(f"/tasks/{task.id}")
    assert r.status_code == 200, text_of(r)
    open("/tmp/task.html","w").write(text_of(r))
    for url in ["/instances", f"/instances/{a.instance_id}", "/experts", f"/applications/{a.id}", "/calls", "/applications/paper", "/applications/invite", "/applications/mine"]:
        r = tc.get(url); assert r.status_code == 200, (url, text_of(r)[:3000])
    ap = client_for(app, users["applicant"])
    for url in ["/applications/new", "/applications/mine", f"/applications/{a.id}"]:
        r = ap.get(url); assert r.status_code == 200, (url, text_of(r)[:3000])
    open("/tmp/new.html","w").write(text_of(ap.get("/applications/new")))
