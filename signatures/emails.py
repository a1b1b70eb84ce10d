"""The signer's confirmation email: what it says depends on the signature's state, so a repeat signing is
answered helpfully. Sent by the `deliver_confirmation_email` task, built from the signature as it is now.

Anyone can type anyone's address, so an email from the site's own address must not carry an attacker's text:
of what the signer typed, it repeats only the name, with anything that looks like a link defanged.
"""

import re

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from . import tokens
from .models import Signature

# A scheme, or a dotted host whose last label looks like a top-level domain (not initials such as "J.R.R.").
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15}):/*")
_HOST = re.compile(r"(?i)\b((?:[\w-]+\.)+[a-z][\w-]{1,62})\b")


def defanged(text: str) -> str:
    """Text safe to repeat in an email: "https://evil.example/x" reads "hxxps[:]//evil[.]example/x", unclickable."""
    text = _SCHEME.sub(
        lambda m: m.group(1).replace("t", "x").replace("T", "X") + "[:]" + m.group(0)[len(m.group(1)) + 1 :], text
    )
    return _HOST.sub(lambda m: m.group(1).replace(".", "[.]"), text)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def send_confirmation_email(signature: Signature) -> None:
    if signature.status == Signature.Status.REJECTED:
        return
    petition = signature.petition
    context = {
        "signature": signature,
        "name": defanged(signature.full_name),
        "petition": petition,
        "petition_url": absolute_url(petition.get_absolute_url()),
        "confirm_url": absolute_url(reverse("signatures:confirm", args=[tokens.confirm_token(signature)])),
        "withdraw_url": absolute_url(reverse("signatures:withdraw", args=[tokens.withdraw_token(signature)])),
        "erase_url": absolute_url(reverse("signatures:erase", args=[tokens.erase_token(signature)])),
        "privacy_url": absolute_url(reverse("petitions:privacy")),
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
