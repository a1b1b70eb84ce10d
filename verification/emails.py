"""The roster challenge email: sent to the roster entry's own address, never to the address the signer typed.

In the language the claim was made in (`Signature.language`), with a text and an HTML part
(`signatures.emails.draft_email`: rendered once per kind of email in a batch, the names and link filled in)."""

import contextlib
import logging
import math
import smtplib
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from signatures.emails import Draft, defanged, draft_email
from signatures.outbox import BATCH, LEASE, MailServerUnavailable, Sent

from . import challenges
from .models import RosterChallenge

logger = logging.getLogger(__name__)


def send_challenges(challenge_ids: Iterable[int]) -> Sent:
    """Email these roster challenges, those still open and unsent that no other sender holds, over one SMTP
    connection, `outbox.BATCH` at a time: each batch claimed (a lease, FOR UPDATE SKIP LOCKED), sent, then marked
    sent in one statement. What the `send_roster_challenges` task does for the challenges a chunk of claims opened,
    and the sweeper for those an outage left unsent.

    Sent once: a challenge marked sent, answered, closed or held by another sender is left out, so two senders at
    once never send one twice. An email accepted just before its worker was killed, before the batch was marked,
    is sent again once its lease runs out (at least once, never zero times). A refused address is left unsent (the
    sweeper tries it again); with the mail server down, what was not sent is released and MailServerUnavailable
    raised.
    """
    wanted, total = sorted(set(challenge_ids)), Sent()
    connection = None
    try:
        for start in range(0, len(wanted), BATCH):
            leased = _lease(wanted[start : start + BATCH])
            if not leased:
                continue
            opening = connection is None
            if opening:
                connection = get_connection()
            total += _send(leased, connection, opening)
    finally:
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):  # a server that went away: nothing to close
                connection.close()
    return total


# What a challenge's email shows (`_send_one`, `_draft`), and all that `_lease` reads: not the letter's text, nor the
# signature's or the letter's other columns, which every row would otherwise carry.
_SHOWN = (
    "address",
    "expires_at",
    "signature__full_name",
    "signature__language",
    "signature__petition__title",
    "signature__petition__slug",
    "signature__affiliation__name",
    "roster_entry__full_name",
)


def _lease(challenge_ids: list[int]) -> list[RosterChallenge]:
    """Take those of these challenges still to send that no other sender holds, for `LEASE`, with what their
    emails show."""
    now = timezone.now()
    with transaction.atomic():
        free = list(
            RosterChallenge.objects.open()
            .filter(pk__in=challenge_ids, sent_at=None, expires_at__gt=now)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("signature__petition", "signature__affiliation", "roster_entry")
            .only(*_SHOWN)
            .order_by("pk")
        )
        if free:
            RosterChallenge.objects.filter(pk__in=[c.pk for c in free]).update(leased_until=now + LEASE)
    return free


def _send(leased: list[RosterChallenge], connection, opening: bool) -> Sent:
    """Send the leased challenges over `connection` (opened first if `opening`); those accepted are marked sent
    together at the end, the others released."""
    result, done, left = Sent(), [], []
    pending, drafts = list(leased), {}
    try:
        if opening:
            connection.open()
        while pending:
            challenge = pending[0]
            try:
                _send_one(challenge, connection, drafts)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                logger.warning("Roster challenge %s not accepted: %s", challenge.pk, error)
                result.refused += 1
                left.append(challenge.pk)
            else:
                done.append(challenge.pk)
                result.sent += 1
            pending.pop(0)
    except (smtplib.SMTPException, OSError) as error:  # refused, dropped, timed out, unknown host
        left += [challenge.pk for challenge in pending]
        result.deferred += len(pending)
        logger.warning(
            "Mail server unavailable: %d roster challenge(s) wait for the next attempt (%s).", len(pending), error
        )
        raise MailServerUnavailable(str(error)) from error
    finally:
        if done:
            RosterChallenge.objects.filter(pk__in=done).update(sent_at=timezone.now(), leased_until=None)
        if left:
            RosterChallenge.objects.filter(pk__in=left).update(leased_until=None)
    return result


def _send_one(challenge: RosterChallenge, connection, drafts: dict) -> None:
    """Email one challenge. Its email is drafted once per letter, affiliation, language and days left (kept in
    `drafts`, one batch's), and only the names and the link filled in per challenge: the same email, to the byte,
    as rendering it whole (`signatures.emails.draft_email`), for a fraction of the CPU."""
    signature = challenge.signature
    petition, affiliation = signature.petition, signature.affiliation
    days = max(1, math.ceil((challenge.expires_at - timezone.now()).total_seconds() / 86400))
    kind = (signature.language, petition.pk, petition.title, affiliation.pk, affiliation.name, days)
    draft = drafts.get(kind)
    if draft is None:
        draft = drafts[kind] = _draft(petition, affiliation, signature.language, days)
    link = f"{settings.SITE_URL}{reverse('signatures:challenge', args=[challenges.token(challenge)])}"
    values = {
        "typed_name": defanged(signature.full_name),
        "roster_name": defanged(challenge.roster_entry.full_name),
        "link": link,
    }
    draft.send(to=challenge.address, values=values, connection=connection)


def _draft(petition, affiliation, language: str, days: int) -> Draft:
    context = {
        "petition": petition,
        "affiliation": affiliation,
        "petition_url": f"{settings.SITE_URL}{petition.get_absolute_url()}",
        "days": days,
    }
    # Written in the language of the page the claim was made on (the signer's): the roster member's own
    # language is unknown, and the letter they are asked about was read in that language.
    return draft_email(
        language=language,
        subject=lambda: gettext("Did you sign “%(title)s”?") % {"title": petition.title},
        template="verification/email/challenge",
        context=context,
        blanks=("typed_name", "roster_name", "link"),
    )
