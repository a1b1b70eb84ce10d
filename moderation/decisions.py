"""A moderator's decisions on a signature, taken the same way from every surface (today the admin).

`decide` runs the decision through its domain use case, which guards and records it (evidence, counters),
then adds the audit-trail entry naming the moderator. A refused decision raises the domain's
ValidationError; one that changes nothing (already decided so) returns False and logs nothing.
"""

import re

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from petitions.models import Petition
from signatures.models import Signature
from verification import claims, tasks
from verification.models import Recheck, RosterEntry


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve the claim")
    REJECT = "reject", _("Reject the claim")
    SPAM = "spam", _("Reject the signature as spam")
    REINSTATE = "reinstate", _("Reinstate the signature")
    CHALLENGE = "challenge", _("Send a challenge to the roster entry")


def decide(signature: Signature, decision: str, moderator, *, entry: RosterEntry | None = None, note: str = "") -> bool:
    """Apply one decision; True if it changed the signature (and was logged), False if it already stood."""
    with transaction.atomic():
        if decision == Decision.APPROVE:
            evidence = claims.approve_claim(signature, moderator, entry=entry, note=note)
            member = f" as roster entry “{evidence.roster_name}”" if evidence and evidence.roster_name else ""
            why = f" Reason: {note.strip()}" if note.strip() else ""
            message = f"Approved the claim to {signature.affiliation}{member}.{why}"
            changed = evidence is not None
        elif decision == Decision.REJECT:
            changed = claims.reject_claim(signature, moderator, note=note) is not None
            message = f"Rejected the claim to {signature.affiliation}."
        elif decision == Decision.SPAM:
            changed = claims.reject_signature(signature, moderator, note=note) is not None
            why = f" Reason: {note.strip()}" if note.strip() else ""
            message = f"Rejected the signature as spam.{why}"
        elif decision == Decision.REINSTATE:
            changed = claims.reinstate_signature(signature, moderator, note=note) is not None
            why = f" Reason: {note.strip()}" if note.strip() else ""
            message = f"Reinstated the signature (undoing its rejection).{why}"
        elif decision == Decision.CHALLENGE:
            if entry is None:
                raise ValueError("A challenge goes to a roster entry.")
            tasks.send_challenges(claims.request_challenge(signature, entry, moderator))
            changed, message = True, f"Sent a roster challenge to the roster address of “{entry.full_name}”."
        else:
            raise ValueError(f"Unknown decision {decision!r}.")
        if changed:
            audit(moderator, signature, message)
    return changed


def would_change(signatures: QuerySet, decision: str) -> QuerySet:
    """The signatures among `signatures` that `decision` would change: what a bulk decision's confirmation counts.

    It mirrors the guards of the use cases (verification.claims, Signature.reject/reinstate) as one query, so the
    page can say "this will change 37 of 40" without running anything; an approval may still be refused one by
    one (no roster address and no reason), and the report after the run says so.
    """
    claims_ = signatures.filter(status=Signature.Status.CONFIRMED, affiliation__isnull=False)
    if decision == Decision.APPROVE:
        return claims_.exclude(verification=Signature.Verification.VERIFIED, evidence__decided_by__isnull=False)
    if decision == Decision.REJECT:
        return claims_.exclude(verification=Signature.Verification.REJECTED)
    if decision == Decision.SPAM:
        return signatures.exclude(status=Signature.Status.REJECTED)
    if decision == Decision.REINSTATE:
        return signatures.filter(status=Signature.Status.REJECTED)
    raise ValueError(f"No bulk form of decision {decision!r}.")


def recheck(signatures, moderator) -> Recheck:
    """Queue these signatures' claims to be checked against the roster again (moderators' decisions stand).

    Audited once per letter concerned (not per signature: a selection may be the whole list).
    """
    with transaction.atomic():
        run = tasks.queue_recheck(
            Signature.objects.filter(pk__in=signatures.values("pk")), "a moderator's re-check", requested_by=moderator
        )
        if run.total:
            petitions = Petition.objects.filter(pk__in=signatures.values("petition_id"))
            for petition in petitions:
                audit(moderator, petition, f"Asked for a re-check of claims against the roster (run {run.pk}).")
    return run


def audit(user, obj, message: str) -> None:
    """An entry in the admin's history of `obj` (for a signature, always against Signature, not a proxy)."""
    if isinstance(obj, Signature) and type(obj) is not Signature:
        obj = Signature.objects.get(pk=obj.pk)
    LogEntry.objects.log_actions(user.pk, [obj], CHANGE, change_message=message, single_object=True)


_QUOTED = re.compile(r"“[^”]*”")


def forget_signers(signature_ids: list[int], **kwargs) -> None:
    """Receiver of `signatures_anonymised`: the history keeps who decided what and when, not the signer's name
    (the entry's title) nor the roster member's (quoted in the message); a moderator's note goes too."""
    signature_type = ContentType.objects.get_for_model(Signature)
    for entry in LogEntry.objects.filter(content_type=signature_type, object_id__in=[str(i) for i in signature_ids]):
        message = _QUOTED.sub("“…”", entry.change_message.split(" Reason: ")[0])
        LogEntry.objects.filter(pk=entry.pk).update(
            object_repr=f"anonymised signature #{entry.object_id}", change_message=message
        )
