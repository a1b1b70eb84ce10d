"""`manage.py recount` repairs the maintained counters from the signatures and says what had drifted."""

import io

import pytest
from django.core.management import CommandError, call_command

from petitions.models import Petition
from signatures.models import AffiliationTally
from tests.support.counting import real_counts, stored_counts
from tests.support.factories import make_roster_entry, make_signature

pytestmark = pytest.mark.django_db


def recount(*args) -> str:
    out = io.StringIO()
    call_command("recount", *args, stdout=out)
    return out.getvalue()


def test_recount_repairs_drifted_counters_and_reports_each_one(letter, artists, settled):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    with settled():
        make_signature(letter, full_name="Ana Castillo", email="ana@studio.example", affiliation=artists)
        make_signature(letter, affiliation=artists)
        make_signature(letter)
    truth = real_counts(letter)
    Petition.objects.filter(pk=letter.pk).update(signature_count=99)
    AffiliationTally.objects.filter(petition=letter).update(claimed=0, verified=7)

    output = recount("--petition", letter.slug)

    assert stored_counts(letter) == truth == {"confirmed": 3, "by_affiliation": {artists.pk: (2, 1)}}
    assert f"{letter.slug}: confirmed was 99, is 3" in output
    assert "claimed (affiliation" in output and "was 0, is 2" in output
    assert "verified (affiliation" in output and "was 7, is 1" in output
    assert "3 counters had drifted and were repaired." in output


def test_recount_of_correct_counters_changes_nothing(letter, artists, settled):
    with settled():
        make_signature(letter, affiliation=artists)
    before = stored_counts(letter)
    assert recount().strip().endswith("0 counters had drifted and were repaired.")
    assert stored_counts(letter) == before


def test_recount_of_an_unknown_petition_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No petition with slug 'nope'"):
        recount("--petition", "nope")
