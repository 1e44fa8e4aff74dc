"""WSGI entry point (gunicorn cesip.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cesip.settings")

application = get_wsgi_application()
