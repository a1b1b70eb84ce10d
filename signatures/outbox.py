"""The confirmation outbox: every confirmation email owed is a row, written in the signing transaction, and
deleted only once the mail server has accepted the email.

So nothing an outage interrupts is lost: a queued task that never ran (broker down), ran out of retries (mail
server down) or died with its worker (killed) leaves its row, and the sweeper sends it. A sender leases the
rows it sends (`leased_until`), so the task and the sweeper never send the same row at once, and deletes a
row only if it was not signed again meanwhile (that signing is owed an email of its own, with its details).

An email the server accepted just before a worker was killed may be sent twice (at least once, never zero
times); nothing that was recorded as sent is sent again.
"""

import contextlib
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from petitions.models import Petition

from .emails import send_confirmation_email
from .models import OutgoingConfirmation, Signature

logger = logging.getLogger(__name__)

# How long a sender holds the rows it is sending: longer than a batch takes (SMTP's timeout is 20 s a command).
LEASE = timedelta(minutes=5)
# Rows a sender claims at once (and marks sent together); a run sends all its batches over one SMTP connection.
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


def owe_confirmation_to(petition_id: int, key: str) -> None:
    """The "didn't get the email?" request: owe the confirmation again if the mailbox `key` (email_key) has an
    unconfirmed signature on this petition, as signing does (the same row, the same sender).

    One statement (INSERT … SELECT … ON CONFLICT), the same whether or not there is such a signature, so the
    request's work does not tell whether that address signed.
    """
    table, signatures = OutgoingConfirmation._meta.db_table, Signature._meta.db_table
    statement = (
        f"INSERT INTO {table} (signature_id, requested_at, leased_until, refusals, last_error) "  # noqa: S608 (names from the models)
        f"SELECT id, %s, NULL, 0, '' FROM {signatures} WHERE petition_id = %s AND email_key = %s AND status = %s "
        "ON CONFLICT (signature_id) DO UPDATE SET requested_at = excluded.requested_at"
    )
    with db_connection.cursor() as cursor:
        cursor.execute(statement, [timezone.now(), petition_id, key, Signature.Status.UNCONFIRMED])


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


def send_owed(limit: int = 10_000) -> Sent:
    """Send every confirmation owed that no other sender holds, over one SMTP connection, `BATCH` rows claimed
    at a time: what the `send_owed_confirmations` task does a moment after the signings that owe them.

    Rows the mail server refused before are the sweeper's (once a sweep, up to MAX_REFUSALS). Raises
    MailServerUnavailable when the server is down, after releasing what it held.
    """
    return _send_batches(OutgoingConfirmation.objects.filter(refusals=0), limit)


def send_due(older_than: timedelta | None = None, limit: int = 10_000) -> Sent:
    """The sweeper: send every confirmation owed for longer than `older_than` (SWEEP_AFTER by default), over one
    SMTP connection, `BATCH` rows claimed at a time, oldest first, at most `limit`.

    Raises MailServerUnavailable when the server is down, after releasing what it held.
    """
    cutoff = timezone.now() - (older_than if older_than is not None else timedelta(seconds=settings.SWEEP_AFTER))
    due = OutgoingConfirmation.objects.filter(requested_at__lte=cutoff, refusals__lt=MAX_REFUSALS)
    return _send_batches(due, limit)


def _send_batches(rows, limit: int) -> Sent:
    """Claim `BATCH` of `rows` at a time and send them over one connection, opened for the first email."""
    total, tried, kept = Sent(), 0, set()
    connection = None
    try:
        while tried < limit:
            # Each row once per run: one the server refused or deferred, or signed again while it was being
            # sent (owed anew), waits for the next run.
            leased = _lease(rows.exclude(pk__in=kept) if kept else rows, min(BATCH, limit - tried))
            if not leased:
                break
            tried += len(leased)
            opening = connection is None
            if opening:
                connection = get_connection()
            sent, left = _send(leased, connection, opening)
            total += sent
            kept |= left
    finally:
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):  # a server that went away: nothing to close
                connection.close()
    return total


def _lease(rows, limit: int) -> dict[int, object]:
    """Take up to `limit` unleased rows for `LEASE`: {signature id: requested_at as read}.

    FOR UPDATE SKIP LOCKED: two senders claiming at once take different rows, neither waits for the other.
    """
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


def _send(leased: dict[int, object], connection, opening: bool) -> tuple[Sent, set[int]]:
    """Send the leased rows over `connection` (opened first if `opening`); the rows whose email was accepted
    (or is no longer needed) are deleted together at the end. Returns what happened and the ids left owed."""
    result, done, left = Sent(), {}, set()
    signatures = Signature.objects.select_related("affiliation").in_bulk(list(leased))
    # The letters are read once for the batch (it is usually one), not joined to every row: each row would carry
    # the letter's whole text.
    letters = Petition.objects.in_bulk({signature.petition_id for signature in signatures.values()})
    for signature in signatures.values():
        Signature.petition.field.set_cached_value(signature, letters[signature.petition_id])
    pending = list(leased)
    try:
        if opening:
            connection.open()
        while pending:
            signature_id = pending[0]
            signature = signatures.get(signature_id)
            if signature is None or signature.status == Signature.Status.REJECTED or signature.anonymised:
                done[signature_id] = leased[signature_id]
                result.skipped += 1
            else:
                try:
                    send_confirmation_email(signature, connection=connection)  # in the signer's language
                except smtplib.SMTPRecipientsRefused as error:
                    codes = [code for code, _ in error.recipients.values()]
                    _failed(signature_id, str(error), refused=bool(codes) and min(codes) >= 500)
                    result.refused += 1
                    left.add(signature_id)
                except smtplib.SMTPDataError as error:
                    _failed(signature_id, str(error), refused=error.smtp_code >= 500)
                    result.refused += 1
                    left.add(signature_id)
                else:
                    done[signature_id] = leased[signature_id]
                    result.sent += 1
            pending.pop(0)
    except (smtplib.SMTPException, OSError) as error:  # refused, dropped, timed out, unknown host
        _release(pending, str(error))
        result.deferred += len(pending)
        logger.warning(
            "Mail server unavailable: %d confirmation email(s) wait for the next attempt (%s).", len(pending), error
        )
        raise MailServerUnavailable(str(error)) from error
    finally:
        left |= _done(done)
    return result, left


def _done(done: dict[int, object]) -> set[int]:
    """Sent (or nothing to send): the rows go in one statement, except those signed again meanwhile (owed once
    more, with the new details): they are released for the next sender. Returns the ids released."""
    if not done:
        return set()
    deleted = _delete_as_read(done)
    if deleted == len(done):
        return set()
    again = set(OutgoingConfirmation.objects.filter(pk__in=list(done)).values_list("pk", flat=True))
    _release(again, "")
    return again


def _delete_as_read(done: dict[int, object]) -> int:
    """Delete the rows whose `requested_at` is still the one read (one statement); how many went.

    On PostgreSQL the pairs go as two arrays (a statement of the same text for every batch); the ORM's
    `Q(pk=…, requested_at=…) | …` took a hundred ORed conditions to build, quote, parse and plan, two
    milliseconds of the worker's and the database's CPU an email. Elsewhere (SQLite, `make run`) the ORM's.
    """
    if db_connection.vendor == "postgresql":
        table = OutgoingConfirmation._meta.db_table
        statement = (
            f"DELETE FROM {table} WHERE (signature_id, requested_at) IN "  # noqa: S608 (the model's table)
            "(SELECT * FROM unnest(%s::bigint[], %s::timestamptz[]))"
        )
        with db_connection.cursor() as cursor:
            cursor.execute(statement, [list(done), list(done.values())])
            return cursor.rowcount
    matches = Q()
    for signature_id, requested_at in done.items():
        matches |= Q(pk=signature_id, requested_at=requested_at)
    deleted, _ = OutgoingConfirmation.objects.filter(matches).delete()
    return deleted


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
