"""What an outage can leave behind in verification, found from the rows themselves (the sweeper's view).

A queued task can vanish with a broker that restarted without its data, a worker killed before it
acknowledged, or a publish that failed while the broker was down. The work it stood for is still written
down: a confirmed claim `pending` with no challenge open, a challenge open and not sent, a re-check chunk
not finished, a roster upload not imported. `verification.tasks.requeue_stalled_checks` queues these again.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from signatures.models import Signature

from .models import RecheckChunk, RosterChallenge, RosterImport

# At most this many of each kind per sweep; the next sweep takes the rest.
LIMIT = 20_000


@dataclass
class Stalled:
    claims: list[int] = field(default_factory=list)
    challenges: list[int] = field(default_factory=list)
    chunks: list[RecheckChunk] = field(default_factory=list)
    imports: list[int] = field(default_factory=list)


def owed_checks(checked_before: datetime | None = None) -> QuerySet:
    """Confirmed claims the workers owe a check: `pending`, waiting for no open challenge, and not checked since
    they were (last) confirmed: no evidence yet, or evidence older than the confirmation (a signer who withdrew
    and confirmed again, a reinstated signature). That is what `check_owed_claims` checks a moment after the
    confirmations. With `checked_before` (the sweeper's view), also those whose last check is older than that.

    The partial index `signature_owed_check` (confirmed and pending) answers it without reading the letters'
    other signatures; what it reads beyond the owed claims are the claims waiting for a member's answer.
    """
    open_challenge = RosterChallenge.objects.open().filter(signature=OuterRef("pk"))
    claims = Signature.objects.filter(
        status=Signature.Status.CONFIRMED,
        verification=Signature.Verification.PENDING,
        affiliation__isnull=False,
        anonymised_at__isnull=True,  # nothing left to decide on (verification.claims.decide)
    ).exclude(Exists(open_challenge))
    unchecked = Q(evidence__isnull=True) | Q(evidence__created_at__lt=F("confirmed_at"))
    if checked_before is not None:
        unchecked |= Q(evidence__created_at__lte=checked_before)
    return claims.filter(unchecked)


def stalled(waited: timedelta, *, include_claims: bool = True) -> Stalled:
    """Work that has waited at least `waited` for its task. Chunks found are marked queued again now."""
    cutoff = timezone.now() - waited
    found = Stalled()
    if include_claims:
        found.claims = list(
            owed_checks(checked_before=cutoff)
            .filter(confirmed_at__lte=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:LIMIT]
        )
        chunks = RecheckChunk.objects.filter(done_at=None, queued_at__lte=cutoff, recheck__finished_at=None)
        found.chunks = list(chunks.order_by("pk")[: LIMIT // 100])
        if found.chunks:
            RecheckChunk.objects.filter(pk__in=[c.pk for c in found.chunks]).update(queued_at=timezone.now())
    # An upload whose import task was lost, or whose worker was killed mid-import (nothing was written: the
    # import writes in one transaction); its progress stops moving.
    found.imports = list(
        RosterImport.objects.filter(
            state__in=RosterImport.WORKING,
            progress_at__lte=cutoff,
        ).values_list("pk", flat=True)[:100]
    )
    if found.imports:
        RosterImport.objects.filter(pk__in=found.imports).update(progress_at=timezone.now())
    found.challenges = list(
        RosterChallenge.objects.open()
        .filter(sent_at=None, created_at__lte=cutoff, expires_at__gt=timezone.now())
        .order_by("pk")
        .values_list("pk", flat=True)[:LIMIT]
    )
    return found
