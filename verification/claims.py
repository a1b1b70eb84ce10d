"""Recording what is decided about a claim: the workers' checks and the moderators' decisions.

Every decision is an Evidence row, then `Signature.record_verdict`, then the counters, in one transaction
holding the signature's row lock. A moderator's decision is never overwritten by a worker.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from signatures import counts
from signatures.models import Signature

from .matching import Match, check_claim
from .models import Evidence, RosterEntry

Verification = Signature.Verification
Method = Evidence.Method


def verify_claims(signature_ids: list[int], worker: str = "") -> None:
    """Check a batch of claims, one transaction each, so one failure loses nothing already decided."""
    for signature_id in signature_ids:
        verify_claim(signature_id, worker=worker)


def verify_claim(signature_id: int, worker: str = "") -> Signature | None:
    """Check one claim and record the outcome. Safe to run twice; never overrides a moderator."""
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("affiliation", "evidence")
            .filter(pk=signature_id)
            .first()
        )
        if signature is None or signature.affiliation_id is None or signature.decided_by_moderator:
            return signature
        if signature.status != Signature.Status.CONFIRMED:
            return signature
        match = check_claim(signature)
        if _same_outcome(signature, match):
            return signature
        record(
            signature,
            match.verdict,
            match.method,
            entry=match.entry,
            score=match.score,
            candidates=match.candidates,
            detail=match.detail,
            worker=worker,
        )
    return signature


def _same_outcome(signature: Signature, match: Match) -> bool:
    current = signature.evidence
    return (
        current is not None
        and signature.verification == match.verdict
        and current.method == match.method
        and current.roster_entry_id == (match.entry.pk if match.entry else None)
        and current.candidates == match.candidates
    )


def record(
    signature: Signature,
    verdict: str,
    method: str,
    *,
    entry: RosterEntry | None = None,
    score: float = 0.0,
    candidates: list[dict] | None = None,
    detail: str = "",
    moderator=None,
    worker: str = "",
) -> Evidence:
    """Record evidence and move the signature's verification (and the counters) to `verdict`.

    The caller holds the signature's row lock.
    """
    before = counts.Snapshot.of(signature)
    evidence = Evidence.objects.create(
        signature=signature,
        verdict=verdict,
        method=method,
        roster_entry=entry,
        roster_name=entry.full_name if entry else "",
        score=score,
        candidates=candidates or [],
        detail=detail[:500],
        decided_by=moderator,
        worker=worker[:200],
    )
    signature.record_verdict(evidence)
    signature.save(update_fields=["verification", "evidence", "verified_at"])
    counts.record(signature, before)
    return evidence


def approve_claim(signature: Signature, moderator, entry: RosterEntry | None = None, note: str = "") -> Evidence | None:
    """A moderator accepts the claim; the roster entry defaults to the best review candidate.

    None if a moderator had already approved it (nothing changes).
    """
    return _moderate(signature, moderator, Verification.VERIFIED, entry, note or "approved by a moderator")


def reject_claim(signature: Signature, moderator, note: str = "") -> Evidence | None:
    """A moderator refuses the claim. None if a moderator had already rejected it."""
    return _moderate(signature, moderator, Verification.REJECTED, None, note or "rejected by a moderator")


def _moderate(signature: Signature, moderator, verdict: str, entry: RosterEntry | None, note: str) -> Evidence | None:
    with transaction.atomic():
        signature = Signature.objects.select_for_update(of=("self",)).select_related("evidence").get(pk=signature.pk)
        if signature.affiliation_id is None:
            raise ValidationError("This signature claims no affiliation.")
        if signature.status != Signature.Status.CONFIRMED:
            raise ValidationError("Only a confirmed signature's claim can be decided.")
        if entry is not None and entry.affiliation_id != signature.affiliation_id:
            raise ValidationError("That roster entry belongs to another affiliation's roster.")
        if signature.verification == verdict and signature.decided_by_moderator:
            return None
        current = signature.evidence
        if entry is None and verdict == Verification.VERIFIED and current is not None:
            entry = current.roster_entry
        return record(
            signature,
            verdict,
            Method.MODERATOR,
            entry=entry,
            score=1.0 if verdict == Verification.VERIFIED else 0.0,
            candidates=current.candidates if current else [],
            detail=note,
            moderator=moderator,
        )


def claims_to_recheck(signatures: QuerySet) -> QuerySet:
    """Confirmed claims whose verification is still the workers' to decide."""
    return (
        signatures.filter(status=Signature.Status.CONFIRMED, affiliation__isnull=False)
        .exclude(verification=Verification.REJECTED)
        .exclude(evidence__decided_by__isnull=False)
    )
