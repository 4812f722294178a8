"""The web's database pool (crisisdesk/dbpool): applied from the environment, bounded, and an exhausted
pool is an unavailable database (503), not a crash."""

import os
import subprocess
import sys
import threading
import time

import psycopg2
import pytest
from dj_db_conn_pool.core import pool_container
from django.conf import settings
from django.db import OperationalError, connection

from crisisdesk.dbpool.base import DatabaseWrapper, closed_by_the_server


def test_database_pool_size_selects_the_bounded_pool():
    # Given the environment of a web process with a pool of 3
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://user@db.example:5432/crisisdesk",
        "SECRET_KEY": "x" * 50,
        "DATABASE_POOL_SIZE": "3",
        "DJANGO_SETTINGS_MODULE": "crisisdesk.settings",
    }
    code = (
        "from crisisdesk import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['CONN_MAX_AGE'], sorted(d['POOL_OPTIONS'].items()))"
    )

    # When the settings are read
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    ).stdout.strip()

    # Then the pooled backend is used, with no overflow beyond the size and no per-thread persistence, and its
    # own check of each connection lent instead of a ping
    assert output == (
        "crisisdesk.dbpool 0 [('MAX_OVERFLOW', 0), ('POOL_SIZE', 3), ('PRE_PING', False), ('RECYCLE', 900), "
        "('TIMEOUT', 10)]"
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_exhausted_pool_is_an_operational_error_and_a_returned_connection_is_lent_again():
    # Given a pool of one connection to the test database, held by one request thread
    settings_dict = {
        **connection.settings_dict,
        "ENGINE": "crisisdesk.dbpool",
        "CONN_MAX_AGE": 0,
        "POOL_OPTIONS": {"POOL_SIZE": 1, "MAX_OVERFLOW": 0, "TIMEOUT": 1},
    }
    alias = "pool-test"
    holder = DatabaseWrapper(settings_dict, alias)
    holder.ensure_connection()
    backend_pid = holder.connection.driver_connection.info.backend_pid
    try:
        # When another request asks for a connection meanwhile
        waiting = DatabaseWrapper(settings_dict, alias)
        # Then it gets Django's OperationalError (the 503 path), after the pool's timeout
        with pytest.raises(OperationalError, match="no pooled database connection"):
            waiting.ensure_connection()
    finally:
        holder.close()

    # And once the first gives it back, the same server connection is lent to the next one
    lent = []

    def borrow():
        borrower = DatabaseWrapper(settings_dict, alias)
        borrower.ensure_connection()
        lent.append(borrower.connection.driver_connection.info.backend_pid)
        borrower.close()

    thread = threading.Thread(target=borrow)
    thread.start()
    thread.join()
    assert lent == [backend_pid]
    pool_container.pop(alias).dispose()


@pytest.mark.django_db
def test_a_connection_the_server_terminated_is_seen_without_a_round_trip():
    # Given two idle connections, and the server terminating the second one's backend
    params = {key: value for key, value in connection.get_connection_params().items() if key != "cursor_factory"}
    healthy, doomed, admin = (psycopg2.connect(**params) for _ in range(3))
    try:
        with doomed.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        doomed.commit()
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        time.sleep(0.2)  # the server's goodbye reaches the socket
        # Then the check tells them apart from the socket alone, and the healthy one still works
        assert closed_by_the_server(doomed) is True
        assert closed_by_the_server(healthy) is False
        with healthy.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert closed_by_the_server(healthy) is False
    finally:
        for opened in (healthy, doomed, admin):
            opened.close()
