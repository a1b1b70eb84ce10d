"""Django's PostgreSQL backend, with a health check that sends nothing to a connection that is plainly alive.

Django's check (`CONN_HEALTH_CHECKS`, on: settings.env_database) sends `SELECT 1` before the first query of each
request made on a kept connection, so a connection the server dropped (a restart, `pg_terminate_backend`, an idle
timeout) is replaced instead of failing that request. That is a round trip per request: about a twentieth of a
signing POST's CPU, and the database's share besides.

A connection the server has dropped has something to read while it sits idle between requests: the server's
goodbye (an error message) or the end of the stream. A live, idle connection has nothing (this site uses no
LISTEN). So the socket is polled first, without waiting, and only a connection with something to read, or one
psycopg already knows is broken, is checked the usual way (`SELECT 1`, and replaced if that fails). A server that
vanished without a word (a cable cut) is not seen by either check until the query's own timeout.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            waiting = poller.poll(0)
        except (OSError, ValueError):  # no socket any more
            return False
        return super().is_usable() if waiting else True
