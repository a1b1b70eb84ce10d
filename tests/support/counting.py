"""The counters as stored, and as a COUNT over the signatures says they should be."""

from django.db.models import Count, Q

from petitions.models import Petition
from signatures.models import AffiliationTally, Signature


def stored_counts(petition: Petition) -> dict:
    petition.refresh_from_db(fields=["signature_count"])
    tallies = AffiliationTally.objects.filter(petition=petition).exclude(claimed=0, verified=0)
    return {
        "confirmed": petition.signature_count,
        "by_affiliation": {t.affiliation_id: (t.claimed, t.verified) for t in tallies},
    }


def real_counts(petition: Petition) -> dict:
    confirmed = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
    per_affiliation = (
        confirmed.filter(affiliation__isnull=False)
        .values("affiliation")
        .annotate(claimed=Count("id"), verified=Count("id", filter=Q(verification=Signature.Verification.VERIFIED)))
    )
    return {
        "confirmed": confirmed.count(),
        "by_affiliation": {row["affiliation"]: (row["claimed"], row["verified"]) for row in per_affiliation},
    }
