"""Claims are checked in chunks as signers confirm: a confirmation records that its claim is owed a check (the
row says so), and one `check_owed_claims` run per window checks every claim owed, taking the claims no other
worker holds. Against the real worker, broker and PostgreSQL where the behaviour is the workflow."""

import math

import pytest

from signatures import counts, services
from signatures.models import Signature
from tests.support.counting import real_counts, stored_counts
from tests.support.factories import make_petition, make_roster_entry, make_signature
from tests.support.queued import settled
from tests.support.together import at_once
from verification import backlog, claims
from verification.models import Evidence
from verification.tasks import RECHECK_CHUNK

V = Signature.Verification


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_confirmations_is_checked_by_one_task_per_window(artists, celery_worker, wait_until, settings):
    settings.CLAIM_CHECK_WINDOW = 10  # every confirmation below falls in one window, however slow this machine
    letter = make_petition(affiliations=[artists])
    people = [(f"Member {n}", f"member{n}@studio.org") for n in range(25)]
    for name, email in people:
        make_roster_entry(artists, name, email)
    for name, email in people:  # each signed and confirmed in transactions of its own, as through the site
        make_signature(letter, full_name=name, email=email, affiliation=artists)
    assert Signature.objects.filter(petition=letter, verification=V.PENDING).count() == len(people)  # owed

    verified = Signature.objects.filter(petition=letter, verification=V.VERIFIED)
    wait_until(lambda: verified.count() == len(people), timeout=90)
    runs = set(Evidence.objects.filter(signature__petition=letter).values_list("worker", flat=True))
    assert all(run.startswith("verification.tasks.check_owed_claims@") for run in runs)
    assert len(runs) <= math.ceil(len(people) / RECHECK_CHUNK)  # one run, not one task per confirmation
    assert Evidence.objects.filter(signature__petition=letter).count() == len(people)
    counts.fold_all()
    assert stored_counts(letter) == real_counts(letter)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_check_one_claim_twice(artists):
    letter = make_petition(affiliations=[artists])
    signatures = [make_signature(letter, affiliation=artists) for _ in range(40)]  # checked: nobody on the roster
    assert {s.verification for s in signatures} == {V.UNVERIFIED}
    for signature in signatures:
        make_roster_entry(artists, signature.full_name, signature.email)
    # Owed again, as just confirmed: pending with no evidence (the counts stay right: pending is not verified).
    Signature.objects.filter(petition=letter).update(verification=V.PENDING, evidence=None, verified_at=None)
    Evidence.objects.all().delete()
    assert backlog.owed_checks().count() == len(signatures)
    # Many small chunks: the two interleave.
    results = at_once(*(lambda name=f"worker {n}": claims.check_owed(name, size=3, chunks=100) for n in range(2)))

    assert sum(result.checked for result in results) == len(signatures)
    assert all(result.checked > 0 for result in results), "one worker took every chunk: the test proves nothing"
    per_claim = Evidence.objects.filter(signature__petition=letter).values_list("signature_id", flat=True)
    assert sorted(per_claim) == sorted(s.pk for s in signatures)  # each claim checked exactly once
    assert Signature.objects.filter(petition=letter, verification=V.VERIFIED).count() == len(signatures)
    assert not backlog.owed_checks().exists()
    counts.fold_all()
    assert stored_counts(letter) == real_counts(letter)


@pytest.mark.django_db
def test_a_run_checks_every_claim_owed_including_one_whose_task_was_lost(artists):
    letter = make_petition(affiliations=[artists])
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    lost = make_signature(letter, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)  # not run
    with settled():
        other = make_signature(letter, affiliation=artists)  # its confirmation's run checks both
    lost.refresh_from_db()
    other.refresh_from_db()
    assert (lost.verification, other.verification) == (V.VERIFIED, V.UNVERIFIED)


@pytest.mark.django_db
def test_a_signer_who_confirms_again_is_owed_a_check_and_a_claim_waiting_for_its_member_is_not(artists):
    letter = make_petition(affiliations=[artists])
    make_roster_entry(artists, "Jane Doe", "jane.doe@studio.org")
    with settled():
        waiting = make_signature(letter, full_name="Jane Doe", email="jane@gmail.com", affiliation=artists)
        again = make_signature(letter, affiliation=artists)
    waiting.refresh_from_db()
    assert waiting.verification == V.PENDING and waiting.challenges.filter(state="open").exists()
    assert not backlog.owed_checks().exists()

    services.withdraw(again.pk)
    services.confirm(again.pk)  # pending again, its evidence older than the confirmation

    assert list(backlog.owed_checks().values_list("pk", flat=True)) == [again.pk]
