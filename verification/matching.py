"""What the roster says about a claim. Writes nothing: verification.claims records what it finds."""

import uuid
from dataclasses import dataclass, field

from django.conf import settings
from rapidfuzz import fuzz, process

from signatures.models import Signature

from .models import Affiliation, Evidence, RosterEntry
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
