"""What the roster says about a claim. Writes nothing: verification.claims records what it finds.

The order of evidence, strongest first:
1. the confirmed address is a roster entry's address (`email`): it verifies that entry, not whatever name was
   typed: an incompatible typed name is never shown with the badge, the roster's name is (claims.record);
2. the affiliation's explicit domain policy says an address at this domain is membership (`email_domain`);
3. otherwise candidate entries are found by name. A name never verifies anyone: it decides where a one-time
   challenge goes (the candidates' own roster addresses), or, when no candidate has an address, that a
   moderator must decide.
A lookalike address (mixed scripts, confusable letters) never matches anything and is flagged for moderators.
"""

import gc
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q

from petitions.models import Petition
from signatures.addresses import domain_warnings, email_domain, email_key
from signatures.models import Signature
from undersigned.lookups import AnyOf

from .candidates import CandidateIndex, compatible
from .models import Affiliation, Evidence, RosterEntry

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
    warnings: list[str] = field(default_factory=list)
    challenge: list[int] = field(default_factory=list)  # roster entries to send a challenge to


class RosterIndex:
    """One affiliation's roster as the matcher needs it: names (for candidates) and which entries have an address.

    Built once per roster version and reused for every claim (see roster_index): reading and indexing
    100,000 names per claim is what would not scale. It keeps each entry's name as imported, so finding a claim's
    candidates reads nothing: the copy is exactly the roster of the version it is kept under (every roster write
    moves the version), and an entry removed meanwhile cannot be recorded (its key is checked at the commit).
    """

    def __init__(self, affiliation_id: int):
        rows = list(
            RosterEntry.objects.filter(affiliation_id=affiliation_id).order_by().values_list("pk", "full_name", "email")
        )
        self.affiliation_id = affiliation_id
        self.names = CandidateIndex((pk, name) for pk, name, _ in rows)
        self.full_names = {pk: name for pk, name, _ in rows}
        self.with_address = {pk for pk, _, email in rows if email}
        self._frequency: dict[int, int] = {}  # entry: name_frequency of its name, found on first need

    def frequency(self, entry_id: int) -> int:
        """How many entries of this roster have this entry's normalised name (CandidateIndex.name_frequency),
        worked out once per entry: the copy never changes, and candidates recur from claim to claim."""
        found = self._frequency.get(entry_id)
        if found is None:
            found = self._frequency[entry_id] = self.names.entry_frequency(entry_id)
        return found

    def candidates(self, full_name: str) -> list[dict]:
        """Candidate entries for a typed name, best first, as stored in the evidence and shown to moderators."""
        threshold = _threshold()
        return [
            {
                "entry": c.entry_id,
                "name": self.full_names[c.entry_id],
                "score": round(c.score, 3),
                "reason": c.reason,
                "address": c.entry_id in self.with_address,
                "frequency": self.frequency(c.entry_id),
            }
            for c in self.names.candidates(full_name, limit=MAX_CANDIDATES)
            if c.score * 100 >= threshold and c.entry_id in self.full_names
        ]

    def entry(self, entry_id: int) -> RosterEntry:
        """One of this copy's entries (its id, affiliation and name: no query), to record a candidate."""
        return RosterEntry(pk=entry_id, affiliation_id=self.affiliation_id, full_name=self.full_names[entry_id])


def _threshold() -> float:
    return settings.NAME_MATCH_THRESHOLD


# This process's copies of roster indexes, by affiliation: (roster_version, index).
_ROSTER_INDEXES: dict[int, tuple[uuid.UUID, RosterIndex]] = {}
_ROSTER_INDEXES_KEPT = 64


def roster_index(affiliation: Affiliation) -> RosterIndex:
    """The roster's index, built again only when the roster has changed (its roster_version moved on).

    The version is read before the names, so a copy is never older than the version it is kept under.
    """
    kept = _ROSTER_INDEXES.get(affiliation.pk)
    if kept is not None and kept[0] == affiliation.roster_version:
        return kept[1]
    if len(_ROSTER_INDEXES) >= _ROSTER_INDEXES_KEPT:
        _ROSTER_INDEXES.clear()
    index = RosterIndex(affiliation.pk)
    _ROSTER_INDEXES[affiliation.pk] = (affiliation.roster_version, index)
    # The copy is a few hundred thousand objects that live as long as the version, in no reference cycle: the
    # cyclic garbage collector would scan them all again at each full collection (a quarter of a claim check's
    # time, measured).
    out_of_cycle_collections()
    return index


def out_of_cycle_collections() -> None:
    """Move what this process holds now out of the cyclic garbage collector's sight, after one collection (so no
    garbage is frozen with it): for the big structures of a roster (its index, an import's loaded entries),
    which hold no reference cycle and which every full collection would otherwise scan again. They are still
    freed by reference counting when dropped. Never undone (gc.unfreeze would put every process-wide frozen
    object back, the other rosters' indexes included)."""
    gc.collect()
    gc.freeze()


def preload_roster_indexes() -> int:
    """Build the roster indexes of the affiliations that open letters offer (at most as many as are kept), in this
    process; how many. A worker's main process calls it before it forks its pool (tasks.preload_in_worker), so
    every pool process starts with them, instead of each spending seconds per 100,000 names on its first claims.
    A roster that changes later is indexed again where it is needed, as always."""
    offered = Affiliation.objects.filter(
        Exists(Petition.objects.filter(affiliations=OuterRef("pk"), status=Petition.Status.OPEN)),
        Exists(RosterEntry.objects.filter(affiliation=OuterRef("pk"))),
    ).order_by("pk")[:_ROSTER_INDEXES_KEPT]
    built = 0
    for affiliation in offered:
        roster_index(affiliation)
        built += 1
    return built


class RosterAddresses:
    """What a chunk of claims needs read from the roster, read for the whole chunk at once: the entries at the
    claims' addresses, by (affiliation, email key), and whether the entries behind verified claims are still on
    their rosters (`on_roster`).

    `find` and `on_roster` answer for what was read, and read the roster for anything else (a claim outside the
    chunk). `for_claims` reads it all for a chunk of signatures in one query.
    """

    def __init__(self, pairs: list[tuple[int, str]], entry_ids: list[tuple[int, int]] = ()):
        self._entries: dict[tuple[int, str], RosterEntry | None] = {pair: None for pair in pairs if pair[1]}
        self._on_roster: dict[tuple[int, int], bool] = {pair: False for pair in entry_ids if pair[1]}
        by_affiliation: dict[int, set[str]] = {}
        for affiliation_id, key in self._entries:
            by_affiliation.setdefault(affiliation_id, set()).add(key)
        wanted = Q()
        for affiliation_id, keys in by_affiliation.items():
            # `~Q(email_key="")` restates the partial unique index's condition (unique_roster_email), which
            # PostgreSQL cannot infer from an array of more than 100 keys: without it a chunk's read is a
            # sequential scan of every roster (13 ms per chunk at 100,000 entries, against well under 1).
            wanted |= Q(affiliation_id=affiliation_id) & Q(AnyOf(F("email_key"), keys)) & ~Q(email_key="")
        if self._on_roster:
            wanted |= Q(AnyOf(F("pk"), {entry_id for _, entry_id in self._on_roster}))
        if wanted:
            for entry in RosterEntry.objects.filter(wanted).order_by():
                if (entry.affiliation_id, entry.email_key) in self._entries:
                    self._entries[(entry.affiliation_id, entry.email_key)] = entry
                if (entry.affiliation_id, entry.pk) in self._on_roster:
                    self._on_roster[(entry.affiliation_id, entry.pk)] = True

    @classmethod
    def for_claims(cls, signatures: "list[Signature]") -> "RosterAddresses":
        """Everything `decide` reads from the roster for these claims (their evidence loaded), in one query."""
        pairs, entry_ids = [], []
        for signature in signatures:
            if signature.affiliation_id is None:
                continue
            pairs.append((signature.affiliation_id, signature.email_key))
            if signature.roster_email:
                pairs.append((signature.affiliation_id, email_key(signature.roster_email)))
            if signature.evidence_id is not None and signature.evidence.roster_entry_id is not None:
                entry_ids.append((signature.affiliation_id, signature.evidence.roster_entry_id))
        return cls(pairs, entry_ids)

    def find(self, affiliation_id: int, key: str) -> RosterEntry | None:
        if (affiliation_id, key) in self._entries:
            return self._entries[(affiliation_id, key)]
        return RosterEntry.objects.filter(affiliation_id=affiliation_id, email_key=key).order_by().first()

    def on_roster(self, affiliation_id: int, entry_id: int | None) -> bool:
        """Whether this entry is (still) on this affiliation's roster."""
        if entry_id is None:
            return False
        if (affiliation_id, entry_id) in self._on_roster:
            return self._on_roster[(affiliation_id, entry_id)]
        return RosterEntry.objects.filter(pk=entry_id, affiliation_id=affiliation_id).exists()


def check_claim(signature: Signature, addresses: RosterAddresses | None = None) -> Match:
    """What the roster says about this confirmed claim (see the module's docstring for the order).

    `addresses`: the roster entries of a chunk's addresses, read at once (verification.claims.verify_claims).
    Reads nothing else but this process's copy of the roster's names (roster_index), built once per version.
    """
    affiliation = signature.affiliation
    addresses = addresses or RosterAddresses([])
    warnings = domain_warnings(email_domain(signature.email))
    if not warnings:
        match = _by_address(signature, affiliation, addresses)
        if match is not None:
            return match
    match = _by_roster_address_given(signature, affiliation, addresses) or _by_name(signature, affiliation)
    match.warnings = warnings
    if warnings:
        match.detail = f"lookalike address, never matched; {match.detail}"
    return match


def _by_address(signature: Signature, affiliation: Affiliation, addresses: RosterAddresses) -> Match | None:
    entry = addresses.find(affiliation.pk, signature.email_key)
    if entry is not None:
        detail = "confirmed address is on the roster"
        if not compatible(signature.full_name, entry.full_name):
            detail += (
                f"; the typed name “{signature.full_name}” is not compatible with the roster's, "
                f"so the signature is shown as “{entry.full_name}”"
            )
        return Match(Verification.VERIFIED, Method.EMAIL, entry, 1.0, detail=detail)
    domain = affiliation.membership_domain(email_domain(signature.email))
    if domain:
        return Match(
            Verification.VERIFIED,
            Method.EMAIL_DOMAIN,
            None,
            1.0,
            detail=f"confirmed address at {domain}, which the affiliation's policy declares membership",
        )
    return None


def _by_roster_address_given(
    signature: Signature, affiliation: Affiliation, addresses: RosterAddresses
) -> Match | None:
    """The signer told us the address the affiliation has for them: if it is on the roster, challenge it there."""
    if not signature.roster_email:
        return None
    entry = addresses.find(affiliation.pk, email_key(signature.roster_email))
    if entry is None:
        return None
    candidate = {"entry": entry.pk, "name": entry.full_name, "score": 1.0, "reason": "roster address given"}
    return Match(
        Verification.PENDING,
        Method.ROSTER_CHALLENGE,
        entry,
        1.0,
        [candidate | {"address": True, "frequency": 1}],
        detail="challenge sent to the roster address the signer gave",
        challenge=[entry.pk],
    )


def _by_name(signature: Signature, affiliation: Affiliation) -> Match:
    index = roster_index(affiliation)
    candidates = index.candidates(signature.full_name)
    if not candidates:
        return Match(Verification.UNVERIFIED, Method.NONE, None, 0.0, detail="no roster entry matches")
    best = index.entry(candidates[0]["entry"])
    reachable = [c["entry"] for c in candidates if c["address"]][: settings.CHALLENGE_MAX_CANDIDATES]
    if reachable:
        count = len(reachable)
        return Match(
            Verification.PENDING,
            Method.ROSTER_CHALLENGE,
            best,
            candidates[0]["score"],
            candidates,
            detail=f"name only: challenge sent to {count} candidate{'s' if count != 1 else ''}' roster address",
            challenge=reachable,
        )
    several = len(candidates) > 1 and candidates[1]["score"] >= candidates[0]["score"]
    return Match(
        Verification.NEEDS_REVIEW,
        Method.NAME,
        best,
        candidates[0]["score"],
        candidates,
        detail="name only, and "
        + ("several equally good candidates, none with" if several else "no candidate has")
        + " a roster address: a moderator decides",
    )
