"""The dry run of a roster change: per letter, the claims whose verdict a re-check would change now.

`dry_run` runs a write and rolls it back (an entry edited or deleted in the panel); an upload's import judges
itself the same way inside its own transaction (verification.roster_import).

Run inside the transaction that has written the change (and that the caller then rolls back, for a preview):
every claim of the affiliation still the workers' to decide is judged by `verification.claims.decide`, the rule
the workers apply, against the roster as that transaction sees it, and compared with its verdict today.
Nothing is written. A claim a re-check would send a roster challenge for counts as `pending`.

Roster indexes are cached per roster version (verification.matching.roster_index); a rolled-back change's
version is a fresh UUID that no committed roster ever has, so a preview never leaves a wrong index behind.
"""

from collections.abc import Callable, Iterator

from django.db import transaction

from signatures.models import Signature

from .claims import claims_to_recheck, decide
from .matching import RosterAddresses
from .models import Affiliation

Verification = Signature.Verification
CHUNK = 500


def verdict_changes(affiliation_id: int) -> dict[str, dict[str, int]]:
    """{petition id (as a string, like JSON keys): {"changed", "verified", "unverified"}} for the letters whose
    claims a re-check would move: how many change verdict, how many of those become verified, and how many stop
    being verified. Letters with no change are left out. Read in chunks: one query for a chunk's addresses."""
    letters: dict[str, dict[str, int]] = {}
    for chunk in _chunks(affiliation_id):
        addresses = RosterAddresses.for_claims(chunk)  # one query: the chunk's addresses and evidence entries
        for signature in chunk:
            match = decide(signature, addresses)
            if match is None or match.verdict == signature.verification:
                continue
            counts = letters.setdefault(str(signature.petition_id), {"changed": 0, "verified": 0, "unverified": 0})
            counts["changed"] += 1
            if match.verdict == Verification.VERIFIED:
                counts["verified"] += 1
            elif signature.verification == Verification.VERIFIED:
                counts["unverified"] += 1
    return letters


def _chunks(affiliation_id: int) -> Iterator[list[Signature]]:
    claims = (
        claims_to_recheck(Signature.objects.filter(affiliation_id=affiliation_id))
        .select_related("evidence")
        .order_by("pk")
    )
    affiliation = Affiliation.objects.get(pk=affiliation_id)  # as this transaction sees it (its roster version)
    last = 0
    while chunk := list(claims.filter(pk__gt=last)[:CHUNK]):
        for signature in chunk:
            signature.affiliation = affiliation  # one roster index for all: the same object, the same version
        yield chunk
        last = chunk[-1].pk


class _RolledBack(Exception):
    pass


def dry_run(affiliation_ids: list[int], write: Callable[[], object]) -> dict[int, dict[str, dict[str, int]]]:
    """What a roster write (`write`, through verification.rosters' door) would change, per affiliation: run it
    in a transaction, count `verdict_changes` for each affiliation, and roll it all back. The write's own
    queued tasks (its re-check) are dropped with the transaction."""
    outcome: dict[int, dict[str, dict[str, int]]] = {}
    try:
        with transaction.atomic():
            write()
            for affiliation_id in affiliation_ids:
                outcome[affiliation_id] = verdict_changes(affiliation_id)
            raise _RolledBack
    except _RolledBack:
        pass
    return outcome
