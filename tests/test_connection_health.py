"""A kept database connection is checked before each request's first query (CONN_HEALTH_CHECKS): one the server
dropped is replaced, so the request does not fail; one plainly alive is not sent `SELECT 1` (undersigned/postgresql).
Against the real PostgreSQL: the server really drops the connection (`pg_terminate_backend`)."""

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's connections"),
]


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    """From a connection of its own, as an operator's restart or an idle timeout would; returns once that backend
    has gone (pg_terminate_backend only signals it)."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits up to 5 s for it to exit


def between_requests() -> None:
    """What the end of a request does to a kept connection (Django's request_finished, which the test client
    leaves out): the next request's first query checks it again."""
    connection.close_if_unusable_or_obsolete()
    assert connection.connection is not None and not connection.health_check_done


def test_a_connection_the_server_dropped_is_replaced_before_the_next_request_uses_it():
    first = backend_pid()
    between_requests()
    terminate(first)
    assert backend_pid() != first  # the next query: on a new connection, not an error


def test_a_connection_plainly_alive_is_not_sent_select_1():
    first = backend_pid()
    between_requests()
    sent = []
    original = connection.connection.cursor
    connection.connection.cursor = lambda *args, **kwargs: sent.append(1) or original(*args, **kwargs)
    try:
        connection.close_if_health_check_failed()  # what a request's first query does
    finally:
        del connection.connection.cursor
    assert connection.health_check_done and connection.connection is not None
    assert sent == []  # no SELECT 1: nothing was waiting on the socket
    assert backend_pid() == first
