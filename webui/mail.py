"""Send mail queued by a request right after it commits (best effort; the scheduled job retries)."""

import logging

from flask import current_app, request

from engine.platform import notifications as notify
from webui.extensions import db
from webui.timeutil import now

log = logging.getLogger(__name__)


def send_after_commit(response):
    """After a successful request that queued mail, send it now; never fails the request."""
    queued = db.session.info.pop(notify.MAIL_QUEUED, False)
    host = current_app.config.get("SMTP_HOST")
    if not (queued and host and request.method == "POST" and response.status_code < 400):
        return response
    try:
        cfg = notify.smtp_settings()
        notify.send_outbox(db.session, host, current_app.config.get("SMTP_PORT", 25), now(), limit=50,
                           sender=cfg.sender, timeout=5)
    except Exception:  # the outbox keeps the mail; the scheduled job retries
        log.exception("sending queued mail failed")
        db.session.rollback()
    return response
