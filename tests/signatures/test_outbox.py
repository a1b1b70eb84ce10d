"""The confirmation outbox: an owed email is a row until the mail server accepts it, and the sweeper sends
whatever an outage left owed, never twice what was delivered."""

import functools
from datetime import timedelta
from io import StringIO

import pytest
from django.core.mail import get_connection
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from signatures import outbox, services
from signatures.models import OutgoingConfirmation, Signature
from signatures.tasks import send_owed_confirmations, send_unsent_confirmations
from tests.support.factories import make_signature
from tests.support.signer import form

# Nothing listens on port 1 of the loopback: the connection is refused at once, as by a mail server that is down.
MAIL_SERVER_DOWN = override_settings(
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=1
)


class CountingBackend(EmailBackend):
    """Django's in-memory backend, counting the connections opened (one per batch is the point)."""

    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return super().open()


def owed(signature) -> bool:
    return OutgoingConfirmation.objects.filter(signature=signature).exists()


def queued_sends(callbacks) -> int:
    """How many times the request asks, after its commit, for the owed confirmations to be sent."""
    return sum(
        1
        for c in callbacks
        if isinstance(c, functools.partial)
        and getattr(getattr(c.func, "__self__", None), "name", "") == send_owed_confirmations.name
    )


@pytest.mark.parametrize("state", ["new", "unconfirmed", "confirmed", "withdrawn", "rejected"])
def test_signing_owes_one_email_and_asks_for_it_once_whether_or_not_the_address_signed(
    client, letter, state, django_capture_on_commit_callbacks
):
    if state != "new":
        earlier = make_signature(letter, email="grace@example.org", confirmed=state != "unconfirmed")
        OutgoingConfirmation.objects.all().delete()  # the earlier email was delivered
        if state == "withdrawn":
            services.withdraw(earlier.pk)
        if state == "rejected":
            services.reject(earlier)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/petitions/{letter.slug}/sign/", form(email="grace@example.org"))
    assert response.status_code == 200
    signature = Signature.objects.get(petition=letter, email_key="grace@example.org")
    assert queued_sends(callbacks) == 1
    assert list(OutgoingConfirmation.objects.values_list("signature_id", flat=True)) == [signature.pk]


def test_a_delivered_confirmation_is_no_longer_owed(settled, letter, mailoutbox):
    with settled():
        signature = make_signature(letter, email="ada@example.org", confirmed=False)
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]
    assert not owed(signature)


def test_an_email_the_mail_server_could_not_take_stays_owed_and_the_sweeper_sends_it_later(letter, mailoutbox):
    with MAIL_SERVER_DOWN:
        signature = make_signature(letter, email="ada@example.org", confirmed=False)
        with pytest.raises(outbox.MailServerUnavailable):
            outbox.send_owed()
        assert send_unsent_confirmations() == 0
    row = OutgoingConfirmation.objects.get(signature=signature)
    assert row.last_error and row.leased_until is None and row.refusals == 0

    sent = outbox.send_due(older_than=timedelta(0))
    assert (sent.sent, len(mailoutbox), owed(signature)) == (1, 1, False)
    assert mailoutbox[0].subject.startswith("Confirm your signature")


def test_the_sweeper_waits_sweep_after_for_the_queued_task_before_sending(letter, mailoutbox, settings):
    settings.SWEEP_AFTER = 300
    signature = make_signature(letter, email="ada@example.org", confirmed=False)  # its task never ran
    assert send_unsent_confirmations() == 0
    OutgoingConfirmation.objects.filter(signature=signature).update(
        requested_at=timezone.now() - timedelta(seconds=301)
    )
    assert send_unsent_confirmations() == 1
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]


def test_a_sweep_never_sends_again_what_was_delivered(settled, letter, mailoutbox):
    with settled():
        make_signature(letter, email="ada@example.org", confirmed=False)
    assert outbox.send_due(older_than=timedelta(0)).sent == 0
    assert len(mailoutbox) == 1


def test_the_sweeper_sends_a_batch_over_one_connection(letter, mailoutbox, settings):
    signatures = [make_signature(letter, confirmed=False) for _ in range(5)]  # their tasks never ran
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    assert outbox.send_due(older_than=timedelta(0)).sent == 5
    assert CountingBackend.opened == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(s.email for s in signatures)


def test_a_batch_reads_its_letter_once_not_its_text_with_every_row(letter, mailoutbox):
    """The batch's signatures are read without their letter, which is read once: joined to each row, the letter's
    whole text travelled with every email of the batch."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        make_signature(letter, confirmed=False)
    with CaptureQueriesContext(connection) as captured:
        assert outbox.send_due(older_than=timedelta(0)).sent == 5
    body = '"petitions_petition"."body"'
    reading_the_text = [q["sql"] for q in captured.captured_queries if body in q["sql"]]
    assert len(reading_the_text) == 1 and "signatures_signature" not in reading_the_text[0]
    assert all(letter.title in message.subject for message in mailoutbox)


def test_a_row_another_sender_holds_is_not_sent_twice(letter, mailoutbox):
    make_signature(letter, confirmed=False)
    OutgoingConfirmation.objects.update(leased_until=timezone.now() + timedelta(minutes=1))
    assert outbox.send_owed().sent == 0
    assert outbox.send_due(older_than=timedelta(0)).sent == 0
    OutgoingConfirmation.objects.update(leased_until=timezone.now() - timedelta(seconds=1))  # its sender died
    assert outbox.send_due(older_than=timedelta(0)).sent == 1
    assert len(mailoutbox) == 1


def test_a_rejected_signers_owed_email_is_dropped_unsent(letter, mailoutbox):
    signature = make_signature(letter, confirmed=False)
    services.reject(signature)
    sent = outbox.send_due(older_than=timedelta(0))
    assert (sent.sent, sent.skipped, len(mailoutbox), owed(signature)) == (0, 1, 0, False)


def test_signing_again_while_the_email_is_being_sent_owes_another(letter, mailoutbox):
    signature = make_signature(letter, email="ada@example.org", confirmed=False)
    leased = outbox._lease(OutgoingConfirmation.objects.filter(pk=signature.pk), 1)
    services.sign(letter, {**form(email="ada@example.org", full_name="Ada King"), "public": True, "affiliation": None})
    sent, left = outbox._send(leased, get_connection(), True)
    assert (sent.sent, left) == (1, {signature.pk})
    assert owed(signature)  # the second signing's email, with its details, is still to go
    assert outbox.send_due(older_than=timedelta(0)).sent == 1
    assert "Ada King" in mailoutbox[-1].body


def test_catch_up_sends_what_is_owed_and_says_what_it_did(letter, mailoutbox):
    make_signature(letter, email="ada@example.org", confirmed=False)
    out = StringIO()
    call_command("catch_up", "--now", stdout=out)
    assert "Confirmation emails: 1 sent" in out.getvalue()
    assert "0 still owed" in out.getvalue()
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]


class RefusingServer:
    """A real SMTP server that refuses one mailbox (550, as for an address that does not exist)."""

    def __init__(self, refused: str):
        self.refused, self.accepted = refused, []

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 (aiosmtpd's hook name)
        if address == self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.accepted.extend(envelope.rcpt_tos)
        return "250 Message accepted"


def test_an_address_the_mail_server_refuses_is_tried_once_a_sweep_and_left_after_three(letter, settings):
    from aiosmtpd.controller import Controller

    from tests.support.stack import free_port

    server = RefusingServer("nobody@example.org")
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        refused = make_signature(letter, email="nobody@example.org", confirmed=False)
        make_signature(letter, email="ada@example.org", confirmed=False)

        first = outbox.send_due(older_than=timedelta(0))
        assert (first.sent, first.refused) == (1, 1)  # the good one goes; the refused one is tried once
        assert server.accepted == ["ada@example.org"]
        for _ in range(2):
            outbox.send_due(older_than=timedelta(0))
        row = OutgoingConfirmation.objects.get(signature=refused)
        assert (row.refusals, "550" in row.last_error) == (outbox.MAX_REFUSALS, True)
        assert outbox.send_due(older_than=timedelta(0)).refused == 0  # left for an operator
    finally:
        controller.stop()
