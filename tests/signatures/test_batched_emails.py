"""Confirmation emails leave in batches: the signings of a moment owe their rows, one task sends them all over
one SMTP connection, and two senders at once never send one email twice. Against the real worker, broker,
PostgreSQL and SMTP sink."""

import math

import pytest
from django.core import mail

from signatures import outbox
from signatures.models import OutgoingConfirmation, Signature
from tests.support.factories import make_petition, make_signature
from tests.support.signer import form
from tests.support.together import at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.worker
def test_a_burst_of_signatures_is_emailed_by_one_task_over_one_smtp_connection(
    client, celery_worker, smtp_sink, wait_until, settings
):
    settings.CONFIRMATION_BATCH_WINDOW = 5  # every signing below falls in one window, however slow this machine
    letter = make_petition()
    addresses = [f"signer{n}@example.org" for n in range(12)]
    for address in addresses:
        assert client.post(f"/petitions/{letter.slug}/sign/", form(email=address)).status_code == 200
    assert OutgoingConfirmation.objects.count() == len(addresses)  # owed, not sent yet: the window is open

    wait_until(lambda: len(smtp_sink.messages) >= len(addresses), timeout=60)
    wait_until(lambda: not OutgoingConfirmation.objects.exists())
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(addresses)  # each once
    assert smtp_sink.connections() <= math.ceil(len(addresses) / outbox.BATCH)


def test_two_senders_at_once_never_send_one_email_twice(smtp_sink, settings, monkeypatch):
    letter = make_petition()
    signatures = [make_signature(letter, email=f"signer{n}@example.org", confirmed=False) for n in range(40)]
    for signature in signatures:  # owed again (their first emails went to the in-memory outbox)
        outbox.owe_confirmation(signature.pk)
    mail.outbox.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    monkeypatch.setattr(outbox, "BATCH", 4)  # many small claims, so the two senders interleave
    results = at_once(outbox.send_owed, outbox.send_owed)

    assert sum(result.sent for result in results) == len(signatures)
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(s.email for s in signatures)  # each exactly once
    assert smtp_sink.connections() <= 2  # one connection per sender, whatever the number of batches
    assert not OutgoingConfirmation.objects.exists()
    assert Signature.objects.count() == len(signatures)
