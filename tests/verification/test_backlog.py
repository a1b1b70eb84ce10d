"""What an outage leaves behind in verification is queued again by the sweeper: pending claims, unsent
challenge emails and unfinished re-check chunks; a chunk delivered twice counts once in the progress."""

from datetime import timedelta

import pytest
from django.utils import timezone

from signatures.models import Signature
from tests.support.factories import make_checked_signature as sign
from tests.support.factories import make_petition, make_roster_entry, make_signature
from tests.support.queued import settled
from verification.models import Evidence, Recheck, RecheckChunk
from verification.tasks import queue_recheck, requeue_stalled_checks, verify_claims

pytestmark = pytest.mark.django_db

V = Signature.Verification
LONG_AGO = timezone.now() - timedelta(hours=1)


def confirmed_with_a_lost_check(petition, **fields) -> Signature:
    """Signed and confirmed, but the claim check queued after the confirmation never ran (its task was lost)."""
    signature = make_signature(petition, **fields)  # inside the test's transaction: queued tasks do not run
    Signature.objects.filter(pk=signature.pk).update(confirmed_at=LONG_AGO)
    signature.refresh_from_db()
    assert signature.verification == V.PENDING
    return signature


def test_a_claim_left_pending_by_a_lost_task_is_decided_by_the_sweep(artists, settings):
    settings.SWEEP_AFTER = 300
    petition = make_petition(affiliations=[artists])
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    signature = confirmed_with_a_lost_check(
        petition, full_name="Jane Doe", email="jane@studio.org", affiliation=artists
    )

    with settled():
        queued = requeue_stalled_checks()

    assert queued == {"claims": 1, "challenges": 0, "chunks": 0, "imports": 0}
    signature.refresh_from_db()
    assert signature.verification == V.VERIFIED


def test_a_claim_confirmed_moments_ago_is_left_to_its_own_task(artists, settings):
    settings.SWEEP_AFTER = 300
    petition = make_petition(affiliations=[artists])
    make_signature(petition, affiliation=artists)
    with settled():
        assert requeue_stalled_checks()["claims"] == 0


def test_a_claim_waiting_for_an_open_challenge_is_not_queued_again(artists, settings):
    settings.SWEEP_AFTER = 0
    petition = make_petition(affiliations=[artists])
    make_roster_entry(artists, "Jane Doe", "jane.doe@studio.org")
    with settled():
        signature = sign(petition, full_name="Jane Doe", email="jane@gmail.com", affiliation=artists)
    assert signature.verification == V.PENDING and signature.challenges.filter(state="open").exists()
    Signature.objects.filter(pk=signature.pk).update(confirmed_at=LONG_AGO)
    Evidence.objects.filter(signature=signature).update(created_at=LONG_AGO)
    with settled():
        assert requeue_stalled_checks()["claims"] == 0


def test_a_challenge_email_never_sent_is_sent_by_the_sweep(artists, settings, mailoutbox):
    settings.SWEEP_AFTER = 300
    petition = make_petition(affiliations=[artists])
    make_roster_entry(artists, "Jane Doe", "jane.doe@studio.org")
    signature = confirmed_with_a_lost_check(petition, full_name="Jane Doe", email="jane@gmail.com", affiliation=artists)
    verify_claims.run([signature.pk])  # the check ran; its challenge email's task is lost (never run here)
    assert mailoutbox == []
    signature.challenges.update(created_at=LONG_AGO)

    with settled():
        assert requeue_stalled_checks()["challenges"] == 1

    assert [m.to for m in mailoutbox] == [["jane.doe@studio.org"]]


def test_a_chunk_delivered_twice_counts_once_in_the_progress(artists):
    petition = make_petition(affiliations=[artists])
    for n in range(3):
        sign(petition, email=f"m{n}@studio.org", affiliation=artists)
    with settled():
        recheck = queue_recheck(Signature.objects.filter(petition=petition), "test", chunk_size=2)
    first = RecheckChunk.objects.filter(recheck=recheck).order_by("pk").first()

    verify_claims.run(first.signature_ids, recheck.pk, first.pk)  # the broker delivers it again

    recheck.refresh_from_db()
    assert (recheck.done, recheck.total) == (3, 3)
    assert recheck.progress == "3 of 3 claims checked (100%)"


def test_an_unfinished_chunk_is_queued_again_and_the_recheck_finishes_exactly(artists, settings):
    settings.SWEEP_AFTER = 300
    petition = make_petition(affiliations=[artists])
    for n in range(5):
        sign(petition, email=f"m{n}@studio.org", affiliation=artists)
    recheck = queue_recheck(Signature.objects.filter(petition=petition), "lost", chunk_size=2)  # tasks never sent
    assert RecheckChunk.objects.filter(recheck=recheck).count() == 3
    RecheckChunk.objects.filter(recheck=recheck).update(queued_at=LONG_AGO)

    with settled():
        assert requeue_stalled_checks()["chunks"] == 3

    recheck.refresh_from_db()
    assert (recheck.done, recheck.total) == (5, 5) and recheck.finished_at is not None
    with settled():
        assert requeue_stalled_checks()["chunks"] == 0
    assert Recheck.objects.get(pk=recheck.pk).done == 5
