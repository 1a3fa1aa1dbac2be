"""Throttling of the doors anyone can knock on (UI login, API token, registration and its code, the
forgotten-password request and reset) with Flask-Limiter, per client address and per account name. The counters live in the store configured
by EXPERTPOOL_RATELIMIT_STORAGE (Redis, shared by every gunicorn worker); the single-process demo keeps them in
memory. Each app gets its own Limiter (a Limiter binds to one app), wrapping the guarded views."""

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

TOO_MANY = "尝试过于频繁，请稍后再试。"
PER_ADDRESS = "30 per minute;300 per hour"  # one office's NAT shares an address: generous per address
PER_ACCOUNT = "10 per 5 minutes;40 per hour"  # failures only (the lock-out also counts them, per account)
GUARDED = ("auth.login", "api.issue_token", "register.register", "register.verify", "register.forgot",
           "register.reset")


def _account_key() -> str:
    body = request.get_json(silent=True) if request.is_json else None
    name = body.get("username") if isinstance(body, dict) else request.form.get("username")
    return "account:" + str(name or "").strip().lower()[:60]


def _address_limit() -> str:
    return current_app.config.get("THROTTLE_PER_ADDRESS", PER_ADDRESS)


def _account_limit() -> str:
    return current_app.config.get("THROTTLE_PER_ACCOUNT", PER_ACCOUNT)


def _failed(response) -> bool:
    return response.status_code in (400, 401, 403, 422)


def install(app: Flask, endpoints=GUARDED) -> Limiter:
    """Give the app its limiter and throttle `endpoints` (call after the blueprints are registered):
    every POST per address, failed attempts per account name."""
    limiter = Limiter(get_remote_address, app=app, key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", "expertpool"),
                      storage_uri=app.config["RATELIMIT_STORAGE_URI"], headers_enabled=False)
    for endpoint in endpoints:
        view = app.view_functions[endpoint]
        # Shared limits: one counter per account (and per address) across every guarded door.
        view = limiter.shared_limit(_account_limit, "account", key_func=_account_key, methods=["POST"],
                                    deduct_when=_failed, error_message=TOO_MANY)(view)
        app.view_functions[endpoint] = limiter.shared_limit(_address_limit, "address", methods=["POST"],
                                                            error_message=TOO_MANY)(view)
    app.extensions["expertpool_limiter"] = limiter
    return limiter
