"""Bulk invalidation of a petition's signatures by email domain, IP range, claimed affiliation and/or time
window (e-petitions' `Invalidation`): a dry-run count, a request recorded as evidence, a worker that rejects
the matches in chunks with progress, and an undo that reinstates exactly the signatures it rejected.

Each signature goes through `verification.claims.reject_signature` / `reinstate_signature` (the named
transitions, counters through signatures.counts, an Evidence row naming the moderator and the invalidation).
"""

from contextlib import suppress
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet

from petitions.models import Petition
from signatures.models import Signature
from verification import claims
from verification.models import Affiliation

from .models import InvalidatedSignature, Invalidation, Source

CHUNK = 200


def matching(
    petition: Petition,
    *,
    domain: str = "",
    network: str = "",
    affiliation: Affiliation | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet:
    """The petition's signatures that still count or could (not yet rejected) and meet every criterion given."""
    if not (domain or network or affiliation or since or until):
        raise ValueError("An invalidation needs at least one criterion.")
    found = Signature.objects.filter(petition=petition).exclude(status=Signature.Status.REJECTED)
    if domain:
        found = found.filter(Q(email_key__endswith=f"@{domain}") | Q(email_key__endswith=f".{domain}"))
    if network:
        found = found.filter(pk__in=Source.objects.filter(petition=petition, network=network).values("signature_id"))
    if affiliation:
        found = found.filter(affiliation=affiliation)
    if since:
        found = found.filter(created_at__gte=since)
    if until:
        found = found.filter(created_at__lt=until)
    return found


def dry_run(petition: Petition, **criteria) -> int:
    """How many signatures an invalidation with these criteria would reject now (what the confirmation shows)."""
    return matching(petition, **criteria).count()


def request(petition: Petition, moderator, reason: str, **criteria) -> Invalidation:
    """Record the moderator's invalidation (the caller queues `invalidate_signatures` with its id)."""
    return Invalidation.objects.create(
        petition=petition,
        requested_by=moderator,
        reason=reason.strip()[:300],
        matched=dry_run(petition, **criteria),
        **criteria,
    )


def _criteria(invalidation: Invalidation) -> dict:
    return {
        "domain": invalidation.domain,
        "network": invalidation.network,
        "affiliation": invalidation.affiliation,
        "since": invalidation.since,
        "until": invalidation.until,
    }


def run(invalidation_id: int) -> Invalidation:
    """Reject the matches, a chunk per transaction, advancing `done`; safe to run again after a crash.

    Only signatures made before the request are touched: the moderator confirmed a count, not a rule.
    """
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().get(pk=invalidation_id)
        if not invalidation.start():
            return invalidation
        invalidation.save(update_fields=["state"])
    note = f"bulk invalidation #{invalidation.pk}: {invalidation.reason}"
    targets = matching(invalidation.petition, **_criteria(invalidation)).filter(created_at__lte=invalidation.created_at)
    ids = list(targets.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            rejected = []
            for signature in Signature.objects.filter(pk__in=chunk).order_by("pk"):
                if claims.reject_signature(signature, invalidation.requested_by, note=note) is not None:
                    rejected.append(InvalidatedSignature(invalidation=invalidation, signature=signature))
            InvalidatedSignature.objects.bulk_create(rejected, ignore_conflicts=True)
            Invalidation.objects.filter(pk=invalidation.pk).update(
                done=F("done") + len(chunk), invalidated=F("invalidated") + len(rejected)
            )
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().get(pk=invalidation_id)
        invalidation.invalidated = invalidation.signatures.count()
        invalidation.finish()
        invalidation.save(update_fields=["state", "finished_at", "invalidated"])
    return invalidation


def request_undo(invalidation: Invalidation, moderator) -> bool:
    """Mark it as being undone (the caller queues `undo_invalidation`); False if that was already asked."""
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().get(pk=invalidation.pk)
        if not invalidation.begin_undo(moderator):
            return False
        invalidation.save(update_fields=["state", "undone_by"])
    return True


def undo(invalidation_id: int) -> Invalidation:
    """Reinstate exactly the signatures this invalidation rejected (a chunk per transaction; resumable)."""
    invalidation = Invalidation.objects.get(pk=invalidation_id)
    if invalidation.state != Invalidation.State.UNDOING:
        return invalidation
    note = f"undo of bulk invalidation #{invalidation.pk}"
    while True:
        with transaction.atomic():
            rows = list(
                invalidation.signatures.select_for_update()
                .filter(reinstated=False)
                .select_related("signature")
                .order_by("pk")[:CHUNK]
            )
            if not rows:
                break
            for row in rows:
                with suppress(ValidationError):  # changed since (no longer rejected): nothing of ours to undo
                    claims.reinstate_signature(row.signature, invalidation.undone_by, note=note)
                row.reinstated = True
            InvalidatedSignature.objects.bulk_update(rows, ["reinstated"])
            Invalidation.objects.filter(pk=invalidation.pk).update(reinstated=F("reinstated") + len(rows))
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().get(pk=invalidation_id)
        invalidation.finish_undo()
        invalidation.save(update_fields=["state", "undone_at"])
    return invalidation
