"""Email addresses and domains in one canonical, comparable form.

Why this module exists: Django's ``EmailField`` accepts domains that contain a soft hyphen, zero-width characters or
full-width letters, yet mail for all of them is delivered to the plain domain. Fifty spellings of one mailbox once
produced nine signatures. Separately, a domain with a Cyrillic "о" (``prоton.me``) looks identical to the real one.

So every address is reduced to one canonical string (ASCII/punycode domain, per IDNA UTS #46), sneaky spellings are
refused with a message that names the offending character, lookalike domains are flagged for moderators, and the
"an address at this domain is membership" policy refuses domains that prove nothing (free mail, public suffixes).

Everything here is pure (no models, no I/O per call) because it runs on every signing request: the maintained data
sets (public suffix list, free-mail list, Unicode confusables) are loaded once, lazily, and lookups are cached.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import idna
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import Promise

__all__ = ["AddressError", "canonical_address", "canonical_domain", "email_domain", "email_key"]

# RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain; a forward-path is at most 256 octets including the
# angle brackets, so a whole address is at most 254. Checked before any Unicode work so huge input costs nothing.
_MAX_ADDRESS = 254
_MAX_LOCAL = 64
_MAX_DOMAIN = 253

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

# Explicit bidirectional formatting characters: they reorder what is displayed without being visible themselves.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Unicode Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters that render as nothing. Python's
# unicodedata does not expose the property, and not all of them are category Cf (variation selectors are Mn, the
# Hangul fillers are Lo), so the ranges are listed here. They change very rarely.
_DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


class AddressError(ValueError):
    """An address or domain that cannot be put into canonical form, with a message fit to show the person who typed it.

    ``code`` is stable (for tests and for mapping to form errors); ``message`` is translated when read, so the
    exception can be raised at import time or in one language and shown in another, like Django's ValidationError.
    A form can re-raise it as ``ValidationError(err.message_template, code=err.code, params=err.params)``.
    """

    def __init__(self, message: str | Promise, *, code: str, params: dict[str, Any] | None = None) -> None:
        self.message_template = message
        self.code = code
        self.params = params or {}
        super().__init__(message)

    @property
    def message(self) -> str:
        template = str(self.message_template)
        return template % self.params if self.params else template

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"AddressError(code={self.code!r}, params={self.params!r})"


# --------------------------------------------------------------------------------------------------------------------
# Character descriptions for error messages
# --------------------------------------------------------------------------------------------------------------------


def _is_default_ignorable(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _DEFAULT_IGNORABLE_RANGES)


def _codepoint(char: str) -> str:
    """Code point and name, e.g. U+00AD SOFT HYPHEN: invisible characters can only be named, not shown."""
    name = unicodedata.name(char, "") or ("control character" if unicodedata.category(char) == "Cc" else "")
    return f"U+{ord(char):04X} {name}".rstrip()


def _describe(char: str) -> str:
    """The character itself (when it is visible) and its code point and name, e.g. '“ｅ” (U+FF45 FULLWIDTH ...)'."""
    if unicodedata.category(char)[0] in "CZ" or _is_default_ignorable(char):
        return _codepoint(char)
    return f"“{char}” ({_codepoint(char)})"


# --------------------------------------------------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------------------------------------------------


def _refuse_invisible_or_control(domain: str) -> None:
    """Refuse characters nobody can see; UTS #46 would silently delete some of them, which is the whole attack."""
    for char in domain:
        if char in _BIDI_CONTROLS:
            raise AddressError(
                _(
                    "The domain contains a hidden text-direction mark (%(char)s). Such marks can disguise an "
                    "address; please type it again without copying and pasting."
                ),
                code="bidi_control",
                params={"char": _codepoint(char)},
            )
        category = unicodedata.category(char)
        if category == "Cc":
            raise AddressError(
                _("The domain contains a control character (%(char)s)."),
                code="control_character",
                params={"char": _codepoint(char)},
            )
        if category in ("Zs", "Zl", "Zp"):
            raise AddressError(
                _("The domain contains a space (%(char)s). Domain names cannot contain spaces."),
                code="space",
                params={"char": _codepoint(char)},
            )
        if category == "Cf" or _is_default_ignorable(char):
            raise AddressError(
                _(
                    "The domain contains an invisible character (%(char)s). Mail is delivered as if it were not "
                    "there, so please type the address again without it."
                ),
                code="invisible_character",
                params={"char": _codepoint(char)},
            )


def _refuse_mapped(domain: str, mapped: str) -> None:
    """Refuse a domain that UTS #46 or NFKC would turn into a different name than the one typed.

    Tolerated: lower-casing of real capital letters (``MÜNCHEN`` -> ``münchen``) and canonical composition of an
    accent typed as a separate combining mark, which some keyboards and copy-paste paths produce; neither changes
    what is displayed. Refused: compatibility forms (full-width letters and dots, ligatures, circled letters),
    canonical singletons (U+212A KELVIN SIGN for "K") and anything else UTS #46 rewrites or deletes.
    """
    if domain.isascii():
        return  # UTS #46 only lower-cases ASCII (or refuses it, which remapping already did)
    expected = []
    for char in domain:
        try:
            char_mapped = idna.uts46_remap(char, std3_rules=True)
        except idna.IDNAError:
            char_mapped = unicodedata.normalize("NFKC", char)
        if (
            unicodedata.normalize("NFC", char) != char
            or unicodedata.normalize("NFKC", char) != char
            or char_mapped not in (char, char.lower())
        ):
            raise AddressError(
                _(
                    "The domain contains %(char)s, which mail servers read as “%(mapped)s”. Please type the "
                    "address with ordinary characters."
                ),
                code="mapped_character",
                params={"char": _describe(char), "mapped": char_mapped},
            )
        expected.append(char_mapped)
    # Each character is now itself or its own lower case; what remains to differ is composition (tolerated: that
    # is the "expected" string's NFC) or something contextual, which is refused.
    if mapped != unicodedata.normalize("NFC", "".join(expected)) or unicodedata.normalize("NFKC", mapped) != mapped:
        raise AddressError(
            _("The domain is written in an unusual Unicode form. Please type it again with ordinary characters."),
            code="mapped_character",
        )


def _invalid_domain(domain: str, error: idna.IDNAError) -> AddressError:
    """Turn an IDNA failure into a message that says what is wrong, not just that something is."""
    code = getattr(error, "code", None)
    point = getattr(error, "codepoint", None)
    if (
        point is not None
        and chr(point) in domain
        and code in ("disallowed_codepoint", "unknown_codepoint", "uts46_disallowed", "uts46_std3")
    ):
        return AddressError(
            _("The domain contains %(char)s, which is not allowed in domain names."),
            code="invalid_character",
            params={"char": _describe(chr(point))},
        )
    if code in ("empty_label", "empty_domain"):
        return AddressError(
            _("The domain has an empty part: check for two dots in a row, or a dot at the start or end."),
            code="empty_label",
        )
    if code in ("label_too_long", "domain_too_long", "input_too_long"):
        return AddressError(_("The domain is too long."), code="domain_too_long")
    if code == "hyphen_start_end":
        return AddressError(
            _("A part of the domain starts or ends with a hyphen, which domain names do not allow."),
            code="invalid_domain",
        )
    return AddressError(_("“%(domain)s” is not a valid domain name."), code="invalid_domain", params={"domain": domain})


@lru_cache(maxsize=8192)
def _ascii_domain(domain: str) -> str:
    """The lower-case ASCII (punycode) form of a domain typed by a person, or AddressError.

    Cached: the same few thousand domains are seen on every signing request. Failures are not cached (lru_cache
    does not cache exceptions), but they are cheap and bounded by the length check.
    """
    if not domain:
        raise AddressError(_("The domain (the part after the @) is missing."), code="empty_domain")
    if len(domain) > _MAX_DOMAIN:
        raise AddressError(_("The domain is too long."), code="domain_too_long")
    _refuse_invisible_or_control(domain)
    try:
        mapped = idna.uts46_remap(domain, std3_rules=True)
    except idna.IDNAError as error:
        raise _invalid_domain(domain, error) from None
    _refuse_mapped(domain, mapped)
    if mapped.startswith(".") or mapped.endswith(".") or ".." in mapped:
        raise _invalid_domain(domain, idna.IDNAError("Empty label", code="empty_label"))
    try:
        ascii_domain = idna.encode(mapped, strict=True).decode("ascii").lower()
    except idna.IDNAError as error:
        raise _invalid_domain(domain, error) from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        raise AddressError(
            _("“%(domain)s” is not a domain name that can receive mail; it should look like example.org."),
            code="not_a_hostname",
            params={"domain": domain},
        )
    return ascii_domain


def canonical_domain(domain: str) -> str:
    """A domain as typed by a moderator or taken from an address, in the form used for all comparisons.

    Lower-case punycode (``Example.ORG.`` -> ``example.org``, ``münchen.de`` -> ``xn--mnchen-3ya.de``). A leading
    "@" and one trailing dot are dropped because people paste "@example.org" and DNS-style "example.org.".
    The same refusals as for addresses apply (AddressError): invisible, mapped or invalid characters.
    """
    text = domain.strip()
    if text.startswith("@"):
        text = text[1:]
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    return _ascii_domain(text)


def _lenient_domain(domain: str) -> str:
    """Best-effort fold of a domain that canonical_domain refuses, so that legacy and unchecked data still collide.

    Drops invisible characters and applies UTS #46 the way a mail server would; if even that fails, NFKC plus
    case folding. Used only for keys, never to accept an address.
    """
    visible = "".join(c for c in domain if unicodedata.category(c) not in ("Cf", "Cc") and not _is_default_ignorable(c))
    try:
        return idna.encode(visible, uts46=True, std3_rules=False).decode("ascii").lower()
    except idna.IDNAError:
        return unicodedata.normalize("NFKC", visible).casefold()


# --------------------------------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------------------------------


def _check_local(local: str) -> None:
    """Only plain ASCII local parts: internationalised mailboxes (SMTPUTF8) are rare, and non-ASCII local parts are
    where invisible and lookalike characters would hide. Not a full RFC 5322 syntax check: pair this with Django's
    EmailValidator."""
    if len(local) > _MAX_LOCAL:
        raise AddressError(
            _("The part before the @ is too long (at most %(limit)d characters)."),
            code="local_too_long",
            params={"limit": _MAX_LOCAL},
        )
    if local.isascii() and local.isprintable() and " " not in local:
        return  # the usual address, tested in C (a roster import checks hundreds of thousands)
    for char in local:
        if not char.isascii():
            raise AddressError(
                _(
                    "The part before the @ contains %(char)s. Only unaccented letters, digits and ordinary "
                    "punctuation are accepted there."
                ),
                code="local_non_ascii",
                params={"char": _describe(char)},
            )
        if not char.isprintable():
            raise AddressError(
                _("The part before the @ contains a control character (%(char)s)."),
                code="control_character",
                params={"char": _codepoint(char)},
            )
        if char == " ":
            raise AddressError(_("The part before the @ contains a space."), code="space")


def canonical_address(email: str) -> str:
    """The address as mail is actually routed: local part as typed, domain in lower-case ASCII (punycode).

    Refuses (AddressError, naming the problem) anything two people could type differently for one mailbox or that
    could disguise itself: non-ASCII local parts, invisible/bidi/control characters, domains that UTS #46 or NFKC
    would rewrite into another name (soft hyphen, zero-width characters, full-width letters...), and domains invalid
    under IDNA 2008. A genuine Unicode domain is accepted: ``anna@münchen.de`` -> ``anna@xn--mnchen-3ya.de``.

    Lookalike domains (``prоton.me`` with a Cyrillic "о") are valid and are *not* refused here: they are a different
    mailbox, not a disguised spelling of one. Use is_confusable_domain/domain_warnings to flag them.
    """
    text = email.strip()
    if not text:
        raise AddressError(_("Enter an email address."), code="empty")
    if len(text) > _MAX_ADDRESS:
        raise AddressError(
            _("This email address is too long (at most %(limit)d characters)."),
            code="too_long",
            params={"limit": _MAX_ADDRESS},
        )
    ats = text.count("@")
    if ats == 0:
        raise AddressError(_("An email address needs an @, as in name@example.org."), code="missing_at")
    if ats > 1:
        raise AddressError(
            _("An email address has exactly one @; this one has %(count)d."), code="multiple_at", params={"count": ats}
        )
    local, domain = text.split("@")
    if not local:
        raise AddressError(_("The part before the @ is missing."), code="empty_local")
    _check_local(local)
    address = f"{local}@{_ascii_domain(domain)}"
    if len(address) > _MAX_ADDRESS:
        raise AddressError(
            _("This email address is too long (at most %(limit)d characters)."),
            code="too_long",
            params={"limit": _MAX_ADDRESS},
        )
    return address


def email_key(email: str) -> str:
    """One key per mailbox: lower case, no +tag; for Gmail also no dots and googlemail.com folded into gmail.com.

    Same results as verification.names.email_key for ordinary addresses, but computed on canonical_address, so
    ``jane@münchen.de`` and ``jane@xn--mnchen-3ya.de`` share a key. Never raises: an address canonical_address
    refuses (legacy rows, callers that skipped validation) gets the old key with its domain folded as a mail server
    would read it, so the soft-hyphen/zero-width/full-width variants of one mailbox still collide.
    """
    try:
        local, _at, domain = canonical_address(email).lower().rpartition("@")
    except AddressError:
        text = email.strip().lower()
        local, _at, domain = text.rpartition("@")
        if not local:
            return text
        domain = _lenient_domain(domain) if domain else domain
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def email_domain(email: str) -> str:
    """The domain of an address, lower case: the canonical (punycode) form when the address is canonicalisable.

    Like verification.names.email_domain it never raises and takes what follows the last "@" otherwise (folded as
    in email_key), so ordinary addresses give the same result as before.
    """
    try:
        return canonical_address(email).rpartition("@")[2]
    except AddressError:
        domain = email.strip().lower().rpartition("@")[2]
        return _lenient_domain(domain) if domain else domain
