"""Web hardening applied to every request and response: security headers with a per-request CSP nonce,
no caching of pages (they carry personal data), bounded integer ids, no NUL bytes, safe local redirects."""

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # every id column is a 32-bit integer on PostgreSQL: a larger id cannot exist
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")
_DIGITS = re.compile(r"[+-]?\d{1,400}")
# Query/form parameters the views read as integers (ids, page numbers, versions).
INTEGER_PARAMETERS = frozenset({"page", "per_page", "version", "unit", "target", "year", "call_id", "lock_version",
                                "instance_ids", "task_ids", "expert_id", "request_id"})
_CACHEABLE = ("/vendor/", "/static/")  # versioned front-end files from npm; nothing personal


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route, limited to what a database id can be (404 beyond, not a database error)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def safe_next(target: str | None, fallback: str) -> str:
    """A redirect target after login: only a path on this site, else `fallback`.

    Browsers drop tabs/newlines and read `\\` as `/`, so `/%09/evil.example/` and `/\\evil.example` are
    off-site: a target holding any control character or backslash is refused rather than cleaned.
    """
    if not target or _CONTROL.search(target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def csp_nonce() -> str:
    """This request's nonce for the few inline scripts the pages need."""
    # Kept in the request's environ, not flask.g: an app context (and its g) can outlive one request.
    return request.environ.setdefault("expertpool.csp_nonce", secrets.token_urlsafe(16))


def _content_security_policy() -> str:
    # Styles: bpmn-js/dmn-js set style attributes at run time, so inline styles are allowed; scripts are not.
    return "; ".join([
        "default-src 'self'", f"script-src 'self' 'nonce-{csp_nonce()}'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'", "object-src 'none'",
        "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def _reject_bad_parameters():
    # A NUL byte cannot be stored in PostgreSQL text, and an integer beyond 32 bits cannot be an id, a page or
    # a version: refuse both at the door as a bad request (never a database error, i.e. a 500).
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            key, value = str(key or ""), str(value or "")
            if "\x00" in key or "\x00" in value:
                abort(400, "请求中含有非法字符")
            if key in INTEGER_PARAMETERS and _DIGITS.fullmatch(value.strip()) and abs(int(value)) > MAX_ID:
                abort(400, f"参数 {key} 的数值超出范围")


def _headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith(_CACHEABLE):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def install(app: Flask) -> None:
    """Hook the hardening into the app (before any blueprint is registered, for the converter)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_reject_bad_parameters)
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
