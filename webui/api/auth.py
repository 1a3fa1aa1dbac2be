"""Bearer-token authentication and capability guard for the JSON API (tokens from engine.platform.accounts)."""

from functools import wraps

from flask import g, request

from engine.core.db import kept_loaded
from engine.core.errors import Forbidden, ServiceError
from engine.platform import policy
from engine.platform.accounts import LoginFailed, user_for_token
from webui.extensions import db
from webui.timeutil import now

# Endpoints reachable without a token: login and the OpenAPI document.
PUBLIC_ENDPOINTS = frozenset({"api.issue_token", "api.openapi_document"})


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate_request() -> None:
    """Blueprint guard: set g.api_user from the bearer token; 401 JSON when missing or invalid."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return
    token = bearer_token()
    if token is None:
        raise LoginFailed("缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌")
    g.api_user = user_for_token(db.session, token, now())


def api_user():
    """The user authenticated for this API request."""
    return g.api_user


def api_requires(capability: policy.Capability):
    """Allow the API view only to token users holding `capability` (403 JSON otherwise; 401 comes first)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not policy.allows(api_user(), capability):
                raise Forbidden("您的角色无权执行该操作")
            return view(*args, **kwargs)

        wrapper.capability = capability
        return wrapper

    return decorate


def add_auth_challenge(response):
    """RFC 6750: a 401 answer names the Bearer scheme."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return response


def json_body() -> dict:
    """The request body as a JSON object; 400 when it is malformed or not an object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ServiceError("请求体必须是 JSON 对象（Content-Type: application/json）")
    return body


def kept_after_commit():
    """Rows the service committed stay loaded for the answer (it shows what was just written), instead of each being
    read again after the commit."""
    return kept_loaded(db.session())
