"""Opening and closing roster challenges (the rows). Recording what an answer means is verification.claims' job.

Limits, so that nobody can use the product to spam a member: one open challenge per roster entry and
petition (a database constraint), and at most CHALLENGE_DAILY_CAP_PER_ENTRY challenges a day per entry
across petitions. They expire after CHALLENGE_MAX_AGE.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from signatures import tokens
from signatures.models import Signature

from .models import RosterChallenge, RosterEntry

State = RosterChallenge.State
PURPOSE = "challenge"


class ChallengeClosed(Exception):
    """The link's challenge was answered, expired, or cancelled: it can do nothing any more."""


def open_challenges(signature: Signature, entry_ids: list[int], requested_by=None) -> list[RosterChallenge]:
    """Challenges to these entries' roster addresses for this signature (those already open for it included).

    An entry is skipped when it has no address, is on another affiliation's roster, already has an open
    challenge for another signature on this petition, or reached its daily cap. The caller holds the
    signature's lock and sends the new ones (tasks.send_roster_challenge) after the commit.
    """
    entries = RosterEntry.objects.filter(pk__in=entry_ids, affiliation_id=signature.affiliation_id).exclude(email="")
    by_id = {entry.pk: entry for entry in entries}
    if not by_id:
        return []
    # Three reads for all the candidates, not two per candidate: their open challenges on this petition, and
    # how many each was sent in the last day.
    existing = {
        challenge.roster_entry_id: challenge
        for challenge in RosterChallenge.objects.open().filter(
            roster_entry_id__in=by_id, petition_id=signature.petition_id
        )
    }
    today = RosterChallenge.objects.sent_to_entries_today(list(by_id))
    opened = []
    now = timezone.now()
    for entry in sorted(by_id.values(), key=lambda e: entry_ids.index(e.pk)):
        current = existing.get(entry.pk)
        if current is not None:
            if current.signature_id == signature.pk:
                opened.append(current)
            continue
        if today.get(entry.pk, 0) >= settings.CHALLENGE_DAILY_CAP_PER_ENTRY:
            continue
        try:
            with transaction.atomic():
                opened.append(
                    RosterChallenge.objects.create(
                        signature=signature,
                        petition_id=signature.petition_id,
                        roster_entry=entry,
                        address=entry.email,
                        requested_by=requested_by,
                        created_at=now,
                        expires_at=now + timedelta(seconds=settings.CHALLENGE_MAX_AGE),
                    )
                )
        except IntegrityError:  # another claim opened one for this entry and petition meanwhile
            continue
    return opened


def cancel_open(signature: Signature, keep: RosterChallenge | None = None) -> int:
    """The claim was settled: its other open challenges are closed, so their links do nothing."""
    challenges = RosterChallenge.objects.open().filter(signature=signature)
    if keep is not None:
        challenges = challenges.exclude(pk=keep.pk)
    return challenges.update(state=State.CANCELLED)


def token(challenge: RosterChallenge) -> str:
    return tokens.make_token(challenge.pk, PURPOSE)


def read(token_text: str) -> int:
    """The challenge id of a valid, unexpired link (tokens.BadToken otherwise)."""
    challenge_id, _ = tokens.read_token(token_text, PURPOSE, max_age=settings.CHALLENGE_MAX_AGE)
    return challenge_id


def shown(token_text: str) -> RosterChallenge:
    """The challenge a link names, for its page (changes nothing). ChallengeClosed if it can do nothing."""
    challenge = (
        RosterChallenge.objects.select_related("signature__petition", "signature__affiliation", "roster_entry")
        .filter(pk=read(token_text))
        .first()
    )
    if challenge is None or not challenge.is_open:
        raise ChallengeClosed(token_text)
    return challenge
