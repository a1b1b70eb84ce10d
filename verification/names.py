"""Canonical forms of names and email addresses, so that matching ignores how people type them."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+")
_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def name_key(full_name: str) -> str:
    """Case, accents, spacing, punctuation and word order folded away: "Núñez, Ana" == "ana nunez"."""
    decomposed = unicodedata.normalize("NFKD", full_name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _NON_WORD.sub(" ", stripped.casefold().replace("_", " ")).split()
    return " ".join(sorted(words))


def email_key(email: str) -> str:
    """One key per mailbox: lower case, no +tag; for Gmail also no dots (Gmail ignores them)."""
    local, _, domain = email.strip().lower().rpartition("@")
    if not local:
        return email.strip().lower()
    local = local.split("+", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def email_domain(email: str) -> str:
    return email.strip().lower().rpartition("@")[2]
