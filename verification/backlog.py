"""What an outage can leave behind in verification, found from the rows themselves (the sweeper's view).

A queued task can vanish with a broker that restarted without its data, a worker killed before it
acknowledged, or a publish that failed while the broker was down. The work it stood for is still written
down: a confirmed claim `pending` with no challenge open, a challenge open and not sent, a re-check chunk
not finished, a roster upload not imported. `verification.tasks.requeue_stalled_checks` queues these again.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
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


def stalled(waited: timedelta, *, include_claims: bool = True) -> Stalled:
    """Work that has waited at least `waited` for its task. Chunks found are marked queued again now."""
    cutoff = timezone.now() - waited
    found = Stalled()
    if include_claims:
        open_challenge = RosterChallenge.objects.open().filter(signature=OuterRef("pk"))
        found.claims = list(
            Signature.objects.filter(
                status=Signature.Status.CONFIRMED,
                verification=Signature.Verification.PENDING,
                affiliation__isnull=False,
                confirmed_at__lte=cutoff,
            )
            .filter(Q(evidence__isnull=True) | Q(evidence__created_at__lte=cutoff))
            .exclude(Exists(open_challenge))
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
