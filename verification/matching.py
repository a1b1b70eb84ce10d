"""Checking a claim against the roster, and recording every decision (automatic or a moderator's) as evidence."""

import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from rapidfuzz import fuzz, process

from signatures import counts
from signatures.models import Signature

from .models import Affiliation, Evidence, Recheck, RosterEntry
from .names import name_key

Verification = Signature.Verification
Method = Evidence.Method
MAX_CANDIDATES = 5


@dataclass
class Match:
    verdict: str
    method: str
    entry: RosterEntry | None = None
    score: float = 0.0
    candidates: list[dict] = field(default_factory=list)
    detail: str = ""


class RosterNames:
    """An affiliation's roster names, loaded once and then reused for every claim (see roster_names).

    Fuzzy matching has to look at every name; reading 10,000 rows per claim is what would not scale.
    """

    def __init__(self, affiliation_id: int):
        self.keys: dict[int, str] = dict(
            RosterEntry.objects.filter(affiliation_id=affiliation_id).values_list("pk", "name_key")
        )

    def matches(self, full_name: str) -> list[tuple[RosterEntry, float]]:
        """Roster entries whose normalised names equal or closely resemble this one, best first (score 0-1)."""
        key = name_key(full_name)
        if not key or not self.keys:
            return []
        found = process.extract(
            key, self.keys, scorer=fuzz.ratio, score_cutoff=settings.NAME_MATCH_THRESHOLD, limit=MAX_CANDIDATES
        )
        # Entries removed since the names were loaded drop out here.
        entries = RosterEntry.objects.in_bulk([pk for _, _, pk in found])
        return [(entries[pk], round(score / 100, 3)) for _, score, pk in found if pk in entries]


# This process's copies of roster names, by affiliation: (roster_version, names).
_ROSTER_NAMES: dict[int, tuple[uuid.UUID, RosterNames]] = {}
_ROSTER_NAMES_KEPT = 64


def roster_names(affiliation: Affiliation) -> RosterNames:
    """The roster's names, read again only when the roster has changed (its roster_version moved on).

    The version is read before the names, so a copy is never older than the version it is kept under.
    """
    kept = _ROSTER_NAMES.get(affiliation.pk)
    if kept is not None and kept[0] == affiliation.roster_version:
        return kept[1]
    if len(_ROSTER_NAMES) >= _ROSTER_NAMES_KEPT:
        _ROSTER_NAMES.clear()
    names = RosterNames(affiliation.pk)
    _ROSTER_NAMES[affiliation.pk] = (affiliation.roster_version, names)
    return names


def check_claim(signature: Signature) -> Match:
    """Email on the roster, then an address at the affiliation's domain, then the name (for review)."""
    affiliation = signature.affiliation
    entry = RosterEntry.objects.filter(affiliation=affiliation, email_key=signature.email_key).first()
    if entry is not None:
        return Match(Verification.VERIFIED, Method.EMAIL, entry, 1.0, detail="confirmed address is on the roster")
    domain = affiliation.owns_address(signature.email)
    if domain:
        return Match(Verification.VERIFIED, Method.EMAIL_DOMAIN, None, 1.0, detail=f"confirmed address at {domain}")
    matches = roster_names(affiliation).matches(signature.full_name)
    if matches:
        best, score = matches[0]
        candidates = [{"entry": e.pk, "name": e.full_name, "score": s} for e, s in matches]
        return Match(Verification.NEEDS_REVIEW, Method.NAME, best, score, candidates, "name only")
    return Match(Verification.UNVERIFIED, Method.NONE, None, 0.0, detail="no roster entry matches")


def verify_claims(signature_ids: list[int], worker: str = "") -> None:
    """Check a batch of claims, one transaction each."""
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
        decide(
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


def decide(
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
    signature.verification = verdict
    signature.evidence = evidence
    if verdict == Verification.VERIFIED and before.verification != Verification.VERIFIED:
        signature.verified_at = evidence.created_at
    elif verdict != Verification.VERIFIED:
        signature.verified_at = None
    signature.save(update_fields=["verification", "evidence", "verified_at"])
    counts.record(signature, before)
    return evidence


def approve_claim(signature: Signature, moderator, entry: RosterEntry | None = None, note: str = "") -> Evidence:
    """A moderator accepts the claim; the roster entry defaults to the best review candidate."""
    return _moderate(signature, moderator, Verification.VERIFIED, entry, note or "approved by a moderator")


def reject_claim(signature: Signature, moderator, note: str = "") -> Evidence:
    return _moderate(signature, moderator, Verification.REJECTED, None, note or "rejected by a moderator")


def _moderate(signature: Signature, moderator, verdict: str, entry: RosterEntry | None, note: str) -> Evidence:
    with transaction.atomic():
        signature = Signature.objects.select_for_update(of=("self",)).select_related("evidence").get(pk=signature.pk)
        if signature.affiliation_id is None:
            raise ValidationError("This signature claims no affiliation.")
        if signature.status != Signature.Status.CONFIRMED:
            raise ValidationError("Only a confirmed signature's claim can be decided.")
        if entry is not None and entry.affiliation_id != signature.affiliation_id:
            raise ValidationError("That roster entry belongs to another affiliation's roster.")
        current = signature.evidence
        if entry is None and verdict == Verification.VERIFIED and current is not None:
            entry = current.roster_entry
        return decide(
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


def queue_recheck(
    signatures: QuerySet,
    reason: str,
    *,
    affiliation=None,
    petition=None,
    requested_by=None,
    chunk_size: int = 500,
) -> Recheck:
    """Queue the workers to re-check these claims, a chunk of ids per task, tracked by a Recheck row.

    The chunks are sent after the commit, so the workers always find the row with its final total.
    """
    from .tasks import verify_claims

    with transaction.atomic():
        recheck = Recheck.objects.create(
            reason=reason[:200], affiliation=affiliation, petition=petition, requested_by=requested_by
        )
        ids = claims_to_recheck(signatures).order_by("pk").values_list("pk", flat=True)
        chunk: list[int] = []
        for pk in ids.iterator(chunk_size):
            chunk.append(pk)
            recheck.total += 1
            if len(chunk) == chunk_size:
                verify_claims.delay_on_commit(chunk, recheck.pk)
                chunk = []
        if chunk:
            verify_claims.delay_on_commit(chunk, recheck.pk)
        if recheck.total == 0:
            recheck.finished_at = recheck.created_at
        recheck.save(update_fields=["total", "finished_at"])
    return recheck
