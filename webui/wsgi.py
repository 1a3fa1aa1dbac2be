"""The WSGI entry point for gunicorn (`webui.wsgi:app`, deploy/gunicorn.conf.py); the scheduler is started per
worker by the gunicorn hook, not here, so importing this module starts no thread."""

from webui.app import create_app

app = create_app()
