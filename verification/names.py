"""Canonical forms of names and email addresses, so that matching ignores how people type them."""

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")
_APOSTROPHES = re.compile(r"['’ʼ`´]")
# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "æ": "ae", "œ": "oe"})
_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def name_key(full_name: str) -> str:
    """Case, accents, spacing, punctuation and word order folded away: "Núñez, Ana" == "ana nunez".

    Apostrophes join rather than split ("O'Brien" == "OBrien"); other punctuation separates words.
    """
    folded = unicodedata.normalize("NFKD", full_name.casefold()).translate(_UNDECOMPOSED)
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    words = _NON_WORD.sub(" ", _APOSTROPHES.sub("", stripped)).split()
    return " ".join(sorted(words))


def email_key(email: str) -> str:
    """One key per mailbox: lower case, no +tag; for Gmail also no dots (Gmail ignores them)."""
    local, _, domain = email.strip().lower().rpartition("@")
    if not local:
        return email.strip().lower()
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def email_domain(email: str) -> str:
    return email.strip().lower().rpartition("@")[2]
