"""The lifetime tasks, as celery beat sends them by name, run in the real worker and keep the counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from signatures import counts, services
from signatures.models import Erasure, Signature
from tests.support.counting import real_counts, stored_counts
from tests.support.factories import make_petition, make_signature
from undersigned.celery import app as celery_app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_beat_sends_the_lifetimes_by_name_and_the_worker_applies_them(celery_worker, wait_until, settings):
    letter = make_petition()
    kept = make_signature(letter, full_name="Kept Signer")
    gone = make_signature(letter, full_name="Withdrawn Long Ago")
    stale = make_signature(letter, full_name="Never Confirmed", confirmed=False)
    services.withdraw(gone.pk)
    long_ago = timezone.now() - timedelta(days=120)
    Signature.objects.filter(pk=gone.pk).update(withdrawn_at=long_ago)
    Signature.objects.filter(pk=stale.pk).update(submitted_at=long_ago)
    before = stored_counts(letter)

    for entry in ("purge-unconfirmed", "anonymise-withdrawn-and-rejected", "anonymise-closed-letters"):
        celery_app.send_task(settings.CELERY_BEAT_SCHEDULE[entry]["task"])

    wait_until(lambda: Erasure.objects.filter(petition=letter).count() == 2)
    wait_until(lambda: Signature.objects.get(pk=gone.pk).anonymised_at is not None)
    assert not Signature.objects.filter(pk=stale.pk).exists()
    assert Signature.objects.get(pk=kept.pk).full_name == "Kept Signer"
    assert stored_counts(letter) == before == real_counts(letter)
    assert counts.recount(letter) == []
