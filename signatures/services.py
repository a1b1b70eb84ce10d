"""The signer's use cases: sign, confirm, withdraw; and a moderator rejecting a signature."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from petitions.models import Petition, PetitionVersion
from verification.names import email_key

from . import counts, tokens
from .models import Signature


class PetitionNotOpen(Exception):
    """The petition does not accept signatures (draft, closed, archived or past its closing time)."""


def sign(petition: Petition, details: dict, version: PetitionVersion | None = None) -> Signature:
    """Store an unconfirmed signature, or find this address's earlier one, and email the signer.

    The caller cannot tell which happened: the response to the public must not reveal who signed.
    """
    if not petition.accepts_signatures:
        raise PetitionNotOpen(petition.slug)
    signature = Signature(petition=petition, version=version or petition.current_version, **details)
    try:
        with transaction.atomic():
            signature.save()
    except IntegrityError:
        # Same petition and address (perhaps a concurrent double submit): keep the first row untouched.
        signature = Signature.objects.get(petition=petition, email_key=email_key(details["email"]))
    if signature.status != Signature.Status.REJECTED:
        from .tasks import deliver_confirmation_email

        deliver_confirmation_email.delay_on_commit(signature.pk)
    return signature


def confirm(signature_id: int) -> Signature:
    """Idempotent: a second click changes nothing and queues nothing."""
    with transaction.atomic():
        signature = Signature.objects.select_for_update(of=("self",)).select_related("evidence").get(pk=signature_id)
        before = counts.Snapshot.of(signature)
        if not signature.confirm():
            return signature
        signature.save(update_fields=["status", "confirmed_at", "withdrawn_at", "verification"])
        counts.record(signature, before)
        if signature.verification == Signature.Verification.PENDING:
            from verification.tasks import verify_claim

            verify_claim.delay_on_commit(signature.pk)
    return signature


def withdraw(signature_id: int) -> Signature:
    with transaction.atomic():
        signature = Signature.objects.select_for_update().get(pk=signature_id)
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


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def send_confirmation_email(signature: Signature) -> None:
    """What the email says depends on the signature's state, so a repeat signing is answered helpfully."""
    if signature.status == Signature.Status.REJECTED:
        return
    context = {
        "signature": signature,
        "petition": signature.petition,
        "petition_url": absolute_url(signature.petition.get_absolute_url()),
        "confirm_url": absolute_url(
            reverse("signatures:confirm", args=[tokens.make_token(signature.pk, tokens.CONFIRM)])
        ),
        "withdraw_url": absolute_url(
            reverse("signatures:withdraw", args=[tokens.make_token(signature.pk, tokens.WITHDRAW)])
        ),
        "confirm_days": settings.SIGNATURE_CONFIRM_MAX_AGE // 86400,
    }
    subject = f"Confirm your signature: {signature.petition.title}"
    if signature.status == Signature.Status.CONFIRMED:
        subject = f"You have already signed: {signature.petition.title}"
    send_mail(
        subject,
        render_to_string("signatures/email/confirmation.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [signature.email],
    )
