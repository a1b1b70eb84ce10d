"""A chunk of claims is checked with one read of the roster's addresses for the whole chunk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatures.models import Signature
from tests.support.factories import make_affiliation, make_petition, make_roster_entry, make_signature
from verification import claims

pytestmark = pytest.mark.django_db


def test_a_chunk_of_claims_reads_the_roster_addresses_once_and_decides_each_as_alone():
    artists = make_affiliation("bulk-artists")
    petition = make_petition(affiliations=[artists])
    listed = []
    for n in range(6):
        make_roster_entry(artists, f"Member Number{n}", f"member{n}@roster.example")
        listed.append(make_signature(petition, email=f"member{n}@roster.example", affiliation=artists))
    stranger = make_signature(petition, full_name="Nobody Known", email="nobody@else.example", affiliation=artists)
    given = make_signature(
        petition, full_name="Member Number5", email="other@else.example", affiliation=artists,
        roster_email="member5@roster.example",
    )  # fmt: skip
    ids = [s.pk for s in [*listed, stranger, given]]
    with CaptureQueriesContext(connection) as captured:
        claims.verify_claims(ids)
    by_address = [q["sql"] for q in captured.captured_queries if 'FROM "verification_rosterentry"' in q["sql"]]
    by_address = [sql for sql in by_address if '"email_key"' in sql.partition(" WHERE ")[2]]
    assert len(by_address) == 1
    verdicts = dict(Signature.objects.filter(pk__in=ids).values_list("pk", "verification"))
    assert [verdicts[s.pk] for s in listed] == ["verified"] * 6
    assert verdicts[stranger.pk] == "unverified"
    assert verdicts[given.pk] == "pending"  # a challenge went to the roster address the signer gave
