"""The roster challenge email: sent to the roster entry's own address, never to the address the signer typed.

In the language the claim was made in (`Signature.language`), with a text and an HTML part (`send_email`)."""

import math

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from signatures.emails import defanged, send_email

from . import challenges
from .models import RosterChallenge


def send_challenge_email(challenge_id: int) -> bool:
    """Send it once: the row is marked sent in the same transaction, so a retry after a failure sends again,
    and a repeat after success sends nothing. False if there was nothing to send."""
    with transaction.atomic():
        challenge = (
            RosterChallenge.objects.select_for_update(of=("self",))
            .select_related("signature__petition", "signature__affiliation", "roster_entry")
            .filter(pk=challenge_id)
            .first()
        )
        if challenge is None or challenge.sent_at is not None or not challenge.is_open:
            return False
        signature = challenge.signature
        petition = signature.petition
        link = f"{settings.SITE_URL}{reverse('signatures:challenge', args=[challenges.token(challenge)])}"
        context = {
            "challenge": challenge,
            "petition": petition,
            "typed_name": defanged(signature.full_name),
            "affiliation": signature.affiliation,
            "roster_name": defanged(challenge.roster_entry.full_name),
            "link": link,
            "petition_url": f"{settings.SITE_URL}{petition.get_absolute_url()}",
            "days": max(1, math.ceil((challenge.expires_at - timezone.now()).total_seconds() / 86400)),
        }
        # Written in the language of the page the claim was made on (the signer's): the roster member's own
        # language is unknown, and the letter they are asked about was read in that language.
        send_email(
            to=challenge.address,
            language=signature.language,
            subject=lambda: gettext("Did you sign “%(title)s”?") % {"title": petition.title},
            template="verification/email/challenge",
            context=context,
        )
        challenge.sent_at = timezone.now()
        challenge.save(update_fields=["sent_at"])
    return True
