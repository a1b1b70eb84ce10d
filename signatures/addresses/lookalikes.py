"""Lookalike (homograph) domains: flagged for moderators with their punycode form, never refused.

`prоton.me` with a Cyrillic "о" is a real, different mailbox, so it is not an error to sign with it; but it must
never pass for the real domain, and a moderator must see what it is.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

import idna
from django.utils.translation import gettext_lazy as _

from .canonical import AddressError, _describe, _lenient_domain, canonical_domain

__all__ = ["display_domain", "domain_warnings", "is_confusable_domain"]


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
