"""On PostgreSQL a statement a connection runs often is prepared on the server, its plan made once per connection
(settings.env_database: server-side binding and prepare_threshold): the signing's statement included."""

import pytest
from django.db import connection

from tests.support.signer import form

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's prepared statements"),
]


def prepared() -> dict[str, int]:
    """The statements this connection has prepared, and how often each ran on a generic (reused) plan."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def test_the_signing_statement_is_prepared_after_a_few_signings_and_its_plan_reused(client, letter):
    # psycopg prepares on the 5th run; PostgreSQL plans a prepared statement afresh 5 times before it weighs a
    # generic plan: 14 signings see both.
    for n in range(14):
        response = client.post(
            f"/petitions/{letter.slug}/sign/", form(email=f"signer{n}@example.org"), REMOTE_ADDR=f"10.0.{n}.1"
        )
        assert response.status_code == 200
    signing = {sql: plans for sql, plans in prepared().items() if 'INSERT INTO "signatures_signature"' in sql}
    assert len(signing) == 1, prepared()
    [(sql, generic_plans)] = signing.items()
    assert "$1" in sql  # its values were sent apart, not written into the SQL
    assert generic_plans >= 1  # a later signing ran on the plan made once


def test_the_signing_statement_stays_within_psycopgs_cache_of_converted_statements(client, letter):
    """psycopg turns a statement's `%s` into `$1…` once and keeps the result, but only for statements of at most
    MAX_CACHED_STATEMENT_LENGTH bytes and MAX_CACHED_STATEMENT_PARAMS values: a longer one is parsed again at every
    run (about 34 µs here, a thirtieth of a signing POST), with no error to say so. The signing statement (every
    column, the rules of signing again, the rows written alongside) is close to the length: a few more columns on
    Signature would cross it. Shorten the statement (signatures.upsert) rather than raise this test's limits."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

    seen = []

    def record(execute, sql, params, many, context):
        if 'INSERT INTO "signatures_signature"' in sql:
            seen.append((len(sql.encode()), len(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        for n in range(2):  # a new signature, then the same address signing again
            response = client.post(f"/petitions/{letter.slug}/sign/", form(email="again@example.org", comment=f"{n}"))
            assert response.status_code == 200
    assert len(seen) == 2
    for length, values in seen:
        assert length <= MAX_CACHED_STATEMENT_LENGTH and values <= MAX_CACHED_STATEMENT_PARAMS, (length, values)
