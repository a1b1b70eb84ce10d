"""Recording what is decided about a claim: the workers' checks, the members' answers to roster challenges,
and the moderators' decisions.

Every decision is an Evidence row, then `Signature.record_verdict`, then the counters, in one transaction
holding the signature's row lock. A moderator's decision, and a member's "this wasn't me", are never
overwritten by a worker. The workers check claims in chunks (`verify_claims`: one transaction, bulk writes),
each claim decided by `decide`, which writes nothing.
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from signatures import counts, services
from signatures.models import Signature
from undersigned.lookups import AnyOf

from . import backlog, challenges
from .candidates import compatible
from .matching import Match, RosterAddresses, check_claim
from .models import Affiliation, Evidence, RosterChallenge, RosterEntry

logger = logging.getLogger(__name__)

Verification = Signature.Verification
Method = Evidence.Method


class ChunkIncomplete(Exception):
    """Some claims of a chunk could not be checked (`failed`, logged); the others were recorded, and the roster
    challenges they opened (`opened`) are to be sent all the same. `error` is the first failure."""

    def __init__(self, opened: list[int], failed: list[int], error: BaseException):
        super().__init__(f"{len(failed)} claim(s) could not be checked: {failed[:20]}")
        self.opened, self.failed, self.error = opened, failed, error


def verify_claims(signature_ids: list[int], worker: str = "") -> list[int]:
    """Check a chunk of claims and record the outcomes; the ids of the roster challenges to send after the commit.

    One transaction for the whole chunk: its signatures are locked in one query (in id order, so two chunks never
    wait for each other in opposite orders), each claim is decided by `decide`, and what changed is written in
    bulk (evidence, verdicts, challenges, one counter fold per petition). If that transaction fails, the claims
    are checked again one transaction each, so that one bad claim costs nothing decided about the others: the
    others are recorded, then ChunkIncomplete names the failures.

    Safe to run twice (a repeat records nothing new); never overrides a moderator or a member's dispute; while
    challenges are open it waits for their answers; a claim verified at the roster address is revoked when its
    entry leaves the roster. A single claim (`verify_claim`) and the claims owed a first check (`check_owed`) go
    through the same code.
    """
    ids = sorted(set(signature_ids))
    if not ids:
        return []
    try:
        with transaction.atomic():
            return _check(_locked(Signature.objects.filter(AnyOf(F("pk"), ids))), worker)
    except Exception as error:
        if len(ids) == 1:
            raise
        logger.warning("A chunk of %d claims failed as a whole (%r); checking them one by one", len(ids), error)
    return _one_by_one(Signature.objects.all(), ids, worker)


def verify_claim(signature_id: int, worker: str = "") -> list[int]:
    """Check one claim and record the outcome (as a chunk of one: `verify_claims`); the roster challenges to send."""
    return verify_claims([signature_id], worker=worker)


@dataclass
class Owed:
    """What `check_owed` did: claims checked, failed (logged; the first error kept), and whether more wait."""

    checked: int = 0
    failed: list[int] = field(default_factory=list)
    error: BaseException | None = None
    more: bool = False


def check_owed(worker: str = "", *, size: int = 500, chunks: int = 20, send=None, share=None) -> Owed:
    """Check the confirmed claims owed a check since their confirmation (backlog.owed_checks), `size` at a time in
    id order, each chunk as `verify_claims` checks one, up to `chunks` chunks; `send(challenge_ids)` is called
    after each chunk's commit with the roster challenges it opened, and `share()` once, after the first full
    chunk (more may be owed: another worker can take a share). `more` says the limit stopped it with claims
    perhaps still owed.

    The chunk's lock query takes the claims itself: the first `size` owed claims no other worker holds (FOR
    UPDATE SKIP LOCKED), so two workers at once check different claims; a claim another worker checked meanwhile
    is no longer owed (and if a race let it through, `decide` finds the same outcome and records nothing). Each
    chunk starts after the last claim of the one before, so a run takes a claim at most once; one that fails is
    still owed, for the next run or the sweeper.
    """
    result, after = Owed(), 0
    for _ in range(chunks):
        owed = backlog.owed_checks().filter(pk__gt=after)
        try:
            with transaction.atomic():
                signatures = _locked(owed, limit=size, skip_locked=True)
                opened = _check(signatures, worker)
            ids = [signature.pk for signature in signatures]
        except Exception as error:
            logger.warning("A chunk of owed claims failed as a whole (%r); checking them one by one", error)
            ids = list(owed.order_by("pk").values_list("pk", flat=True)[:size])
            try:
                opened = _one_by_one(owed, ids, worker, skip_locked=True)
            except ChunkIncomplete as incomplete:
                opened = incomplete.opened
                result.failed += incomplete.failed
                result.error = result.error or incomplete.error
        if send is not None and opened:
            send(opened)
        result.checked += len(ids)
        if len(ids) < size:
            result.checked -= len(result.failed)
            return result
        if share is not None and after == 0:
            share()
        after = ids[-1]
    result.checked -= len(result.failed)
    result.more = True
    return result


def _one_by_one(signatures: QuerySet, ids: list[int], worker: str, *, skip_locked: bool = False) -> list[int]:
    """Check each of `ids` (among `signatures`) in a transaction of its own, after a chunk's transaction failed.
    The challenges opened; ChunkIncomplete if any failed. With `skip_locked`, one another worker holds is left."""
    opened: list[int] = []
    failed: list[int] = []
    first: BaseException | None = None
    for signature_id in ids:
        try:
            with transaction.atomic():
                opened += _check(_locked(signatures.filter(pk=signature_id), skip_locked=skip_locked), worker)
        except Exception as error:
            failed.append(signature_id)
            if first is None:
                first = error
                logger.exception("Claim %s could not be checked", signature_id)
    if first is not None:
        logger.error("%d of %d claims of a chunk could not be checked: %s", len(failed), len(ids), failed[:50])
        raise ChunkIncomplete(opened, failed, first)
    return opened


# The signature's columns a check never reads: left out of the lock query, whose rows Python turns into instances
# value by value (a datetime each is the costliest). Nothing in a chunk's path reads them (tests/verification
# test_bulk_claims counts the queries: a deferred column read would be one more query per claim).
_NOT_READ = (
    "version",
    "role",
    "organisation",
    "comment",
    "public",
    "language",
    "created_at",
    "confirmed_at",
    "withdrawn_at",
    "rejected_at",
    "submitted_at",
)


def _locked(signatures: QuerySet, *, limit: int | None = None, skip_locked: bool = False) -> list[Signature]:
    """The chunk's lock query: its signatures (the first `limit`) row-locked in id order, with what `decide` reads
    beside them; `skip_locked` leaves out those another worker holds.

    Their affiliations are read once for the chunk (a chunk claims one or a few), not joined to every row: one
    instance per affiliation instead of one per claim, and a few columns less per row. Read after the lock, like
    the joined row would have been in the same statement: a roster version moved meanwhile is only newer."""
    locked = (
        signatures.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("evidence")
        .defer(*_NOT_READ)
        .order_by("pk")
    )
    rows = list(locked[:limit] if limit is not None else locked)
    wanted = {signature.affiliation_id for signature in rows if signature.affiliation_id is not None}
    if wanted:
        affiliations = Affiliation.objects.in_bulk(wanted)
        cache = Signature.affiliation.field.set_cached_value
        for signature in rows:
            if signature.affiliation_id is not None:
                cache(signature, affiliations[signature.affiliation_id])
    return rows


def decide(signature: Signature, addresses: RosterAddresses | None = None) -> Match | None:
    """What the workers' check says about this claim now, or None: the claim is not the workers' to change.

    Pure: it writes nothing, and reads only what `addresses` holds (RosterAddresses.for_claims reads it for a
    whole chunk; without it, the roster is read for this claim) and this process's copy of the roster's names.
    `signature` comes with its affiliation and evidence loaded.

    None for a claim decided by a person (a moderator, or the member's "this wasn't me"), one not confirmed or
    anonymised, and a claim verified at the roster address whose entry is still on the roster (a member's "this
    was me" is not re-asked). Such a claim whose entry left the roster is revoked. Otherwise the roster's answer
    (matching.check_claim). A Match with `challenge` still needs its challenges opened (the writer's job: with
    none opened, a moderator decides); a Match equal to the claim's current evidence records nothing.
    """
    if signature.affiliation_id is None or signature.decided_by_person:
        return None
    if signature.status != Signature.Status.CONFIRMED or signature.anonymised:
        return None  # an anonymised signer has nothing left to check: its verdict stands with the counts
    addresses = addresses if addresses is not None else RosterAddresses.for_claims([signature])
    current = signature.evidence
    if signature.verification == Verification.VERIFIED and current and current.method == Method.ROSTER_CHALLENGE:
        if addresses.on_roster(signature.affiliation_id, current.roster_entry_id):
            return None
        return Match(
            Verification.UNVERIFIED, Method.NONE, detail=f"revoked: “{current.roster_name}” is no longer on the roster"
        )
    return check_claim(signature, addresses)


def _check(signatures: list[Signature], worker: str) -> list[int]:
    """The chunk's work, in the caller's transaction, on its locked signatures (`_locked`): decide, open and close
    challenges, record."""
    addresses = RosterAddresses.for_claims(signatures)
    decided = [(signature, match) for signature in signatures if (match := decide(signature, addresses)) is not None]
    plan = challenges.ChallengePlan(
        [signature for signature, _ in decided], [entry_id for _, match in decided for entry_id in match.challenge]
    )
    outcomes: list[tuple[Signature, Match, list[RosterChallenge]]] = []
    for signature, match in decided:  # in id order: as if checked one after another
        opened = plan.open(signature, match.challenge) if match.challenge else []
        if match.challenge and not opened:
            match = _no_challenge(match)
        # A new verdict other than `pending` closes the claim's open challenges.
        if match.verdict != Verification.PENDING and not _same_outcome(signature, match):
            plan.cancel(signature)
        outcomes.append((signature, match, opened))
    plan.write()
    for n, (signature, match, opened) in enumerate(outcomes):
        if opened and all(challenge.pk is None for challenge in opened):  # a concurrent claim took them meanwhile
            match = _no_challenge(match)
            outcomes[n] = (signature, match, [])
            if not _same_outcome(signature, match):
                challenges.cancel_open(signature)
    _record_all([(signature, match) for signature, match, _ in outcomes if not _same_outcome(signature, match)], worker)
    return [c.pk for _, _, opened in outcomes for c in opened if c.pk is not None and c.sent_at is None]


def _no_challenge(match: Match) -> Match:
    return Match(
        Verification.NEEDS_REVIEW,
        Method.NAME,
        match.entry,
        match.score,
        match.candidates,
        "no challenge could be sent (a candidate's challenge is already open for another signer, "
        "or its daily limit is reached): a moderator decides",
        match.warnings,
    )


def _same_outcome(signature: Signature, match: Match) -> bool:
    current = signature.evidence
    return (
        current is not None
        and signature.verification == match.verdict
        and current.method == match.method
        and current.roster_entry_id == (match.entry.pk if match.entry else None)
        and current.candidates == match.candidates
    )


def _record_all(changes: list[tuple[Signature, Match]], worker: str) -> None:
    """`record` for the workers' verdicts on a chunk, in bulk: the evidence rows in one insert, the signatures in
    one update, the counters in one fold per petition. Their challenges were closed by the ChallengePlan."""
    if not changes:
        return
    before = [counts.Snapshot.of(signature) for signature, _ in changes]
    trail = [
        _evidence(
            signature,
            match.verdict,
            match.method,
            entry=match.entry,
            score=match.score,
            candidates=match.candidates,
            detail=match.detail,
            warnings=match.warnings,
            worker=worker,
        )
        for signature, match in changes
    ]
    Evidence.objects.insert_all(trail)
    signatures = [signature for signature, _ in changes]
    for signature, evidence in zip(signatures, trail, strict=True):
        signature.record_verdict(evidence)
    Signature.objects.store_verdicts(signatures)
    counts.record_many(zip(signatures, before, strict=True))


def _evidence(
    signature: Signature,
    verdict: str,
    method: str,
    *,
    entry: RosterEntry | None = None,
    score: float = 0.0,
    candidates: list[dict] | None = None,
    detail: str = "",
    warnings: list[str] | None = None,
    moderator=None,
    worker: str = "",
) -> Evidence:
    """The evidence row (unsaved) for moving this signature to `verdict`: see `record`."""
    if counts.Snapshot.of(signature).verified and verdict != Verification.VERIFIED and moderator is None:
        detail = detail if detail.startswith("revoked") else f"revoked: {detail}"
    shown_name = ""
    if verdict == Verification.VERIFIED and entry is not None and not compatible(signature.full_name, entry.full_name):
        shown_name = entry.full_name
    return Evidence(
        signature=signature,
        verdict=verdict,
        method=method,
        roster_entry=entry,
        roster_name=entry.full_name if entry else "",
        shown_name=shown_name,
        score=score,
        candidates=candidates or [],
        detail=detail[:500],
        warnings=warnings or [],
        decided_by=moderator,
        worker=worker[:200],
    )


def record(signature: Signature, verdict: str, method: str, **details) -> Evidence:
    """Record evidence and move the signature's verification (and the counters) to `verdict`.

    `details`: the evidence's entry, score, candidates, detail, warnings, moderator or worker (`_evidence`).
    A verified claim bound to a roster entry is shown under the entry's name unless the typed name is
    compatible with it; the evidence keeps both. The caller holds the signature's row lock. (The workers'
    checks record a chunk at once: `_record_all`.)
    """
    before = counts.Snapshot.of(signature)
    evidence = _evidence(signature, verdict, method, **details)
    evidence.save()
    signature.record_verdict(evidence)
    signature.save(update_fields=["verification", "evidence", "verified_at"])
    counts.record(signature, before)
    if verdict != Verification.PENDING:
        challenges.cancel_open(signature)
    return evidence


def approve_claim(signature: Signature, moderator, entry: RosterEntry | None = None, note: str = "") -> Evidence | None:
    """A moderator accepts the claim; the roster entry defaults to the best review candidate.

    Approving without a roster address behind it (an entry that has none, or no entry) needs a reason: it is
    the moderator's word alone, and the evidence keeps it. None if a moderator had already approved it.
    """
    return _moderate(signature, moderator, Verification.VERIFIED, entry, note.strip())


def reject_claim(signature: Signature, moderator, note: str = "") -> Evidence | None:
    """A moderator refuses the claim. None if a moderator had already rejected it."""
    return _moderate(signature, moderator, Verification.REJECTED, None, note.strip() or "rejected by a moderator")


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
        if verdict == Verification.VERIFIED:
            if not note and (entry is None or not entry.email):
                raise ValidationError(
                    "Give a reason to approve this claim: no roster address stands behind it, only your word."
                )
            note = note or "approved by a moderator"
        return record(
            signature,
            verdict,
            Method.MODERATOR,
            entry=entry,
            score=1.0 if verdict == Verification.VERIFIED else 0.0,
            candidates=current.candidates if current else [],
            detail=note,
            warnings=current.warnings if current else [],
            moderator=moderator,
        )


def reject_signature(signature: Signature, moderator, note: str = "") -> Evidence | None:
    """A moderator removes the whole signature (spam, abuse): it stops counting everywhere.

    Kept as evidence beside the claim's decisions, so the signature's trail says who did it and why; the
    claim's own verdict is left as it was (and comes back with it if the signature is reinstated). None if it
    was already rejected.
    """
    return _change_status(signature, moderator, services.reject, "signature rejected as spam", note)


def reinstate_signature(signature: Signature, moderator, note: str = "") -> Evidence | None:
    """A moderator undoes a rejection (see `Signature.reinstate`); None if it already counts.

    ValidationError for a signature that was never rejected.
    """
    return _change_status(signature, moderator, services.reinstate, "signature reinstated", note)


def _change_status(signature: Signature, moderator, change, what: str, note: str) -> Evidence | None:
    with transaction.atomic():
        if not change(signature):
            return None
        signature = Signature.objects.get(pk=signature.pk)
        detail = f"{what}: {note.strip()}" if note.strip() else what
        # The trail's row names the verification the claim keeps; `signature.evidence` stays the claim's.
        return Evidence.objects.create(
            signature=signature,
            verdict=signature.verification,
            method=Method.MODERATOR,
            detail=detail[:500],
            decided_by=moderator,
        )


def request_challenge(signature: Signature, entry: RosterEntry, moderator) -> list[int]:
    """A moderator asks the roster member directly: a challenge to this entry's roster address.

    The claim waits (`pending`) for the answer, exactly as if the workers had sent it; the moderator is named
    on the challenge, not as the decider, so the member's answer settles the claim. Returns the challenge ids
    to send after the commit.
    """
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("affiliation", "evidence")
            .get(pk=signature.pk)
        )
        if signature.affiliation_id is None or signature.status != Signature.Status.CONFIRMED:
            raise ValidationError("Only a confirmed signature's claim can be challenged.")
        if entry.affiliation_id != signature.affiliation_id:
            raise ValidationError("That roster entry belongs to another affiliation's roster.")
        if not entry.email:
            raise ValidationError(f"“{entry.full_name}” has no roster address to send a challenge to.")
        if signature.verification == Verification.VERIFIED:
            raise ValidationError("This claim is verified already.")
        opened = challenges.open_challenges(signature, [entry.pk], requested_by=moderator)
        if not opened:
            raise ValidationError(
                f"No challenge can go to “{entry.full_name}” now: one is open for another signer of this letter, "
                "or the entry reached its daily limit."
            )
        current = signature.evidence
        record(
            signature,
            Verification.PENDING,
            Method.ROSTER_CHALLENGE,
            entry=entry,
            score=current.score if current else 0.0,
            candidates=current.candidates if current else [],
            detail=f"challenge sent to the roster address of “{entry.full_name}” at a moderator's request",
            warnings=current.warnings if current else [],
            worker=f"requested by {moderator.email or moderator.get_username()}",
        )
    return [challenge.pk for challenge in opened if challenge.sent_at is None]


def answer_challenge(challenge_id: int, confirmed: bool) -> RosterChallenge:
    """The roster member's answer: "this was me" verifies the claim (`roster_challenge`, bound to their entry);
    "this wasn't me" disputes it, unless another candidate already confirmed it. Single use.

    Raises challenges.ChallengeClosed for a challenge that can do nothing now (answered, expired, cancelled).
    """
    with transaction.atomic():
        challenge = (
            RosterChallenge.objects.select_for_update(of=("self",))
            .select_related("roster_entry")
            .filter(pk=challenge_id)
            .first()
        )
        if challenge is None or not challenge.is_open:
            raise challenges.ChallengeClosed(challenge_id)
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("affiliation", "evidence", "petition")
            .get(pk=challenge.signature_id)
        )
        challenge.answer(confirmed)
        challenge.save(update_fields=["state", "answered_at"])
        if signature.status != Signature.Status.CONFIRMED or signature.decided_by_moderator:
            return challenge  # withdrawn, removed, or decided by a moderator meanwhile: recorded, nothing moves
        entry = challenge.roster_entry
        if confirmed:
            record(
                signature,
                Verification.VERIFIED,
                Method.ROSTER_CHALLENGE,
                entry=entry,
                score=1.0,
                candidates=signature.evidence.candidates if signature.evidence else [],
                detail=f"the owner of the roster address for “{entry.full_name}” confirmed it was them",
                warnings=signature.evidence.warnings if signature.evidence else [],
            )
        elif signature.verification != Verification.VERIFIED:
            # "Not me" from one of several candidates says only that: the claim is disputed once every
            # candidate asked has said so; until then it waits for the others, the answer kept as evidence.
            waiting = RosterChallenge.objects.open().filter(signature=signature).exists()
            record(
                signature,
                Verification.PENDING if waiting else Verification.DISPUTED,
                Method.ROSTER_CHALLENGE,
                entry=entry,
                candidates=signature.evidence.candidates if signature.evidence else [],
                detail=f"the owner of the roster address for “{entry.full_name}” said it wasn't them"
                + ("; waiting for the other candidates" if waiting else ""),
                warnings=signature.evidence.warnings if signature.evidence else [],
            )
    return challenge


def expire_challenges() -> int:
    """Close challenges nobody answered in time; a claim left with none open is settled without them.

    It goes to a moderator if a candidate without an address remains (no machine can ask them), otherwise it
    ends unverified: the roster's owners of those names did not confirm.
    """
    due = list(
        RosterChallenge.objects.open()
        .filter(expires_at__lte=timezone.now())
        .values_list("pk", "signature_id")
        .order_by("pk")[:5000]
    )
    for challenge_id, signature_id in due:
        with transaction.atomic():
            signature = (
                Signature.objects.select_for_update(of=("self",))
                .select_related("affiliation", "evidence")
                .get(pk=signature_id)
            )
            RosterChallenge.objects.filter(pk=challenge_id, state=RosterChallenge.State.OPEN).update(
                state=RosterChallenge.State.EXPIRED
            )
            still_open = RosterChallenge.objects.open().filter(signature=signature).exists()
            if still_open or signature.verification != Verification.PENDING or signature.evidence is None:
                continue
            current = signature.evidence
            unreachable = [c for c in current.candidates if isinstance(c, dict) and not c.get("address")]
            verdict = Verification.NEEDS_REVIEW if unreachable else Verification.UNVERIFIED
            record(
                signature,
                verdict,
                Method.NAME if unreachable else Method.NONE,
                entry=current.roster_entry,
                score=current.score,
                candidates=current.candidates,
                detail="the roster challenge expired unanswered"
                + (": a candidate without a roster address remains, a moderator decides" if unreachable else ""),
                warnings=current.warnings,
            )
    return len(due)


def claims_to_recheck(signatures: QuerySet) -> QuerySet:
    """Confirmed claims whose verification is still the workers' to decide (not a moderator's, not disputed)."""
    return (
        signatures.filter(status=Signature.Status.CONFIRMED, affiliation__isnull=False, anonymised_at__isnull=True)
        .exclude(verification__in=[Verification.REJECTED, Verification.DISPUTED])
        .exclude(evidence__decided_by__isnull=False)
    )


def forget_signers(signature_ids: list[int], **kwargs) -> None:
    """Receiver of `signatures_anonymised`: the evidence and roster challenges of anonymised signatures name
    the roster member they were matched with, so they go too (the verification itself, and so the counts,
    stays on the signature)."""
    Evidence.objects.filter(signature_id__in=signature_ids).delete()
    RosterChallenge.objects.filter(signature_id__in=signature_ids).delete()
