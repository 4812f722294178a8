"""PostgreSQL through a bounded pool of connections per process (django-db-connection-pool, psycopg2).

Under ASGI every request runs in a thread of its own, so Django's persistent connections, which are
per thread, either leak (`CONN_MAX_AGE` > 0) or cost a PostgreSQL backend per request (0). This
backend keeps one pool per process that every request thread borrows from and gives back to when
Django closes its connection at the end of the request.

A connection is checked before it is lent, so one the server terminated is replaced instead of failing a
request, and the check costs no round trip: an idle connection has nothing to read unless the server
closed it (or said why it would). The pool's own pre-ping, a `SELECT 1` per request, was the largest
single wait of the web's request threads in a crisis (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import select
from typing import Any

from dj_db_conn_pool.backends.postgresql import base
from dj_db_conn_pool.core import pool_container
from psycopg2 import OperationalError
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout


def closed_by_the_server(dbapi_connection: Any) -> bool:
    """Whether an idle psycopg2 connection was closed by the server: closed locally, or readable at once."""
    if dbapi_connection.closed:
        return True
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    return bool(readable)


def _checkout_check(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    """SQLAlchemy discards a connection whose checkout raises DisconnectionError and lends another."""
    if closed_by_the_server(dbapi_connection):
        raise DisconnectionError("PostgreSQL closed this pooled connection")


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        """A pool exhausted for `TIMEOUT` seconds is the database being unavailable (a 503), not a bug."""
        try:
            connection = super().get_new_connection(conn_params)
        except PoolTimeout as error:
            raise OperationalError(f"no pooled database connection became free: {error}") from error
        pool = pool_container.get(self.alias)
        if not event.contains(pool, "checkout", _checkout_check):
            event.listen(pool, "checkout", _checkout_check)
            if closed_by_the_server(connection.driver_connection):  # the first lent before the listener existed
                connection.invalidate()
                return super().get_new_connection(conn_params)
        return connection
