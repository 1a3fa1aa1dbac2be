"""gunicorn settings for expertpool (deploy/expertpool-web.service runs `gunicorn -c deploy/gunicorn.conf.py`).

Every value comes from the environment (deploy/expertpool.env.example). Logs go to stdout/stderr, which
systemd hands to journald: `journalctl -u expertpool-web`.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "webui.wsgi:app"
bind = os.environ.get("EXPERTPOOL_BIND", "127.0.0.1:8000")  # the reverse proxy (TLS) forwards here
workers = _int("EXPERTPOOL_WORKERS", 4)  # processes; each has its own database pool (about 2 per core)
worker_class = "sync"
preload_app = False  # each worker builds its own app: no database connection or thread crosses a fork
timeout = _int("EXPERTPOOL_WORKER_TIMEOUT", 60)  # a worker silent this long is killed and replaced
graceful_timeout = _int("EXPERTPOOL_GRACEFUL_TIMEOUT", 30)  # on stop/reload: finish requests in flight
keepalive = 5
max_requests = _int("EXPERTPOOL_MAX_REQUESTS", 5000)  # recycle a worker now and then (bounded memory)
max_requests_jitter = max_requests // 10
limit_request_line = 8190

# Logs: stdout/stderr → journald. The access line carries the request id the app logs and shows on error pages.
loglevel = os.environ.get("EXPERTPOOL_LOG_LEVEL", "info").strip().lower() or "info"
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'
proc_name = "expertpool"


def post_worker_init(worker):
    """Each worker starts the scheduler when EXPERTPOOL_SCHEDULER=leader (only the elected leader fires)."""
    from webui.scheduler import start_for_web

    start_for_web(worker.wsgi)


def worker_exit(server, worker):
    """A worker leaving (stop, reload, max_requests) lets its running tick finish and gives up the lead."""
    from webui.scheduler import stop_scheduler

    stop_scheduler()
