"""The signer's use cases: sign, confirm, withdraw; and a moderator rejecting a signature, or undoing that.

Each is lock → the model's named transition → save → counters → enqueue (or signal, for the layer above).
"""

from django.db import IntegrityError, transaction

from petitions.models import Petition, PetitionVersion

from . import counts, tokens
from .addresses import email_key
from .models import Signature
from .signals import signature_confirmed
from .tasks import deliver_confirmation_email

# What a signer may restate by signing again before their signature counts (unconfirmed or withdrawn).
DETAILS = ("full_name", "email", "affiliation", "roster_email", "role", "organisation", "comment", "public")


class PetitionNotOpen(Exception):
    """The petition does not accept signatures (draft, closed, archived or past its closing time)."""


class LinkNotValid(Exception):
    """A confirm or withdraw link that must do nothing: the signature was rejected, or the link is stale."""


def sign(
    petition: Petition, details: dict, version: PetitionVersion | None = None, *, send_email: bool = True
) -> Signature:
    """Store an unconfirmed signature, or find this address's earlier one, and email the signer.

    The caller cannot tell which happened: the response to the public must not reveal who signed.
    `send_email=False` is for signatures entered by the operators (the demo), never for the public.
    """
    if not petition.accepts_signatures:
        raise PetitionNotOpen(petition.slug)
    version = version or petition.current_version or petition.record_version()
    signature = Signature(petition=petition, version=version, **details)
    signature.start_claim()
    try:
        with transaction.atomic():
            signature.save()
    except IntegrityError:
        # Same petition and address (perhaps a concurrent double submit).
        signature = _sign_again(petition, details, version)
        if signature is None:
            raise
    if send_email and signature.status != Signature.Status.REJECTED:
        deliver_confirmation_email.delay_on_commit(signature.pk)
    return signature


def _sign_again(petition: Petition, details: dict, version: PetitionVersion) -> Signature | None:
    """A signature that does not count yet takes the latest details; a counted or rejected one stays as it is.

    The confirmation email shows the details, and older confirm links stop working (see tokens.fingerprint).
    """
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("evidence")
            .filter(petition=petition, email_key=email_key(details["email"]))
            .first()
        )
        if signature is None or signature.status not in (Signature.Status.UNCONFIRMED, Signature.Status.WITHDRAWN):
            return signature
        new_claim = getattr(details.get("affiliation"), "pk", None) != signature.affiliation_id
        for name in DETAILS:
            if name in details:
                setattr(signature, name, details[name])
        signature.version = version
        changed = [*DETAILS, "version", "email_key"]
        if new_claim:
            # Evidence about another claim says nothing about this one.
            signature.start_claim()
            changed += ["verification", "evidence", "verified_at"]
        signature.save(update_fields=changed)
    return signature


def confirmable(signature_id: int, fingerprint: str = "") -> Signature:
    """The signature a confirm link would confirm, read without changing anything (what its page shows).

    Raises LinkNotValid where `confirm` would: a rejected signature, or a link older than its details.
    """
    signature = Signature.objects.select_related("petition", "affiliation").get(pk=signature_id)
    _check_link(signature, fingerprint)
    return signature


def _check_link(signature: Signature, fingerprint: str) -> None:
    if signature.status == Signature.Status.CONFIRMED:
        return
    if signature.status == Signature.Status.REJECTED:
        raise LinkNotValid("rejected")
    if fingerprint and fingerprint != tokens.fingerprint(signature):
        raise LinkNotValid("stale")


def confirm(signature_id: int, fingerprint: str = "") -> Signature:
    """Idempotent: a second click changes nothing and queues nothing.

    With a `fingerprint` (from the emailed link), only a signature still showing those details is confirmed.
    """
    with transaction.atomic():
        signature = Signature.objects.select_for_update(of=("self",)).select_related("evidence").get(pk=signature_id)
        _check_link(signature, fingerprint)
        if signature.status == Signature.Status.CONFIRMED:
            return signature
        before = counts.Snapshot.of(signature)
        signature.confirm()
        signature.save(update_fields=["status", "confirmed_at", "withdrawn_at", "verification"])
        counts.record(signature, before)
        if signature.verification == Signature.Verification.PENDING:
            signature_confirmed.send(sender=Signature, signature_id=signature.pk)
    return signature


def withdraw(signature_id: int) -> Signature:
    """Idempotent. A rejected signature cannot be withdrawn (LinkNotValid): it already counts nowhere."""
    with transaction.atomic():
        signature = Signature.objects.select_for_update().get(pk=signature_id)
        if signature.status == Signature.Status.REJECTED:
            raise LinkNotValid("rejected")
        before = counts.Snapshot.of(signature)
        if signature.withdraw():
            signature.save(update_fields=["status", "withdrawn_at"])
            counts.record(signature, before)
    return signature


def reject(signature: Signature) -> bool:
    """A moderator removes a signature (spam, abuse). The caller records who did it."""
    with transaction.atomic():
        signature = Signature.objects.select_for_update().get(pk=signature.pk)
        before = counts.Snapshot.of(signature)
        if not signature.reject():
            return False
        signature.save(update_fields=["status"])
        counts.record(signature, before)
    return True


def reinstate(signature: Signature) -> bool:
    """Undo a rejection (spam judged wrongly, a bulk invalidation undone): the signature counts again.

    False if it was not rejected but is already confirmed; ValidationError for anything else. A reinstated
    claim still waiting for its check (`pending`) is queued again, as on confirmation. The caller records who.
    """
    with transaction.atomic():
        signature = Signature.objects.select_for_update().get(pk=signature.pk)
        before = counts.Snapshot.of(signature)
        if not signature.reinstate():
            return False
        signature.save(update_fields=["status"])
        counts.record(signature, before)
        if signature.status == Signature.Status.CONFIRMED and signature.verification == Signature.Verification.PENDING:
            signature_confirmed.send(sender=Signature, signature_id=signature.pk)
    return True
