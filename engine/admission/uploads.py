"""Uploads of the admission procedure: an upload through the API, and who may download an attachment (its uploader,
the application's owner, or staff)."""

from datetime import datetime

from engine.admission.models import Application
from engine.core.errors import Forbidden, NotFound
from engine.core.uow import unit_of_work
from engine.platform import policy
from engine.platform.attachments import Upload, store_single
from engine.platform.models import Attachment


def upload(session, actor, file: Upload, now: datetime) -> Attachment:
    """Store one upload owned by the actor (type/size/magic checked); one unit of work."""
    with unit_of_work(session):
        row = store_single(session, file, "upload", actor, now)
    return row


def get_for_download(session, viewer, attachment_id: int) -> Attachment:
    """An attachment the viewer may download: its uploader, the application's owner, or staff."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("附件不存在")
    if row.uploaded_by == viewer.id or policy.allows(viewer, policy.VIEW_ATTACHMENTS):
        return row
    app = session.get(Application, row.application_id) if row.application_id else None
    if app is not None and viewer.id in (app.applicant_user_id, app.entered_by):
        return row
    raise Forbidden("您无权下载该附件")
