"""The signer's use cases: sign, confirm, withdraw; and a moderator rejecting a signature, or undoing that.

Each is lock → the model's named transition → save → counters → enqueue (or signal, for the layer above).
"""

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction

from petitions.models import Petition, PetitionVersion

from . import counts, outbox, tokens, upsert
from .addresses import email_key
from .models import Signature
from .signals import signature_confirmed, signature_moderated
from .tasks import send_owed_confirmations

# What a signer may restate by signing again before their signature counts (unconfirmed or withdrawn); the
# language is the page's, so their next email is in the language they last signed in.
DETAILS = ("full_name", "email", "affiliation", "roster_email", "role", "organisation", "comment", "public", "language")


class PetitionNotOpen(Exception):
    """The petition does not accept signatures (draft, closed, archived or past its closing time)."""


class LinkNotValid(Exception):
    """A confirm or withdraw link that must do nothing: the signature was rejected, or the link is stale."""


def sign(
    petition: Petition,
    details: dict,
    version: PetitionVersion | None = None,
    *,
    send_email: bool = True,
    alongside: Sequence[upsert.Alongside] = (),
) -> Signature:
    """Store an unconfirmed signature, or find this address's earlier one, and email the signer.

    The caller cannot tell which happened: the response to the public must not reveal who signed.
    `petition` may be a copy read a few seconds ago (front.kept_petitions): whether it accepts signatures is
    checked again by the database in the signing's own statement (signatures.upsert).
    `send_email=False` is for signatures entered by the operators (the demo), never for the public.
    `alongside`: rows of the apps above, keyed by the signature, written with it (where it came from: abuse.intake).
    """
    if not petition.accepts_signatures:
        raise PetitionNotOpen(petition.slug)
    version = version or petition.current_version or petition.record_version()
    fresh = Signature(petition=petition, version=version, **details)
    fresh.start_claim()
    fresh.email_key = email_key(fresh.email)
    # One statement, whether or not this address signed before, so the response time does not tell (see
    # signatures.upsert for the rules of signing again). The confirmation is owed in it, so no outage loses it
    # (signatures.outbox; a rejected signature's row is dropped by the sender, unsent).
    restated = tuple(name for name in DETAILS if name in details)
    signature = upsert.sign(fresh, restated, owe_email=send_email, alongside=alongside)
    if signature is None:  # closed (or past its closing time) since `petition` was read: nothing was written
        raise PetitionNotOpen(petition.slug)
    if send_email:
        send_owed_confirmations_soon()  # after the caller's commit, if it holds a transaction
    return signature


def send_owed_confirmations_soon() -> None:
    """After the commit, have the worker send the confirmations owed: one task per CONFIRMATION_BATCH_WINDOW and
    web process sends the emails of every signing in it, over one SMTP connection (Task.gather_on_commit)."""
    send_owed_confirmations.gather_on_commit(settings.CONFIRMATION_BATCH_WINDOW)


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
    if signature.anonymised:
        raise LinkNotValid("erased")
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


def withdrawable(signature_id: int, fingerprint: str) -> Signature:
    """The signature a withdraw link would withdraw, read without changing anything (what its page shows).

    Raises LinkNotValid where `withdraw` would: rejected, erased, or re-signed or changed since the link.
    """
    signature = Signature.objects.select_related("petition").get(pk=signature_id)
    _check_submission_link(signature, fingerprint)
    return signature


def _check_submission_link(signature: Signature, fingerprint: str) -> None:
    if signature.status == Signature.Status.REJECTED:
        raise LinkNotValid("rejected")
    if signature.anonymised:
        raise LinkNotValid("erased")
    if fingerprint != tokens.submission_fingerprint(signature):
        raise LinkNotValid("stale")


def withdraw(signature_id: int, fingerprint: str | None = None) -> Signature:
    """Idempotent. A rejected signature cannot be withdrawn (LinkNotValid): it already counts nowhere.

    With a `fingerprint` (from the emailed link), only the signature as it was submitted then is withdrawn.
    """
    with transaction.atomic():
        signature = Signature.objects.select_for_update().get(pk=signature_id)
        if fingerprint is not None:
            _check_submission_link(signature, fingerprint)
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
        signature.save(update_fields=["status", "rejected_at"])
        counts.record(signature, before)
        signature_moderated.send(sender=Signature, petition_id=signature.petition_id)
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
        signature_moderated.send(sender=Signature, petition_id=signature.petition_id)
        if signature.status == Signature.Status.CONFIRMED and signature.verification == Signature.Verification.PENDING:
            signature_confirmed.send(sender=Signature, signature_id=signature.pk)
    return True


def resend(petition: Petition, address: str) -> None:
    """Send the confirmation email again to `address`, if it has an unconfirmed signature on `petition`.

    Through the outbox, as signing: one statement owes the email if there is such a signature (and does nothing
    otherwise), then the same batched send. The same work whatever the answer, so neither the response nor its
    timing tells the person asking whether that address signed.
    """
    with transaction.atomic():
        outbox.owe_confirmation_to(petition.pk, email_key(address))
        send_owed_confirmations_soon()
