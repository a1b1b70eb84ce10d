"""undersigned.lookups.AnyOf: on PostgreSQL one array parameter (`= ANY(%s)`), elsewhere `IN (…)`; the same rows
either way, for every shape the chunk queries use (ids, strings, a set, None among them, none at all, inside an
OR, an UPDATE)."""

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from tests.support.factories import make_roster_entry
from undersigned.lookups import AnyOf
from verification.models import RosterEntry


@pytest.mark.django_db
def test_any_of_finds_what_in_finds_on_postgresql_and_elsewhere(artists, monkeypatch):
    entries = [make_roster_entry(artists, f"Member {n}", f"member{n}@studio.org") for n in range(6)]
    pks = [entry.pk for entry in entries]
    keys = [entry.email_key for entry in entries[:3]] + ["nobody@studio.org", "o'brien@studio.org"]
    shapes = [
        lambda: Q(AnyOf(F("pk"), pks[::2])),
        lambda: Q(AnyOf(F("pk"), set(pks[1:3]))),
        lambda: Q(AnyOf(F("pk"), [None, pks[4]])),
        lambda: Q(AnyOf(F("pk"), [])),
        lambda: Q(AnyOf(F("email_key"), keys)),
        lambda: Q(affiliation_id=artists.pk) & Q(AnyOf(F("email_key"), keys)) | Q(AnyOf(F("pk"), [pks[5]])),
        lambda: Q(AnyOf(F("pk"), [])) | Q(AnyOf(F("affiliation_id"), [artists.pk])),
    ]

    def found(vendor: str) -> tuple[list, list[str]]:
        with monkeypatch.context() as patch:
            patch.setattr(connection, "vendor", vendor)
            with CaptureQueriesContext(connection) as queries:
                rows = [sorted(RosterEntry.objects.filter(shape()).values_list("pk", flat=True)) for shape in shapes]
            RosterEntry.objects.filter(AnyOf(F("pk"), pks[:2])).update(full_name=f"Renamed by {vendor}")
            renamed = RosterEntry.objects.filter(full_name=f"Renamed by {vendor}")
            rows.append(sorted(renamed.values_list("pk", flat=True)))
        return rows, [query["sql"] for query in queries.captured_queries]

    fast, fast_sql = found("postgresql")
    generic, generic_sql = found("sqlite")  # Django's IN (…), run by PostgreSQL here
    assert fast == generic
    assert fast == [pks[::2], pks[1:3], [pks[4]], [], pks[:3], [*pks[:3], pks[5]], pks, pks[:2]]
    assert len(fast_sql) == len(generic_sql) == len(shapes) - 1  # none for the empty list: no row can match
    assert any("= ANY(" in sql for sql in fast_sql) and not any(" IN (" in sql for sql in fast_sql)
    assert not any("ANY(" in sql for sql in generic_sql) and any(" IN (" in sql for sql in generic_sql)
