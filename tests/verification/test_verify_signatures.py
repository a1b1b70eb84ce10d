"""`manage.py verify_signatures`: re-check confirmed claims, all of them or one petition's or one affiliation's."""

import io

import pytest
from django.core.management import CommandError, call_command

from signatures.models import Signature
from tests.support.counting import real_counts, stored_counts
from tests.support.factories import make_affiliation, make_petition, make_roster_entry
from tests.support.factories import make_checked_signature as sign
from tests.support.queued import settled
from verification.models import Recheck
from verification.rosters import import_roster
from verification.tasks import queue_recheck

pytestmark = pytest.mark.django_db

V = Signature.Verification


@pytest.fixture
def writers():
    return make_affiliation("writers")


def verify_signatures(*args: str) -> str:
    out = io.StringIO()
    with settled():
        call_command("verify_signatures", *args, stdout=out)
    return out.getvalue()


def verification_of(signature: Signature) -> str:
    signature.refresh_from_db()
    return signature.verification


def test_rechecks_every_confirmed_claim_against_the_current_rosters(artists, writers):
    petition = make_petition(affiliations=[artists, writers])
    jane = sign(petition, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    kim = sign(petition, full_name="Kim Lee", email="kim@press.org", affiliation=writers)
    sign(petition, full_name="No Claim")
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")  # straight into the table: nothing re-checks yet
    make_roster_entry(writers, "Kim Lee", "kim@press.org")
    assert verification_of(jane) == V.UNVERIFIED

    out = verify_signatures()

    assert "Queued 2 claims" in out
    assert (verification_of(jane), verification_of(kim)) == (V.VERIFIED, V.VERIFIED)
    assert stored_counts(petition) == real_counts(petition)
    assert stored_counts(petition)["by_affiliation"] == {artists.pk: (1, 1), writers.pk: (1, 1)}


def test_petition_option_rechecks_only_that_petition(artists):
    first, second = make_petition(affiliations=[artists]), make_petition(affiliations=[artists])
    in_first = sign(first, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    in_second = sign(second, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")

    verify_signatures("--petition", first.slug)

    assert (verification_of(in_first), verification_of(in_second)) == (V.VERIFIED, V.UNVERIFIED)
    assert stored_counts(second) == real_counts(second)


def test_affiliation_option_rechecks_only_that_affiliation(artists, writers):
    petition = make_petition(affiliations=[artists, writers])
    jane = sign(petition, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    kim = sign(petition, full_name="Kim Lee", email="kim@press.org", affiliation=writers)
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    make_roster_entry(writers, "Kim Lee", "kim@press.org")

    verify_signatures("--affiliation", writers.slug)

    assert (verification_of(jane), verification_of(kim)) == (V.UNVERIFIED, V.VERIFIED)
    assert stored_counts(petition) == real_counts(petition)


def test_both_options_narrow_together(artists, writers):
    first, second = make_petition(affiliations=[artists, writers]), make_petition(affiliations=[artists])
    target = sign(first, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    other_petition = sign(second, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")

    out = verify_signatures("--petition", first.slug, "--affiliation", artists.slug)

    assert "Queued 1 claim for" in out
    assert (verification_of(target), verification_of(other_petition)) == (V.VERIFIED, V.UNVERIFIED)


def test_roster_removal_found_by_verify_signatures_unverifies_the_claim(artists):
    petition = make_petition(affiliations=[artists])
    entry = make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    jane = sign(petition, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    assert verification_of(jane) == V.VERIFIED
    entry.delete()

    verify_signatures("--affiliation", artists.slug)

    assert verification_of(jane) == V.UNVERIFIED
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 0)}}


def test_running_twice_records_no_new_evidence(artists):
    petition = make_petition(affiliations=[artists])
    make_roster_entry(artists, "Jane Doe")
    jane = sign(petition, full_name="Jane Doe", affiliation=artists)
    verify_signatures()
    verify_signatures()
    assert jane.evidence_trail.count() == 1
    assert verification_of(jane) == V.NEEDS_REVIEW


def test_unknown_petition_is_an_error(artists):
    with pytest.raises(CommandError, match="No petition"):
        verify_signatures("--petition", "no-such-letter")


def test_unknown_affiliation_is_an_error(artists):
    with pytest.raises(CommandError, match="No affiliation"):
        verify_signatures("--affiliation", "no-such-group")


def test_a_recheck_records_its_progress_until_every_claim_is_checked(artists):
    petition = make_petition(affiliations=[artists])
    for n in range(3):
        sign(petition, full_name=f"Member {n}", email=f"m{n}@studio.org", affiliation=artists)

    out = verify_signatures("--affiliation", artists.slug)

    recheck = Recheck.objects.get()
    assert f"(re-check #{recheck.pk})" in out
    assert (recheck.reason, recheck.affiliation, recheck.petition) == ("verify_signatures command", artists, None)
    assert (recheck.total, recheck.done) == (3, 3)
    assert recheck.finished_at is not None
    assert recheck.progress == "3 of 3 claims checked (100%)"


def test_a_recheck_in_chunks_is_finished_only_when_the_last_chunk_is_done(artists):
    petition = make_petition(affiliations=[artists])
    for n in range(5):
        sign(petition, email=f"m{n}@studio.org", affiliation=artists)
    with settled() as queued:
        recheck = queue_recheck(Signature.objects.filter(petition=petition), "test", chunk_size=2)
    assert len(queued) == 3  # chunks of 2, 2 and 1, sent after the commit
    recheck.refresh_from_db()
    assert (recheck.total, recheck.done) == (5, 5)
    assert recheck.finished_at is not None

    Recheck.objects.filter(pk=recheck.pk).update(done=2, finished_at=None)
    Recheck.advance(recheck.pk, 2)
    recheck.refresh_from_db()
    assert (recheck.done, recheck.finished_at) == (4, None)
    assert recheck.progress == "4 of 5 claims checked (80%)"


def test_a_recheck_with_nothing_to_check_is_finished_at_once(artists):
    recheck = queue_recheck(Signature.objects.filter(affiliation=artists), "nothing here")
    assert (recheck.total, recheck.done, recheck.progress) == (0, 0, "0 of 0 claims checked (100%)")
    assert recheck.finished_at is not None


def test_a_roster_import_starts_a_recheck_named_after_the_file(artists):
    petition = make_petition(affiliations=[artists])
    sign(petition, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    with settled():
        import_roster(artists, b"full_name,email\nJane Doe,jane@studio.org\n", "members-2026.csv")
    recheck = Recheck.objects.get()
    assert (recheck.reason, recheck.affiliation, recheck.done, recheck.total) == (
        "roster import of members-2026.csv",
        artists,
        1,
        1,
    )
