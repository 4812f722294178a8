"""PostgreSQL through a bounded pool of connections per process (django-db-connection-pool, psycopg2).

Under ASGI every request runs in a thread of its own, so Django's persistent connections, which are
per thread, either leak (`CONN_MAX_AGE` > 0) or cost a PostgreSQL backend per request (0). This
backend keeps one pool per process that every request thread borrows from and gives back to when
Django closes its connection at the end of the request. A connection is pinged before it is lent, so
one terminated by the server is replaced instead of failing a request.
"""

from __future__ import annotations

from dj_db_conn_pool.backends.postgresql import base
from psycopg2 import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        """A pool exhausted for `TIMEOUT` seconds is the database being unavailable (a 503), not a bug."""
        try:
            return super().get_new_connection(conn_params)
        except PoolTimeout as error:
            raise OperationalError(f"no pooled database connection became free: {error}") from error
