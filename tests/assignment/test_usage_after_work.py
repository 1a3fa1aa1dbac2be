"""Usage (使用记录) is recorded once the work has ended (Art 14: the unit reports how the work went): before the
work's end date the record is refused with a clear message — service, page and API — and nothing changes."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from engine.assignment.models import WorkRequest
from engine.core.errors import ValidationFailed
from engine.experts.models import UsageRecord
from engine.tasks import services as task_service
from tests.assignment_support import CONFIRM, START, USAGE, answer, create, engagements, make_pool, open_tasks
from tests.draw_support import AFTER_WORK, api_headers
from tests.support import T0
from tests.webui.test_ui_support import client_for, count, text_of

END = START + timedelta(days=2)
EVE_OF_END = datetime.combine(END - timedelta(days=1), time(15, 0), tzinfo=UTC)  # 23:00 in Fuzhou, the day before


def staffed(session, users, n="2"):
    make_pool(session, 5)
    request = create(session, users["using_unit"], n_experts=n, n_backups="0")
    for row in engagements(session, request.id):
        answer(session, row, CONFIRM)
    return request


def unchanged(session, request, tasks: int) -> None:
    session.expire_all()
    assert count(session, UsageRecord) == 0
    assert [e.status for e in engagements(session, request.id)] == ["confirmed"] * tasks
    assert len(open_tasks(session, request, "record_usage")) == tasks
    assert session.get(WorkRequest, request.id).status == "staffed"


@pytest.mark.parametrize("when", [T0, EVE_OF_END])
def test_usage_before_the_end_date_is_refused_and_changes_nothing(session, users, when):
    request = staffed(session, users)
    task = open_tasks(session, request, "record_usage")[0]
    with pytest.raises(ValidationFailed) as err:
        task_service.complete(session, task.id, users["using_unit"], USAGE, {}, when)
    assert f"工作结束日期为 {END}" in err.value.errors["completion"] and "尚未结束" in err.value.errors["completion"]
    unchanged(session, request, 2)


def test_the_page_and_the_api_refuse_it_too(app, client, session, users):
    request = staffed(session, users, n="1")
    (task,) = open_tasks(session, request, "record_usage")
    page = client_for(app, users["using_unit"])
    shown = text_of(page.get(f"/tasks/{task.id}"))
    assert f"工作结束日期为 {END}" in shown  # said before the unit fills the form in
    response = page.post(f"/tasks/{task.id}", data=USAGE)
    assert response.status_code == 422 and "工作尚未结束" in text_of(response)
    api = client.post(f"/api/v1/tasks/{task.id}/complete", headers=api_headers(client, users["using_unit"]),
                      json={"data": USAGE})
    assert api.status_code == 422 and "工作尚未结束" in api.get_json()["error"]["fields"]["completion"]
    unchanged(session, request, 1)


def test_usage_is_recorded_from_the_end_date_on(session, users):
    request = staffed(session, users)
    on_end_date = datetime.combine(END, time(1, 0), tzinfo=UTC)  # 09:00 in Fuzhou
    first, second = open_tasks(session, request, "record_usage")
    task_service.complete(session, first.id, users["using_unit"], USAGE, {}, on_end_date)
    task_service.complete(session, second.id, users["using_unit"], USAGE, {}, AFTER_WORK)
    session.expire_all()
    assert session.get(WorkRequest, request.id).status == "completed"
    assert [u.recorded_at for u in session.scalars(select(UsageRecord).order_by(UsageRecord.id))] == [
        on_end_date, AFTER_WORK]
