"""The signer's confirmation email: what it says depends on the signature's state, so a repeat signing is
answered helpfully. Sent by the `deliver_confirmation_email` task, built from the signature as it is now."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from . import tokens
from .models import Signature


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def send_confirmation_email(signature: Signature) -> None:
    if signature.status == Signature.Status.REJECTED:
        return
    petition = signature.petition
    context = {
        "signature": signature,
        "petition": petition,
        "petition_url": absolute_url(petition.get_absolute_url()),
        "confirm_url": absolute_url(reverse("signatures:confirm", args=[tokens.confirm_token(signature)])),
        "withdraw_url": absolute_url(reverse("signatures:withdraw", args=[tokens.withdraw_token(signature)])),
        "confirm_days": settings.SIGNATURE_CONFIRM_MAX_AGE // 86400,
    }
    title = " ".join(petition.title.split())  # a header cannot hold a line break
    subject = f"Confirm your signature: {title}"
    if signature.status == Signature.Status.CONFIRMED:
        subject = f"You have already signed: {title}"
    send_mail(
        subject,
        render_to_string("signatures/email/confirmation.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [signature.email],
    )
