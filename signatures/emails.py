"""The signer's confirmation email: what it says depends on the signature's state, so a repeat signing is
answered helpfully. Sent from the outbox (signatures.outbox) by the `send_owed_confirmations` task, built from
the signature as it is now.

Anyone can type anyone's address, so an email from the site's own address must not carry an attacker's text:
of what the signer typed, it repeats only the name, with anything that looks like a link defanged.

Every email has a plain-text part and an HTML alternative (`<template>.txt` and `<template>.html`), both written
in the language the signer signed in (`Signature.language`): see `send_email`.
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import conditional_escape, escape
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


# A link's token as Django's signing makes it (URL-safe base64 and ":"): characters reverse() leaves as they are.
_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_:-]+\Z")
_TOKEN_PLACE = "0token0"


@lru_cache(maxsize=32)
def _around_token(name: str, prefix: str, urlconf: str | None) -> tuple[str, str]:
    """The path of link `name` before and after its token (reverse()d once per process, prefix and URLconf)."""
    before, found, after = reverse(name, urlconf=urlconf, args=[_TOKEN_PLACE]).partition(_TOKEN_PLACE)
    assert found, name
    return before, after


def token_url(name: str, token: str, place: tuple[str, str | None] | None = None) -> str:
    """absolute_url(reverse(name, args=[token])), to the byte: three per confirmation email, where reverse() was
    a sixth of the email's CPU, so the path around the token is kept (any other token goes through reverse()).
    `place`: (get_script_prefix(), get_urlconf()) as the caller read them for several links (two thread-local
    reads each, a tenth of an email's CPU for three links)."""
    if not _PLAIN_TOKEN.match(token):
        return absolute_url(reverse(name, args=[token]))
    prefix, urlconf = place or (get_script_prefix(), get_urlconf())
    before, after = _around_token(name, prefix, urlconf)
    return f"{settings.SITE_URL}{before}{token}{after}"


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
    language, title, text, html = _render(language, subject, template, context)
    _send(to, language, title, text, html, connection)


def _render(language: str, subject: Callable[[], str], template: str, context: dict) -> tuple[str, str, str, str]:
    language = email_language(language)
    with translation.override(language):
        title = " ".join(_LINE_BREAKS.split(str(subject()))).strip()  # a header cannot hold a line break
        context = {**context, "subject": title}
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    return language, title, text, html


def _send(to: str, language: str, title: str, text: str, html: str, connection) -> None:
    headers = {"Content-Language": language}
    message = EmailMultiAlternatives(
        title, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers, connection=connection
    )
    message.attach_alternative(html, "text/html")
    message.send()


# Stands in for a blank of a Draft while it is rendered: unguessable (a signer cannot type one), and ending in a
# character escaping changes, so the rendered text says whether each place was escaped (HTML) or not (text).
_BLANK_MARK = "\ue000" + secrets.token_hex(8)


def _blank(name: str) -> str:
    return f"{_BLANK_MARK}:{name}<\ue000"


@dataclass(frozen=True)
class Draft:
    """An email rendered once for many recipients, with blanks where their values differ (`draft_email`)."""

    language: str
    subject: str
    text: str
    html: str
    blanks: tuple[str, ...]

    def send(self, *, to: str, values: dict[str, str], connection=None) -> None:
        """Send it to `to` with its blanks filled from `values`: the same email as `send_email` with those values
        in the context (escaped where the template escapes them, as it), to the byte."""
        text, html = self.text, self.html
        for name in self.blanks:
            value, stand_in = values[name], _blank(name)
            escaped_stand_in, escaped_value = escape(stand_in), conditional_escape(value)
            value = str(value)
            text = text.replace(escaped_stand_in, escaped_value).replace(stand_in, value)
            html = html.replace(escaped_stand_in, escaped_value).replace(stand_in, value)
        if _BLANK_MARK in text or _BLANK_MARK in html:  # a template that filters a blank: never send a stand-in
            raise ValueError(f"a blank of {self.blanks} was changed by the template, not only escaped")
        _send(to, self.language, self.subject, text, html, connection)


def draft_email(
    *, language: str, subject: Callable[[], str], template: str, context: dict, blanks: tuple[str, ...]
) -> Draft:
    """Render an email as `send_email` would, once, leaving `blanks` (names of context values, used only as they
    are or escaped, never filtered, never in the subject) to fill per recipient with `Draft.send`. Rendering both
    parts is most of an email's CPU (about 1 ms); a sender of many emails alike renders once per kind."""
    filled = {**context, **{name: _blank(name) for name in blanks}}
    language, title, text, html = _render(language, subject, template, filled)
    if _BLANK_MARK in title:
        raise ValueError("a blank in the subject")
    return Draft(language, title, text, html, blanks)


# The confirmation email, drafted by each worker process once per kind (`draft_email`): everything but the signer's
# own strings (their name and three links), which fill its blanks. Rendering both templates was half of a
# confirmation email's CPU, and a viral letter sends thousands that differ only in those four strings. The key
# holds all else the templates read: the language, the petition (its title and address), the signature's status,
# whether it is public and the affiliation it claims. The templates see no more of the signature than that (a
# `_Shown`, not the Signature): a later template reading, say, the signer's role gets nothing rather than
# another signer's. The memory is bounded (KEPT_DRAFTS drafts, then it starts afresh).
KEPT_DRAFTS = 512
_kept_drafts: dict[tuple, Draft] = {}
_BLANKS = ("name", "confirm_url", "withdraw_url", "erase_url")


@dataclass(frozen=True)
class _Shown:
    """What of the signature the confirmation's templates may read (all of it is in the kept drafts' key)."""

    status: str
    public: bool
    affiliation: object  # the claimed Affiliation or None; the templates read its name


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
    place = (get_script_prefix(), get_urlconf())
    values = {
        "name": defanged(signature.full_name),
        "confirm_url": token_url("signatures:confirm", tokens.confirm_token(signature), place),
        "withdraw_url": token_url("signatures:withdraw", tokens.withdraw_token(signature), place),
        "erase_url": token_url("signatures:erase", tokens.erase_token(signature), place),
    }
    draft = _kept_drafts.get(key)
    if draft is None:
        context = {
            "signature": shown,
            "petition": petition,
            "petition_url": absolute_url(petition.get_absolute_url()),
            "privacy_url": absolute_url(reverse("petitions:privacy")),
            "confirm_days": settings.SIGNATURE_CONFIRM_MAX_AGE // 86400,
        }
        draft = draft_email(
            language=language,
            subject=subject,
            template="signatures/email/confirmation",
            context=context,
            blanks=_BLANKS,
        )
        if not settings.DEBUG:  # templates being edited
            if len(_kept_drafts) >= KEPT_DRAFTS:
                _kept_drafts.clear()
            _kept_drafts[key] = draft
    draft.send(to=signature.email, values=values, connection=connection)


def forget_kept_drafts() -> None:
    _kept_drafts.clear()
