"""Django's PostgreSQL backend for the embedded server (cesip.embedded_db), which starts
the server again when a connection fails because it died, then tries once more.

Only the embedded default uses it (cesip.settings); a server named by DATABASE_URL is
someone else's to restart, and the site answers 503 until it is back.
"""

from django.conf import settings
from django.db.backends.postgresql import base

from cesip import embedded_db


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except base.Database.OperationalError:
            if not embedded_db.restart(settings.VAR_DIR):
                raise
        return super().get_new_connection(conn_params)
