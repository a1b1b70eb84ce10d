"""The confirmation outbox: every confirmation email owed is a row, written in the signing transaction, and
deleted only once the mail server has accepted the email.

So nothing an outage interrupts is lost: a queued task that never ran (broker down), ran out of retries (mail
server down) or died with its worker (killed) leaves its row, and the sweeper sends it. A sender leases the
rows it sends (`leased_until`), so the task and the sweeper never send the same row at once, and deletes a
row only if it was not signed again meanwhile (that signing is owed an email of its own, with its details).

An email the server accepted just before a worker was killed may be sent twice (at least once, never zero
times); nothing that was recorded as sent is sent again.
"""

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .emails import send_confirmation_email
from .models import OutgoingConfirmation, Signature

logger = logging.getLogger(__name__)

# How long a sender holds the rows it is sending: longer than a batch takes (SMTP's timeout is 20 s a command).
LEASE = timedelta(minutes=5)
# Emails sent over one SMTP connection by the sweeper.
BATCH = 100
# Refusals of an address (5xx) after which the sweeper stops trying it; an unreachable server counts nothing.
MAX_REFUSALS = 3


class MailServerUnavailable(Exception):
    """The mail server could not be reached or dropped the connection: the rows wait for the next attempt."""


def owe_confirmation(signature_id: int) -> None:
    """Record, in the caller's transaction, that this signature is owed a confirmation email (one row each).

    The same single statement whether or not one was already owed (an upsert), so signing does the same work
    for a new and a known address.
    """
    OutgoingConfirmation.objects.bulk_create(
        [OutgoingConfirmation(signature_id=signature_id, requested_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["signature"],
        update_fields=["requested_at"],
    )


@dataclass
class Sent:
    sent: int = 0
    skipped: int = 0  # nothing to send any more (the signature was rejected, erased or anonymised)
    refused: int = 0
    deferred: int = 0  # a temporary failure: left for the next attempt

    def __iadd__(self, other: "Sent") -> "Sent":
        self.sent += other.sent
        self.skipped += other.skipped
        self.refused += other.refused
        self.deferred += other.deferred
        return self


def send_owed(signature_id: int) -> Sent:
    """Send this signature's confirmation, if one is owed and no other sender holds it (the queued task).

    Raises MailServerUnavailable when the server is down (the task retries; the row waits for the sweeper).
    """
    return _send(_lease(OutgoingConfirmation.objects.filter(pk=signature_id), 1))


def send_due(older_than: timedelta | None = None, limit: int = 10_000) -> Sent:
    """The sweeper: send every confirmation owed for longer than `older_than` (SWEEP_AFTER by default),
    `BATCH` emails per SMTP connection, oldest first, at most `limit`.

    Raises MailServerUnavailable when the server is down, after releasing what it held.
    """
    cutoff = timezone.now() - (older_than if older_than is not None else timedelta(seconds=settings.SWEEP_AFTER))
    due = OutgoingConfirmation.objects.filter(requested_at__lte=cutoff, refusals__lt=MAX_REFUSALS)
    total, tried = Sent(), set()
    while len(tried) < limit:
        # Each row once per sweep: one the server refused or deferred waits for the next sweep.
        leased = _lease(due.exclude(pk__in=tried), min(BATCH, limit - len(tried)))
        if not leased:
            break
        tried.update(leased)
        total += _send(leased)
    return total


def _lease(rows, limit: int) -> dict[int, object]:
    """Take up to `limit` unleased rows for `LEASE`: {signature id: requested_at as read}."""
    now = timezone.now()
    with transaction.atomic():
        free = (
            rows.filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .select_for_update(skip_locked=True)
            .order_by("requested_at")
            .values_list("pk", "requested_at")[:limit]
        )
        leased = dict(free)
        if leased:
            OutgoingConfirmation.objects.filter(pk__in=leased).update(leased_until=now + LEASE)
    return leased


def _send(leased: dict[int, object]) -> Sent:
    """Send the leased rows over one connection; each row is deleted once its email was accepted."""
    result = Sent()
    if not leased:
        return result
    signatures = Signature.objects.select_related("petition", "affiliation").in_bulk(list(leased))
    pending = list(leased)
    try:
        with get_connection() as connection:
            while pending:
                signature_id = pending[0]
                signature = signatures.get(signature_id)
                if signature is None or signature.status == Signature.Status.REJECTED or signature.anonymised:
                    _done(signature_id, leased[signature_id])
                    result.skipped += 1
                else:
                    try:
                        send_confirmation_email(signature, connection=connection)
                    except smtplib.SMTPRecipientsRefused as error:
                        codes = [code for code, _ in error.recipients.values()]
                        _failed(signature_id, str(error), refused=bool(codes) and min(codes) >= 500)
                        result.refused += 1
                    except smtplib.SMTPDataError as error:
                        _failed(signature_id, str(error), refused=error.smtp_code >= 500)
                        result.refused += 1
                    else:
                        _done(signature_id, leased[signature_id])
                        result.sent += 1
                pending.pop(0)
    except (smtplib.SMTPException, OSError) as error:  # refused, dropped, timed out, unknown host
        _release(pending, str(error))
        result.deferred += len(pending)
        logger.warning(
            "Mail server unavailable: %d confirmation email(s) wait for the next attempt (%s).", len(pending), error
        )
        raise MailServerUnavailable(str(error)) from error
    return result


def _done(signature_id: int, requested_at) -> None:
    """Sent (or nothing to send): the row goes, unless the signer signed again meanwhile (owed once more)."""
    deleted, _ = OutgoingConfirmation.objects.filter(pk=signature_id, requested_at=requested_at).delete()
    if not deleted:
        _release([signature_id], "")


def _failed(signature_id: int, error: str, *, refused: bool) -> None:
    row = OutgoingConfirmation.objects.filter(pk=signature_id)
    if refused:
        row.update(refusals=F("refusals") + 1)
    _release([signature_id], error)
    logger.warning("Confirmation email for signature %s not accepted: %s", signature_id, error)


def _release(signature_ids: Iterable[int], error: str) -> None:
    fields = {"leased_until": None}
    if error:
        fields["last_error"] = error[:300]
    OutgoingConfirmation.objects.filter(pk__in=list(signature_ids)).update(**fields)


def owed_count() -> int:
    """How many confirmation emails are owed right now (the operator's command and the drills print it)."""
    return OutgoingConfirmation.objects.count()
