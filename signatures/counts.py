"""The maintained counters behind every public count: changed in the same transaction as the signature."""

from dataclasses import dataclass

from django.db.models import F

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


def record(signature: Signature, before: Snapshot) -> None:
    """Move the counters from what `before` contributed to what `signature` contributes now."""
    after = Snapshot.of(signature)
    confirmed = int(after.counted) - int(before.counted)
    verified = int(after.verified) - int(before.verified)
    if confirmed:
        Petition.objects.filter(pk=signature.petition_id).update(signature_count=F("signature_count") + confirmed)
    if signature.affiliation_id and (confirmed or verified):
        tally, _ = AffiliationTally.objects.get_or_create(
            petition_id=signature.petition_id, affiliation_id=signature.affiliation_id
        )
        AffiliationTally.objects.filter(pk=tally.pk).update(
            claimed=F("claimed") + confirmed, verified=F("verified") + verified
        )
