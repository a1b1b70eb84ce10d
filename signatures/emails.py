"""The signer's confirmation email: what it says depends on the signature's state, so a repeat signing is
answered helpfully. Sent from the outbox (signatures.outbox) by the `send_owed_confirmations` task, built from
the signature as it is now.

Anyone can type anyone's address, so an email from the site's own address must not carry an attacker's text:
of what the signer typed, it repeats only the name, with anything that looks like a link defanged.

Every email has a plain-text part and an HTML alternative (`<template>.txt` and `<template>.html`), both written
in the language the signer signed in (`Signature.language`): see `send_email`.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from . import tokens
from .models import Signature

# A scheme, or a dotted host whose last label looks like a top-level domain (not initials such as "J.R.R.").
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15}):/*")
# What could end a header line; the no-break spaces of French typography stay.
_LINE_BREAKS = re.compile("[\r\n\v\f\x1c-\x1f\x85\u2028\u2029]+")
_HOST = re.compile(r"(?i)\b((?:[\w-]+\.)+[a-z][\w-]{1,62})\b")


def defanged(text: str) -> str:
    """Text safe to repeat in an email: "https://evil.example/x" reads "hxxps[:]//evil[.]example/x", unclickable."""
    text = _SCHEME.sub(
        lambda m: m.group(1).replace("t", "x").replace("T", "X") + "[:]" + m.group(0)[len(m.group(1)) + 1 :], text
    )
    return _HOST.sub(lambda m: m.group(1).replace(".", "[.]"), text)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def email_language(code: str) -> str:
    """A language the site is translated into: the stored one, or English if it is no longer offered."""
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def send_email(
    *, to: str, language: str, subject: Callable[[], str], template: str, context: dict, connection=None
) -> None:
    """Send one email in `language`: `subject()` and both parts are rendered with that language active.

    The subject is a callable so that it, too, is translated inside the override (a worker has no request to
    take a language from).
    """
    language = email_language(language)
    parts = render_parts(template, language, subject, context)
    send_parts(to=to, language=language, subject=subject, parts=parts, connection=connection)


def _title(subject: Callable[[], str]) -> str:
    return " ".join(_LINE_BREAKS.split(str(subject()))).strip()  # a header cannot hold a line break


def render_parts(template: str, language: str, subject: Callable[[], str], context: dict) -> tuple[str, str]:
    """The plain-text and HTML parts of `template`, rendered in `language` (a supported one: email_language)."""
    with translation.override(language):
        context = {**context, "subject": _title(subject)}
        return render_to_string(f"{template}.txt", context), render_to_string(f"{template}.html", context)


def send_parts(*, to: str, language: str, subject: Callable[[], str], parts: tuple[str, str], connection=None) -> None:
    with translation.override(language):
        title = _title(subject)
    text, html = parts
    headers = {"Content-Language": language}
    message = EmailMultiAlternatives(
        title, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers, connection=connection
    )
    message.attach_alternative(html, "text/html")
    message.send()


# The confirmation email's two parts, kept by each worker process as rendered for everything but the signer's own
# strings (their name and three links), which fill the slots left in them. Rendering both templates was half of a
# confirmation email's CPU, and a viral letter sends thousands that differ only in those four strings. The key
# holds all else the templates read: the language, the petition (its title and address), the signature's status,
# whether it is public and the affiliation it claims. The templates see no more of the signature than that (a
# `_Shown`, not the Signature): a later template reading, say, the signer's role gets nothing rather than
# another signer's. The memory is bounded (KEPT_PARTS sets of parts, then it starts afresh).
KEPT_PARTS = 512
_kept_parts: dict[tuple, tuple[str, str]] = {}
_SLOTS = ("name", "confirm_url", "withdraw_url", "erase_url")


@dataclass(frozen=True)
class _Shown:
    """What of the signature the confirmation's templates may read (all of it is in the kept parts' key)."""

    status: str
    public: bool
    affiliation: object  # the claimed Affiliation or None; the templates read its name


def _slot(name: str) -> str:
    """A mark that escaping, translation and the templates leave as it is (private-use characters)."""
    return f"\ue000{name}\ue001"


_SLOT_MARK = re.compile("\ue000(" + "|".join(_SLOTS) + ")\ue001")


def send_confirmation_email(signature: Signature, connection=None) -> None:
    """`connection`: an open mail connection to reuse (the outbox sends a batch over one)."""
    if signature.status == Signature.Status.REJECTED:
        return
    petition = signature.petition
    title = " ".join(petition.title.split())

    def subject() -> str:
        if signature.status == Signature.Status.CONFIRMED:
            return gettext("You have already signed: %(title)s") % {"title": title}
        return gettext("Confirm your signature: %(title)s") % {"title": title}

    language = email_language(signature.language)
    affiliation = signature.affiliation
    shown = _Shown(signature.status, signature.public, affiliation)
    key = (
        language,
        petition.pk,
        petition.title,
        petition.slug,
        shown.status,
        shown.public,
        (affiliation.pk, affiliation.name) if affiliation else None,
        settings.SIGNATURE_CONFIRM_MAX_AGE,
        settings.SITE_URL,
    )
    strings = {
        "name": defanged(signature.full_name),
        "confirm_url": absolute_url(reverse("signatures:confirm", args=[tokens.confirm_token(signature)])),
        "withdraw_url": absolute_url(reverse("signatures:withdraw", args=[tokens.withdraw_token(signature)])),
        "erase_url": absolute_url(reverse("signatures:erase", args=[tokens.erase_token(signature)])),
    }
    parts = _kept_parts.get(key)
    if parts is None:
        context = {
            "signature": shown,
            "petition": petition,
            "petition_url": absolute_url(petition.get_absolute_url()),
            "privacy_url": absolute_url(reverse("petitions:privacy")),
            "confirm_days": settings.SIGNATURE_CONFIRM_MAX_AGE // 86400,
            **{name: _slot(name) for name in _SLOTS},
        }
        parts = render_parts("signatures/email/confirmation", language, subject, context)
        if not settings.DEBUG:  # templates being edited
            if len(_kept_parts) >= KEPT_PARTS:
                _kept_parts.clear()
            _kept_parts[key] = parts
    text, html = parts
    # One pass each, so that a value holding a slot's mark (a name can hold any character) is never filled in.
    text = _SLOT_MARK.sub(lambda slot: strings[slot.group(1)], text)  # the text part is not escaped (autoescape off)
    html = _SLOT_MARK.sub(lambda slot: escape(strings[slot.group(1)]), html)  # as autoescape would have
    send_parts(to=signature.email, language=language, subject=subject, parts=(text, html), connection=connection)


def forget_kept_parts() -> None:
    _kept_parts.clear()
