"""gunicorn for CESIP in production: `gunicorn -c cesip/gunicorn.conf.py cesip.wsgi`.

Behind the TLS proxy on the same machine (see README), so it listens on the loopback
address. Each setting can be changed from the environment without editing this file:
GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_ACCESS_LOG
(a path, or "-" for standard output; off by default: the proxy logs requests).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Pages wait on PostgreSQL part of the time: two processes per core keep the cores busy.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Load Django once in the master (and the embedded database start with it), then fork.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# The proxy on this machine sets X-Forwarded-Proto (settings.BEHIND_TLS_PROXY).
forwarded_allow_ips = "127.0.0.1"


def when_ready(server) -> None:
    """A start is a deploy: templates or data migrations may have changed what a page
    shows, so no page cached by the previous processes is served. A node without a
    search index of this schema (a new machine, a stateless node) builds one before it
    serves; until then, and while it is behind, search runs on PostgreSQL. The task
    worker beside it, or `manage.py follow_search --every 1`, keeps it current."""
    from django.core.management import call_command

    from cesip.cache import catalogue_changed

    call_command("rebuild_search", "--index-only", "--if-missing")
    catalogue_changed()
