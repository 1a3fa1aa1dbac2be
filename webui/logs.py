"""Logging with request ids: every log line of a request carries its id, and the error page shows it.

An operator given the id from a user's screenshot finds the traceback in the server log at once.
"""

import logging
import os
import re
import secrets

from flask import Flask, g, has_request_context, request

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ('-' outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drops it."""
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def current_request_id() -> str | None:
    """The id of the request being handled (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _INCOMING_ID.fullmatch(incoming) else secrets.token_hex(6)


def _echo_request_id(response):
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response


def configure_logging(app: Flask) -> None:
    """Log to stderr with request ids (unless the host configured logging), and tag each request."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
        root.setLevel(os.environ.get("EXPERTPOOL_LOG_LEVEL", "INFO").strip().upper() or "INFO")
    if root.level > logging.DEBUG:  # a line per scheduler tick would drown the journal
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    for handler in root.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
