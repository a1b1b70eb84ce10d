"""`manage.py verify_signatures`: re-check confirmed claims, all of them or one petition's or one affiliation's."""

import io

import pytest
from django.core.management import CommandError, call_command

from signatures.models import Signature
from tests.queued import settled

from ..factories import make_affiliation, make_petition, make_roster_entry, make_signature
from .counting import real_counts, stored_counts

pytestmark = pytest.mark.django_db

V = Signature.Verification


@pytest.fixture
def artists():
    return make_affiliation("sora-alpha-artist")


@pytest.fixture
def writers():
    return make_affiliation("writers")


def verify_signatures(*args: str) -> str:
    out = io.StringIO()
    with settled():
        call_command("verify_signatures", *args, stdout=out)
    return out.getvalue()


def sign(petition, **fields) -> Signature:
    """A confirmed signature, checked against the roster as it stands."""
    with settled():
        signature = make_signature(petition, **fields)
    signature.refresh_from_db()
    return signature


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
