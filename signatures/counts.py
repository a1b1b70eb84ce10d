"""The maintained counters behind every public count: changed in the same transaction as the signature.

This module is the only door to them: `record` moves them with each change, `claim_counts` reads them for
the public pages, and `recount` repairs them from the signatures (the `recount` command).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q

from petitions.models import Petition

from .models import AffiliationTally, Signature


@dataclass(frozen=True)
class Snapshot:
    status: str
    verification: str

    @classmethod
    def of(cls, signature: Signature) -> "Snapshot":
        return cls(signature.status, signature.verification)

    @property
    def counted(self) -> bool:
        return self.status == Signature.Status.CONFIRMED

    @property
    def verified(self) -> bool:
        return self.counted and self.verification == Signature.Verification.VERIFIED

    @property
    def disputed(self) -> bool:
        return self.counted and self.verification == Signature.Verification.DISPUTED


def record(signature: Signature, before: Snapshot) -> None:
    """Move the counters from what `before` contributed to what `signature` contributes now."""
    after = Snapshot.of(signature)
    confirmed = int(after.counted) - int(before.counted)
    verified = int(after.verified) - int(before.verified)
    disputed = int(after.disputed) - int(before.disputed)
    if confirmed:
        Petition.objects.filter(pk=signature.petition_id).update(signature_count=F("signature_count") + confirmed)
    if signature.affiliation_id and (confirmed or verified or disputed):
        tally, _ = AffiliationTally.objects.get_or_create(
            petition_id=signature.petition_id, affiliation_id=signature.affiliation_id
        )
        AffiliationTally.objects.filter(pk=tally.pk).update(
            claimed=F("claimed") + confirmed, verified=F("verified") + verified, disputed=F("disputed") + disputed
        )


COUNTERS = ("claimed", "verified", "disputed")


def claim_counts(petition: Petition) -> list[dict]:
    """Claimed, verified and disputed per offered affiliation, from the maintained tallies (zeros included)."""
    tallies = {t.affiliation_id: t for t in petition.tallies.all()}
    return [
        {"affiliation": affiliation}
        | {name: getattr(tallies[affiliation.pk], name) if affiliation.pk in tallies else 0 for name in COUNTERS}
        for affiliation in petition.affiliations.all()
    ]


@dataclass(frozen=True)
class Drift:
    """One counter that disagreed with the signatures, and what it was set to."""

    petition: str
    counter: str
    stored: int
    actual: int

    def __str__(self) -> str:
        return f"{self.petition}: {self.counter} was {self.stored}, is {self.actual}"


def recount(petition: Petition) -> list[Drift]:
    """Set the petition's counters to what its signatures say, and report each one that had drifted.

    The petition's row and its tallies are locked first: a change committed before the lock is counted,
    and one still running adds its F() delta after ours, so nothing is counted twice or lost.
    """
    drift: list[Drift] = []
    with transaction.atomic():
        stored = Petition.objects.select_for_update().values_list("signature_count", flat=True).get(pk=petition.pk)
        tallies = {t.affiliation_id: t for t in AffiliationTally.objects.select_for_update().filter(petition=petition)}
        confirmed = Signature.objects.counted().filter(petition=petition)
        actual = confirmed.count()
        if stored != actual:
            Petition.objects.filter(pk=petition.pk).update(signature_count=actual)
            drift.append(Drift(petition.slug, "confirmed", stored, actual))
        real = {
            row["affiliation"]: (row["claimed"], row["verified"])
            for row in confirmed.filter(affiliation__isnull=False)
            .values("affiliation")
            .annotate(claimed=Count("pk"), verified=Count("pk", filter=Q(verification=Signature.Verification.VERIFIED)))
        }
        for affiliation_id in set(tallies) | set(real):
            tally = tallies.get(affiliation_id)
            was = (tally.claimed, tally.verified) if tally else (0, 0)
            now = real.get(affiliation_id, (0, 0))
            if was == now:
                continue
            AffiliationTally.objects.update_or_create(
                petition=petition, affiliation_id=affiliation_id, defaults={"claimed": now[0], "verified": now[1]}
            )
            for counter, before, after in (("claimed", was[0], now[0]), ("verified", was[1], now[1])):
                if before != after:
                    drift.append(Drift(petition.slug, f"{counter} (affiliation {affiliation_id})", before, after))
    return drift
