"""Many signatures at once, for plan and scale tests: one INSERT … SELECT generate_series (PostgreSQL only)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from petitions.models import Petition
from signatures.models import Signature


def insert_signatures(
    petition: Petition,
    count: int,
    *,
    newest: datetime | None = None,
    affiliation_id: int | None = None,
    status: str = Signature.Status.CONFIRMED,
    public: bool = True,
    tag: str = "",
) -> None:
    """`count` signatures of `petition`, confirmed a second apart up to `newest` (default now), ids ascending.

    Columns this does not name take their model default, so fields added later need no change here.
    """
    if count <= 0:
        return
    newest = newest or timezone.now()
    tag = tag or f"p{petition.pk}"
    claimed = affiliation_id is not None
    expressions = {
        "petition_id": ("%s", [petition.pk]),
        "version_id": ("%s", [petition.current_version_id]),
        "full_name": ("'Signer ' || n", []),
        "email": (f"'{tag}.' || n || '@bulk.example'", []),
        "email_key": (f"'{tag}.' || n || '@bulk.example'", []),
        "affiliation_id": ("%s", [affiliation_id]),
        "public": ("%s", [public]),
        "status": ("%s", [status]),
        "verification": ("%s", ["unverified" if claimed else "none"]),
        "created_at": ("%s - (%s - n) * interval '1 second' - interval '5 minutes'", [newest, count]),
        "confirmed_at": ("%s - (%s - n) * interval '1 second'", [newest, count]),
    }
    columns, values, params = [], [], []
    for field in Signature._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        sql, field_params = expressions.get(field.attname, ("%s", [field.get_default()]))
        values.append(sql)
        params += field_params
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{Signature._meta.db_table}" ({", ".join(columns)}) '  # noqa: S608 (names from the model)
            f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS n",
            [*params, count],
        )


@contextmanager
def foreign_keys_unchecked() -> Iterator[None]:
    """Rows written inside skip their foreign-key triggers (session_replication_role = replica, until the end of
    the transaction or of the block; needs a superuser, as the suite's database role is).

    For millions of rows that are valid by construction (insert_signatures names existing rows only): the
    foreign keys are deferred, so each row would otherwise queue three checks that run at the test's end (the
    test case checks constraints before its rollback), about half a minute at 1M rows on a busy machine.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('session_replication_role', 'replica', true)")
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('session_replication_role', 'origin', true)")


def hours_ago(hours: float) -> datetime:
    return timezone.now() - timedelta(hours=hours)
